/**
 * HuggingFace TGI's router: /generate, /generate_stream (and POST / with `stream`), /info, /health, /metrics
 * (tgi_* names), plus its Messages API (/v1/chat/completions, /v1/completions, /v1/models). Errors are TGI's
 * ErrorResponse ({error, error_type}); TGI serves one model and ignores request model names; there is no
 * ignore_eos, so requests stop at the model's natural end unless max_new_tokens comes first.
 * Streams (router/src/server.rs v3.3.5): validation, overload and generation errors are raised inside
 * generate_stream_internal, after axum has sent HTTP 200, so they arrive as an error event (`From<InferError> for
 * Event`; Messages API: `into_openai_event` then [DONE]); axum writes `data:` without a space and, with
 * KeepAlive::default(), the comment `:\n\n` after 15 s without an event; `details` defaults to false.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Exposition } from '../../sim/metrics.js';
import { Sse, generate, readBody, sendJson, sendText } from '../../sim/shared.js';
import type { GenerateRequest, SimContext, SseOptions } from '../../sim/shared.js';
import { promptTokenCount } from '../../sim/textgen.js';
import { handleOpenAi, sendModelList, type OpenAiFlavour } from '../../sim/dialects/openai.js';
import { door, serverState, type Dialect } from '../../sim/dialects/types.js';

const tgiError = (res: ServerResponse, status: number, error: string, error_type: string) =>
  sendJson(res, status, { error, error_type });
const finish = (r: string) => (r === 'stop' ? 'eos_token' : 'length');
/** axum's SSE response (content-type, cache-control) plus the headers generate_stream_internal sets. */
function tgiSse(ctx: SimContext, inputs: string): SseOptions {
  return {
    prefix: 'data:',
    headers: {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-compute-type': 'gpu+optimized',
      'x-compute-characters': String([...inputs].length),
      'x-accel-buffering': 'no',
    },
    // 15 s of the server's time (the simulator may run faster than real time).
    keepAliveMs: 15_000 / ctx.timeScale,
  };
}
const errorEvent = (error: string, error_type: string) => JSON.stringify({ error, error_type });
// A deterministic stand-in for the model's token log-probability (greedy picks are likely ones).
const logprob = (id: number) => -Math.round((0.02 + ((id * 2654435761) % 997) / 2000) * 1e4) / 1e4;

interface TgiState {
  inFlight: number;
  failures: Record<string, number>;
  requests: number;
  success: number;
}
const st = (ctx: SimContext) =>
  serverState<TgiState>(ctx, 'tgi', () => ({ inFlight: 0, failures: {}, requests: 0, success: 0 }));

function info(ctx: SimContext) {
  const E = ctx.profile.engine;
  return {
    model_id: ctx.profile.model.hf_id,
    model_sha: null,
    model_pipeline_tag: 'text-generation',
    max_concurrent_requests: E.max_concurrent_requests ?? 128,
    max_best_of: 2,
    max_stop_sequences: 4,
    max_input_tokens: E.max_input_tokens ?? E.max_model_len - 1,
    max_total_tokens: E.max_model_len,
    validation_workers: 2,
    max_client_batch_size: 4,
    router: 'text-generation-router',
    version: ctx.profile.backend.server_version,
    sha: null,
    docker_label: null,
  };
}

function metrics(ctx: SimContext): string {
  const e = ctx.engine;
  const s = e.stats;
  const T = st(ctx);
  const x = new Exposition();
  x.counter('tgi_request_count', 'Total requests', {}, T.requests);
  x.counter('tgi_request_success', 'Successful requests', {}, T.success);
  x.family('tgi_request_failure', 'counter', 'Failed requests');
  for (const [err, n] of Object.entries(T.failures)) x.sample('tgi_request_failure', { err }, n);
  x.gauge('tgi_queue_size', 'Requests waiting', {}, e.numWaiting);
  x.gauge('tgi_batch_current_size', 'Current batch size', {}, e.numRunning);
  x.gauge(
    'tgi_batch_current_max_tokens',
    'KV tokens in use',
    {},
    Math.round(e.kvUsage * e.totalBlocks * ctx.profile.engine.block_size),
  );
  x.histogram('tgi_request_duration', 'End-to-end request duration (s)', {}, s.e2e);
  x.histogram('tgi_request_queue_duration', 'Time in queue (s)', {}, s.queue);
  x.histogram('tgi_request_mean_time_per_token_duration', 'Mean time per generated token (s)', {}, s.itl);
  x.histogram('tgi_request_generated_tokens', 'Generated tokens per request', {}, s.generationHist);
  x.histogram('tgi_request_input_length', 'Input tokens per request', {}, s.promptHist);
  x.histogram('tgi_batch_inference_duration', 'Batch forward duration (s)', { method: 'decode' }, s.stepTime);
  return x.text();
}

type GenerateBody = { inputs: string; parameters?: Record<string, unknown>; stream?: boolean };

/** The /generate body, or undefined once it is refused as axum's Json extractor refuses it (plain text). */
async function readGenerate(req: IncomingMessage, res: ServerResponse): Promise<GenerateBody | undefined> {
  const r = await readBody(req);
  // axum's Json extractor rejection: plain text, 400 for syntax errors.
  if (!r.ok) return void sendText(res, 400, `Failed to parse the request body as JSON: ${r.message}`);
  const body = r.body;
  if (typeof body !== 'object' || body === null || typeof (body as { inputs?: unknown }).inputs !== 'string') {
    return void sendText(
      res,
      422,
      'Failed to deserialize the JSON body into the target type: missing field `inputs` at line 1 column 2',
    );
  }
  return body as GenerateBody;
}

/** The router's validation (validation.rs), in its order: the refusal, or the max_new_tokens to generate. */
function validate(
  params: Record<string, unknown>,
  inputLength: number,
  ctx: SimContext,
): { error: string } | { maxNew: number } {
  const E = ctx.profile.engine;
  const maxTotal = E.max_model_len;
  const maxInput = E.max_input_tokens ?? maxTotal - 1;
  const mnt = params.max_new_tokens;
  if (mnt !== undefined && mnt !== null && !(Number.isInteger(mnt) && (mnt as number) > 0))
    return { error: 'Input validation error: `max_new_tokens` must be strictly positive' };
  const temp = params.temperature;
  if (temp !== undefined && temp !== null && !(typeof temp === 'number' && temp > 0))
    return { error: 'Input validation error: `temperature` must be strictly positive' };
  const topP = params.top_p;
  if (topP !== undefined && topP !== null && !(typeof topP === 'number' && topP > 0 && topP < 1))
    return { error: 'Input validation error: `top_p` must be > 0.0 and < 1.0' };
  if (inputLength > maxInput)
    return {
      error: `Input validation error: \`inputs\` must have less than ${maxInput} tokens. Given: ${inputLength}`,
    };
  const maxNew = (mnt as number | null | undefined) ?? maxTotal - inputLength;
  if (inputLength + maxNew > maxTotal)
    return {
      error: `Input validation error: \`inputs\` tokens + \`max_new_tokens\` must be <= ${maxTotal}. Given: ${inputLength} \`inputs\` tokens and ${maxNew} \`max_new_tokens\``,
    };
  return { maxNew };
}

/** One admitted generate request. */
interface Admitted {
  ctx: SimContext;
  req: IncomingMessage;
  res: ServerResponse;
  g: GenerateRequest;
  inputs: string;
  inputLength: number;
  /** GenerateParameters.details is `#[serde(default)] bool`: false unless asked. */
  details: boolean;
  seed: number | null;
  /** The request is over (in-flight count); idempotent. */
  done: () => void;
}

async function handleGenerate(
  stream: boolean | 'body',
  req: IncomingMessage,
  res: ServerResponse,
  ctx: SimContext,
): Promise<void> {
  const b = await readGenerate(req, res);
  if (!b) return;
  const streamed = stream === 'body' ? b.stream === true : stream;
  const params = b.parameters ?? {};
  const inputLength = promptTokenCount(ctx.tok, b.inputs);
  const T = st(ctx);
  T.requests++;
  const fail = (status: number, error: string, type: string) => {
    T.failures[type] = (T.failures[type] ?? 0) + 1;
    if (!streamed) return tgiError(res, status, error, type);
    const sse = new Sse(res, tgiSse(ctx, b.inputs));
    sse.open();
    sse.send(errorEvent(error, type));
    sse.end();
  };
  const v = validate(params, inputLength, ctx);
  if ('error' in v) return fail(422, v.error, 'validation');
  if (T.inFlight >= (ctx.profile.engine.max_concurrent_requests ?? 128))
    return fail(429, 'Model is overloaded', 'overloaded');
  if (ctx.faults.overloaded(ctx.engine.numWaiting))
    return fail(503, 'Model is overloaded (fault injection: overload_queue)', 'overloaded');
  ctx.onInferenceRequest();
  const injected = ctx.faults.error();
  if (injected && !streamed)
    return fail(424, 'Request failed during generation (fault injection: error_rate)', 'generation');
  const a: Admitted = {
    ctx,
    req,
    res,
    g: {
      prompt: b.inputs,
      promptTokens: inputLength,
      maxTokens: v.maxNew,
      ignoreEos: false,
      errorAt: injected ? ctx.faults.errorAfter(v.maxNew) : undefined,
    },
    inputs: b.inputs,
    inputLength,
    details: params.details === true,
    seed: Number.isInteger(params.seed) ? (params.seed as number) : null,
    done: inFlight(T, res),
  };
  if (streamed) streamTokens(a, T);
  else respondWhole(a, T);
}

/** Counts the request in flight until the returned function (or the connection's close) ends it. */
function inFlight(T: TgiState, res: ServerResponse): () => void {
  T.inFlight++;
  let counted = true;
  const done = () => {
    if (counted) T.inFlight--;
    counted = false;
  };
  res.once('close', done);
  return done;
}

/** /generate_stream: one StreamResponse per token, the last with generated_text (and details when asked). */
function streamTokens(a: Admitted, T: TgiState): void {
  const sse = new Sse(a.res, tgiSse(a.ctx, a.inputs));
  sse.open();
  const pieces: string[] = [];
  generate(a.ctx, a.req, a.res, a.g, {
    onToken: (i, id, piece, s, _json, special) => {
      if (!special) pieces.push(piece);
      const last = s.generated >= s.target;
      // StreamResponse field order; top_tokens is skipped when empty; the EOS token is `special` and its text
      // is not part of generated_text.
      sse.send({
        index: i + 1,
        token: { id, text: special ? '</s>' : piece, logprob: logprob(id), special },
        generated_text: last ? pieces.join('') : null,
        details:
          last && a.details
            ? {
                finish_reason: finish(s.reason),
                generated_tokens: s.generated,
                seed: a.seed,
                input_length: a.inputLength,
              }
            : null,
      });
    },
    onFinish: () => {
      T.success++;
      a.done();
      sse.end();
    },
    onError: () => {
      T.failures.generation = (T.failures.generation ?? 0) + 1;
      a.done();
      sse.send(
        errorEvent(
          'Request failed during generation: simulated engine failure (fault injection: error_rate)',
          'generation',
        ),
      );
      sse.end();
    },
  });
}

/** /generate: one GenerateResponse at the end, with the token details when asked. */
function respondWhole(a: Admitted, T: TgiState): void {
  const tokens: { id: number; text: string; logprob: number; special: boolean }[] = [];
  generate(a.ctx, a.req, a.res, a.g, {
    onToken: (_i, id, piece, _s, _json, special) =>
      void tokens.push({ id, text: special ? '</s>' : piece, logprob: logprob(id), special }),
    onFinish: (reason, n) => {
      T.success++;
      a.done();
      const out = {
        generated_text: tokens
          .filter((t) => !t.special)
          .map((t) => t.text)
          .join(''),
        ...(a.details
          ? { details: { finish_reason: finish(reason), generated_tokens: n, seed: a.seed, prefill: [], tokens } }
          : {}),
      };
      sendJson(a.res, 200, out, {
        'x-compute-type': 'gpu+optimized',
        'x-prompt-tokens': String(a.inputLength),
        'x-generated-tokens': String(n),
      });
    },
  });
}

export const tgi: Dialect = {
  kind: 'tgi',
  defaultServedModel: 'tgi',
  async handle(req, res, url, ctx) {
    const { p, m, ready } = door(req, url, ctx);
    if (m === 'GET' && p === '/health')
      return ready ? sendText(res, 200, '') : tgiError(res, 503, 'unhealthy', 'healthcheck');
    if (m === 'GET' && p === '/info') return sendJson(res, 200, info(ctx));
    if (m === 'GET' && p === '/metrics') return sendText(res, 200, metrics(ctx), 'text/plain; version=0.0.4');
    if (m === 'GET' && p === '/v1/models')
      return sendModelList(res, ctx, ctx.profile.model.hf_id, ctx.profile.model.hf_id);
    const routes: Record<string, () => Promise<void>> = {
      '/generate': () => handleGenerate(false, req, res, ctx),
      '/generate_stream': () => handleGenerate(true, req, res, ctx),
      '/': () => handleGenerate('body', req, res, ctx),
      '/v1/completions': () => handleOpenAi('completion', req, res, ctx, flavour(ctx)),
      '/v1/chat/completions': () => handleOpenAi('chat', req, res, ctx, flavour(ctx)),
    };
    if (m === 'POST' && routes[p]) {
      if (!ready) return tgiError(res, 503, 'The server is starting up (fault injection: slow_start_s)', 'unhealthy');
      return routes[p]();
    }
    return sendText(res, 404, '');
  },
};

function flavour(ctx: SimContext): OpenAiFlavour {
  return {
    error: (res, status, message, type) =>
      tgiError(
        res,
        status,
        message,
        type === 'NotFoundError' ? 'validation' : type === 'InternalServerError' ? 'generation' : 'validation',
      ),
    checkModel: () => undefined,
    responseModel: () => ctx.profile.model.hf_id,
    systemFingerprint: `${ctx.profile.backend.server_version}-native`,
    contextError: (prompt, max, limit) => ({
      status: 422,
      type: 'validation',
      message: `Input validation error: \`inputs\` tokens + \`max_new_tokens\` must be <= ${limit}. Given: ${prompt} \`inputs\` tokens and ${max ?? 0} \`max_new_tokens\``,
    }),
    defaultMaxTokens: (_k, prompt, limit) => limit - prompt,
    validation: { status: 422, type: 'validation' },
    // TGI's Messages API has no ignore_eos or min_tokens: they are dropped like any unknown field.
    unsupported: ['ignore_eos', 'min_tokens'],
    style: 'tgi',
    sse: tgiSse(ctx, ''),
    // InferError::into_openai_event: every in-stream error is reported with http_status_code 422.
    streamError: (message) => JSON.stringify({ error: { message, http_status_code: 422 } }),
    errorsInStream: true,
  };
}
