/**
 * NVIDIA Triton Inference Server with the vLLM backend: KServe v2 health/metadata routes, the generate extension
 * (/v2/models/{m}[/versions/{v}]/generate and generate_stream, the backend's inputs as top-level JSON fields),
 * POST /v2/repository/index, and nv_* metrics plus the backend's vllm:* ones (REPORT_CUSTOM_METRICS) on a port of
 * their own, like the real server's --metrics-port (GET /metrics on the HTTP port is a 404). No [DONE]: the
 * stream just ends.
 * Frames as r25.08's src/http_server.cc writes them: `data: ` + JSON + `\n\n`, outputs in name order (a std::map),
 * one-element tensors as scalars; the FIRST response's error sets the HTTP status (a backend error is INTERNAL:
 * 500) and the body is still SSE; a later error is `data: {"error":"..."}` under the 200 already sent. The vLLM
 * backend (model.py) sends deltas — under load several engine steps merge into one response (num_output_tokens
 * > 1) — and finish_reason as str(): "None" until the last.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Exposition } from '../../sim/metrics.js';
import { Sse, generate, readBody, sendJson, sendText } from '../../sim/shared.js';
import type { GenerateRequest, SimContext, SseOptions } from '../../sim/shared.js';
import { promptTokenCount } from '../../sim/textgen.js';
import { vllmMetrics } from '../vllm/dialect.js';
import { door, serverState, type Dialect } from '../../sim/dialects/types.js';

/** The vLLM backend model's inputs (its model.py auto-complete config). */
const INPUTS = [
  'text_input',
  'image',
  'stream',
  'sampling_parameters',
  'exclude_input_in_output',
  'return_finish_reason',
  'return_cumulative_logprob',
  'return_logprobs',
  'return_num_input_tokens',
  'return_num_output_tokens',
];
/** vLLM SamplingParams fields; anything else fails the request (the backend passes them as keyword arguments). */
const SAMPLING_KEYS = new Set([
  'n',
  'best_of',
  'presence_penalty',
  'frequency_penalty',
  'repetition_penalty',
  'temperature',
  'top_p',
  'top_k',
  'min_p',
  'seed',
  'stop',
  'stop_token_ids',
  'bad_words',
  'include_stop_str_in_output',
  'ignore_eos',
  'max_tokens',
  'min_tokens',
  'logprobs',
  'prompt_logprobs',
  'detokenize',
  'skip_special_tokens',
  'spaces_between_special_tokens',
  'truncate_prompt_tokens',
  'guided_decoding',
  'logit_bias',
  'allowed_token_ids',
  'extra_args',
]);
/** Request parameters Triton itself understands (not passed on as sampling parameters). */
const TRITON_PARAMS = new Set([
  'stream',
  'sequence_id',
  'sequence_start',
  'sequence_end',
  'priority',
  'timeout',
  'binary_data_output',
  'headers',
]);
const INT_KEYS = new Set([
  'n',
  'best_of',
  'max_tokens',
  'min_tokens',
  'top_k',
  'seed',
  'logprobs',
  'prompt_logprobs',
  'truncate_prompt_tokens',
]);
const BOOL_KEYS = new Set([
  'ignore_eos',
  'skip_special_tokens',
  'include_stop_str_in_output',
  'detokenize',
  'spaces_between_special_tokens',
]);

interface TritonState {
  success: number;
  failure: Record<string, number>;
  pending: number;
  durationUs: number;
  queueUs: number;
  computeUs: number;
}
const st = (ctx: SimContext) =>
  serverState<TritonState>(ctx, 'triton', () => ({
    success: 0,
    failure: {},
    pending: 0,
    durationUs: 0,
    queueUs: 0,
    computeUs: 0,
  }));

const TRITON_SSE: SseOptions = { prefix: 'data: ', headers: { 'content-type': 'text/event-stream; charset=utf-8' } };

const unknownModel = (res: ServerResponse, m: string) =>
  sendJson(res, 400, { error: `Request for unknown model: '${m}' is not found` });

function metadata(ctx: SimContext) {
  return {
    name: ctx.servedModel,
    versions: ['1'],
    platform: 'vllm',
    inputs: [
      { name: 'text_input', datatype: 'BYTES', shape: [1] },
      { name: 'stream', datatype: 'BOOL', shape: [1] },
      { name: 'sampling_parameters', datatype: 'BYTES', shape: [1] },
      { name: 'exclude_input_in_output', datatype: 'BOOL', shape: [1] },
      { name: 'return_finish_reason', datatype: 'BOOL', shape: [1] },
      { name: 'return_cumulative_logprob', datatype: 'BOOL', shape: [1] },
      { name: 'return_logprobs', datatype: 'BOOL', shape: [1] },
      { name: 'return_num_input_tokens', datatype: 'BOOL', shape: [1] },
      { name: 'return_num_output_tokens', datatype: 'BOOL', shape: [1] },
    ],
    outputs: [
      { name: 'text_output', datatype: 'BYTES', shape: [-1] },
      { name: 'finish_reason', datatype: 'BYTES', shape: [-1] },
      { name: 'cumulative_logprob', datatype: 'FP32', shape: [-1] },
      { name: 'num_input_tokens', datatype: 'UINT32', shape: [1] },
      { name: 'num_output_tokens', datatype: 'UINT32', shape: [-1] },
    ],
  };
}

function metrics(ctx: SimContext): string {
  const T = st(ctx);
  const e = ctx.engine;
  const L = { model: ctx.servedModel, version: '1' };
  const x = new Exposition();
  x.counter('nv_inference_request_success', 'Number of successful inference requests, all batch sizes', L, T.success);
  x.family('nv_inference_request_failure', 'counter', 'Number of failed inference requests, all batch sizes');
  for (const reason of ['REJECTED', 'CANCELED', 'BACKEND', 'OTHER'])
    x.sample('nv_inference_request_failure', { ...L, reason }, T.failure[reason] ?? 0);
  x.counter('nv_inference_count', 'Number of inferences performed (does not include cached requests)', L, T.success);
  x.counter(
    'nv_inference_exec_count',
    'Number of model executions performed (does not include cached requests)',
    L,
    T.success,
  );
  x.gauge(
    'nv_inference_pending_request_count',
    'Instantaneous number of pending requests awaiting execution per-model.',
    L,
    T.pending,
  );
  x.counter(
    'nv_inference_request_duration_us',
    'Cumulative inference request duration in microseconds (includes cached requests)',
    L,
    Math.round(T.durationUs),
  );
  x.counter(
    'nv_inference_queue_duration_us',
    'Cumulative inference queuing duration in microseconds (includes cached requests)',
    L,
    Math.round(T.queueUs),
  );
  x.counter(
    'nv_inference_compute_infer_duration_us',
    'Cumulative compute inference duration in microseconds (does not include cached requests)',
    L,
    Math.round(T.computeUs),
  );
  const G = { gpu_uuid: 'GPU-00000000-0000-4000-8000-11mbench0sim' };
  const busy = e.stats.busySeconds;
  const age = Math.max(e.clock.now(), 1e-9);
  x.gauge('nv_gpu_utilization', 'GPU utilization rate [0.0 - 1.0)', G, Math.min(0.99, busy / age));
  x.gauge('nv_gpu_memory_total_bytes', 'GPU total memory, in bytes', G, ctx.profile.gpu.memory_bytes);
  x.gauge(
    'nv_gpu_memory_used_bytes',
    'GPU used memory, in bytes',
    G,
    Math.round(ctx.profile.model.weight_bytes + ctx.profile.engine.activation_reserve_bytes + ctx.profile.kvBytes),
  );
  return x.text() + backendMetrics(vllmMetrics(ctx, L).text());
}

/** The vLLM backend's own metric families (triton-inference-server/vllm_backend src/utils/metrics.py). */
const BACKEND_FAMILIES = new Set([
  'vllm:prompt_tokens_total',
  'vllm:generation_tokens_total',
  'vllm:num_preemptions_total',
  'vllm:iteration_tokens_total',
  'vllm:time_to_first_token_seconds',
  'vllm:time_per_output_token_seconds',
  'vllm:e2e_request_latency_seconds',
  'vllm:request_queue_time_seconds',
  'vllm:request_prefill_time_seconds',
  'vllm:request_decode_time_seconds',
  'vllm:request_prompt_tokens',
  'vllm:request_generation_tokens',
  'vllm:num_requests_running',
  'vllm:num_requests_waiting',
  'vllm:gpu_cache_usage_perc',
]);

/** Keeps the families the backend exports out of the vLLM server's exposition. */
function backendMetrics(text: string): string {
  return text
    .split('\n')
    .filter((line) => {
      const name = line.startsWith('#') ? line.split(' ')[2] : /^[^{ ]+/.exec(line)?.[0];
      if (!name) return line === '';
      return BACKEND_FAMILIES.has(name) || BACKEND_FAMILIES.has(name.replace(/_(bucket|sum|count)$/, ''));
    })
    .join('\n');
}

type Json = Record<string, unknown>;

/** Parses a generate body into a prompt and sampling parameters; returns an error message (backend wording) on failure. */
function parse(
  body: Json,
  ctx: SimContext,
):
  | { error: string; core: boolean }
  | { prompt: string; stream: boolean; exclude: boolean; sampling: Json; ret: Record<string, boolean> } {
  for (const k of Object.keys(body)) {
    if (k !== 'parameters' && k !== 'id' && !INPUTS.includes(k))
      return { error: `unexpected inference input '${k}' for model '${ctx.servedModel}'`, core: true };
  }
  if (typeof body.text_input !== 'string')
    return {
      error: `expected number of inputs between 1 and ${INPUTS.length} but got ${Object.keys(body).filter((k) => INPUTS.includes(k)).length} inputs for model '${ctx.servedModel}'`,
      core: true,
    };
  const bool = (k: string) => body[k] === true || body[k] === 'true';
  let sampling: Json = {};
  if (body.sampling_parameters !== undefined) {
    if (typeof body.sampling_parameters !== 'string')
      return { error: `unable to parse 'sampling_parameters': expected a JSON string`, core: false };
    try {
      sampling = JSON.parse(body.sampling_parameters) as Json;
    } catch (e) {
      return { error: `Error generating stream: ${(e as Error).message}`, core: false };
    }
    if (typeof sampling !== 'object' || sampling === null || Array.isArray(sampling))
      return { error: 'Error generating stream: sampling_parameters must be a JSON object', core: false };
  } else if (body.parameters && typeof body.parameters === 'object') {
    sampling = Object.fromEntries(Object.entries(body.parameters as Json).filter(([k]) => !TRITON_PARAMS.has(k)));
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(sampling)) {
    if (!SAMPLING_KEYS.has(k))
      return { error: `Error generating stream: Unexpected keyword argument '${k}'`, core: false };
    // The backend converts string values of known numeric/boolean keys (its _get_sampling_params_dict).
    if (INT_KEYS.has(k)) {
      const n = typeof v === 'string' ? Number(v) : v;
      if (!Number.isInteger(n))
        return {
          error: `Error generating stream: invalid literal for int() with base 10: '${String(v)}'`,
          core: false,
        };
      out[k] = n;
    } else if (BOOL_KEYS.has(k)) out[k] = v === true || v === 'true' || v === 'True';
    else out[k] = v;
  }
  const params = (body.parameters && typeof body.parameters === 'object' ? body.parameters : {}) as Json;
  return {
    prompt: body.text_input,
    stream: bool('stream') || params.stream === true,
    exclude: bool('exclude_input_in_output'),
    sampling: out,
    ret: {
      finish_reason: bool('return_finish_reason'),
      num_input_tokens: bool('return_num_input_tokens'),
      num_output_tokens: bool('return_num_output_tokens'),
    },
  };
}

/** The generate body as a JSON object, or undefined once it is refused (HTTP 400, Triton's error body). */
async function readGenerate(req: IncomingMessage, res: ServerResponse): Promise<Json | undefined> {
  const r = await readBody(req);
  if (!r.ok)
    return void sendJson(res, 400, {
      error: r.badJson ? `failed to parse the request JSON buffer: ${r.message}` : r.message,
    });
  const body = r.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return void sendJson(res, 400, { error: 'generate request must be a JSON object' });
  return body as Json;
}

/**
 * A backend error is the request's first (and final) response: TritonError defaults to INTERNAL, so HTTP 500,
 * with the SSE framing on generate_stream.
 */
function backendError(T: TritonState, res: ServerResponse, streamRoute: boolean, msg: string, reason: string): void {
  T.failure[reason] = (T.failure[reason] ?? 0) + 1;
  if (streamRoute) {
    const sse = new Sse(res, TRITON_SSE);
    sse.open(500);
    sse.send({ error: msg });
    sse.end();
  } else sendJson(res, 500, { error: msg });
}

/** vLLM's SamplingParams checks on the token bounds: the error message, or null. */
function tokenBoundsError(maxTokens: number, minTokens: number): string | null {
  if (maxTokens < 1) return `Error generating stream: max_tokens must be at least 1, got ${maxTokens}.`;
  if (minTokens > maxTokens)
    return `Error generating stream: min_tokens must be less than or equal to max_tokens=${maxTokens}, got ${minTokens}.`;
  return null;
}

/** The request in nv_inference_pending_request_count until it settles; its duration is counted once. */
class Pending {
  private pending = true;
  private readonly t0 = performance.now();
  constructor(
    private readonly T: TritonState,
    private readonly timeScale: number,
  ) {
    T.pending++;
  }
  settle(ok: boolean): void {
    const T = this.T;
    if (!this.pending) return;
    this.pending = false;
    T.pending--;
    if (ok) T.success++;
    else T.failure.CANCELED = (T.failure.CANCELED ?? 0) + 1;
    const us = (performance.now() - this.t0) * 1000 * this.timeScale;
    T.durationUs += us;
  }
  /** An engine error mid-stream: no longer pending, a BACKEND failure, no duration. */
  failed(): void {
    this.pending = false;
    this.T.pending--;
    this.T.failure.BACKEND = (this.T.failure.BACKEND ?? 0) + 1;
  }
}

type Parsed = Exclude<ReturnType<typeof parse>, { error: string }>;
/** One response's outputs from text, token count, finish reason and whether it is the last. */
type Frame = (text: string, n: number, reason: string | null, last: boolean) => Json;

/** Outputs in name order: finish_reason, model_name, model_version, num_input_tokens, num_output_tokens,
 * text_output (str(None) until the last response). */
function framer(p: Parsed, ctx: SimContext, promptTokens: number): Frame {
  const base = { model_name: ctx.servedModel, model_version: '1' };
  return (text, n, reason, last) => ({
    ...(p.ret.finish_reason ? { finish_reason: last ? reason : 'None' } : {}),
    ...base,
    ...(p.ret.num_input_tokens ? { num_input_tokens: promptTokens } : {}),
    ...(p.ret.num_output_tokens ? { num_output_tokens: n } : {}),
    text_output: text,
  });
}

async function handleGenerate(
  streamRoute: boolean,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: SimContext,
): Promise<void> {
  const T = st(ctx);
  const body = await readGenerate(req, res);
  if (!body) return;
  const p = parse(body, ctx);
  const fail = (msg: string, reason = 'BACKEND') => backendError(T, res, streamRoute, msg, reason);
  if ('error' in p) {
    if (p.core) {
      T.failure.REJECTED = (T.failure.REJECTED ?? 0) + 1;
      return sendJson(res, 400, { error: p.error });
    }
    return fail(p.error);
  }
  if (p.stream && !streamRoute)
    return sendJson(res, 400, {
      error: 'generate does not support a decoupled model that streams; use generate_stream',
    });
  if (ctx.faults.overloaded(ctx.engine.numWaiting)) {
    T.failure.REJECTED = (T.failure.REJECTED ?? 0) + 1;
    return sendJson(res, 503, { error: 'Server overloaded (fault injection: overload_queue)' });
  }
  const promptTokens = promptTokenCount(ctx.tok, p.prompt);
  const limit = ctx.profile.engine.max_model_len;
  if (promptTokens > limit) {
    return fail(
      `Error generating stream: The decoder prompt (length ${promptTokens}) is longer than the maximum model length of ${limit}. Make sure that \`max_model_len\` is no smaller than the number of text tokens.`,
    );
  }
  ctx.onInferenceRequest();
  const injected = ctx.faults.error();
  // Non-streamed: the request fails. Streamed: the engine fails mid-way, after some tokens, as an error event.
  if (injected && !(streamRoute && p.stream))
    return fail('Error generating stream: simulated engine failure (fault injection: error_rate)');
  const s = p.sampling;
  // vLLM SamplingParams default max_tokens is 16; the engine stops at max_model_len whatever is asked.
  const maxTokens = Math.min((s.max_tokens as number | undefined) ?? 16, limit - promptTokens);
  const minTokens = (s.min_tokens as number | undefined) ?? 0;
  const bad = tokenBoundsError(maxTokens, minTokens);
  if (bad) return fail(bad);
  const pending = new Pending(T, ctx.timeScale);
  res.once('close', () => pending.settle(false));
  const g: GenerateRequest = {
    prompt: p.prompt,
    promptTokens,
    maxTokens,
    minTokens,
    ignoreEos: s.ignore_eos === true,
    errorAt: injected ? ctx.faults.errorAfter(maxTokens) : undefined,
  };
  const frame = framer(p, ctx, promptTokens);
  const gen: Generation = { ctx, req, res, g, p, frame, pending };
  if (streamRoute && p.stream) streamResponses(gen);
  else respondOnce(gen, streamRoute);
}

/** One admitted generate request. */
interface Generation {
  ctx: SimContext;
  req: IncomingMessage;
  res: ServerResponse;
  g: GenerateRequest;
  p: Parsed;
  frame: Frame;
  pending: Pending;
}

/** A decoupled stream: the backend's deltas, an error event under the 200 if the engine fails mid-way. */
function streamResponses({ ctx, req, res, g, p, frame, pending }: Generation): void {
  const sse = new Sse(res, TRITON_SSE);
  // Tokens the engine produced in one turn (a catch-up burst when the server is behind) leave as one response,
  // as the backend's response loop merges vLLM outputs it has not sent yet.
  let text = '';
  let n = 0;
  let flushQueued = false;
  const flush = (reason: string | null, last: boolean) => {
    flushQueued = false;
    if (n === 0 || res.destroyed) return;
    sse.send(frame(text, n, reason, last));
    text = '';
    n = 0;
  };
  generate(ctx, req, res, g, {
    onToken: (i, _id, piece, sq) => {
      const last = sq.generated >= sq.target;
      // The prompt comes first unless excluded; the EOS token adds a token and no text.
      text += (i === 0 && !p.exclude ? p.prompt : '') + piece;
      n++;
      if (last) return flush(sq.reason, true);
      if (!flushQueued) {
        flushQueued = true;
        setImmediate(() => flush(null, false));
      }
    },
    onFinish: () => {
      pending.settle(true);
      sse.end();
    },
    onError: (i) => {
      flush(null, false);
      pending.failed();
      // No response sent yet: the error is the first response and sets the status.
      if (i === 0 && !res.headersSent) sse.open(500);
      sse.send({ error: 'Error generating stream: simulated engine failure (fault injection: error_rate)' });
      sse.end();
    },
  });
}

/** One final response: a JSON body on generate, one SSE event on generate_stream without `stream`. */
function respondOnce({ ctx, req, res, g, p, frame, pending }: Generation, streamRoute: boolean): void {
  const pieces: string[] = [];
  generate(ctx, req, res, g, {
    onToken: (_i, _id, piece) => void pieces.push(piece),
    onFinish: (reason, n) => {
      pending.settle(true);
      const out = frame((p.exclude ? '' : p.prompt) + pieces.join(''), n, reason, true);
      if (streamRoute) {
        const sse = new Sse(res, TRITON_SSE);
        sse.send(out);
        sse.end();
      } else sendJson(res, 200, out);
    },
  });
}

const MODEL_ROUTE =
  /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(?:\/(ready|generate|generate_stream|infer|config|stats))?$/;

export const triton: Dialect = {
  kind: 'triton',
  defaultServedModel: 'mistral',
  metricsPage: metrics,
  async handle(req, res, url, ctx) {
    const { p, m, ready } = door(req, url, ctx);
    if (m === 'GET' && p === '/v2/health/live') return sendText(res, 200, '');
    if (m === 'GET' && p === '/v2/health/ready') return sendText(res, ready ? 200 : 400, '');
    if (m === 'GET' && p === '/v2') {
      return sendJson(res, 200, {
        name: 'triton',
        version: ctx.profile.backend.server_version,
        extensions: [
          'classification',
          'sequence',
          'model_repository',
          'model_repository(unload_dependents)',
          'schedule_policy',
          'model_configuration',
          'system_shared_memory',
          'cuda_shared_memory',
          'binary_tensor_data',
          'parameters',
          'statistics',
          'trace',
          'logging',
          'generate',
        ],
      });
    }
    if (m === 'POST' && p === '/v2/repository/index') {
      return sendJson(res, 200, [
        {
          name: ctx.servedModel,
          version: '1',
          state: ready ? 'READY' : 'LOADING',
          ...(ready ? {} : { reason: 'loading' }),
        },
      ]);
    }
    const r = MODEL_ROUTE.exec(p);
    if (r) {
      const [, name, version, action] = r;
      const model = decodeURIComponent(name);
      if (model !== ctx.servedModel || (version !== undefined && version !== '1')) {
        if (action === 'ready') return sendText(res, 400, '');
        return unknownModel(res, version ? `${model}' version ${version}` : model);
      }
      if (m === 'GET' && action === undefined) return sendJson(res, 200, metadata(ctx));
      if (m === 'GET' && action === 'ready') return sendText(res, ready ? 200 : 400, '');
      if (m === 'GET' && action === 'config') {
        return sendJson(res, 200, {
          name: ctx.servedModel,
          backend: 'vllm',
          max_batch_size: 0,
          model_transaction_policy: { decoupled: true },
          instance_group: [{ kind: 'KIND_MODEL', count: 1 }],
        });
      }
      if (m === 'POST' && action === 'infer')
        return sendJson(res, 400, { error: `ModelInfer RPC doesn't support models with decoupled transaction policy` });
      if (m === 'POST' && (action === 'generate' || action === 'generate_stream')) {
        if (!ready)
          return sendJson(res, 400, { error: `Request for unknown model: '${model}' has no available versions` });
        return handleGenerate(action === 'generate_stream', req, res, ctx);
      }
    }
    return sendJson(res, 404, { error: 'Not Found' });
  },
};
