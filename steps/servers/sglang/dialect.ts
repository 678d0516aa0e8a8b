/**
 * SGLang's HTTP server (sgl-project/sglang python/sglang/srt/entrypoints/http_server.py): GET /health (503 while
 * starting), /get_model_info, /get_server_info (carries `version`), /v1/models, /metrics (sglang:* names, served
 * only with --enable-metrics, which our manifests pass); POST /generate (native, `stream` in the body) and the
 * OpenAI-compatible /v1/completions and /v1/chat/completions. Errors on the OpenAI routes are SGLang's ErrorResponse
 * ({object: "error", message, type, param, code}; request validation is 400 "Bad Request", not FastAPI's 422); on
 * /generate `{"error": {"message"}}`. A check that fails inside a stream (context length, sampling parameters) is
 * an SSE error event under the 200 already sent. Frames checked against test/fixtures/wire/sglang.
 * SGLang serves one model and does not reject other `model` names on the OpenAI routes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Exposition } from '../../sim/metrics.js';
import { Sse, generate, readBody, sendJson, sendText, type SimContext } from '../../sim/shared.js';
import { promptTokenCount } from '../../sim/textgen.js';
import { handleOpenAi, sendModelList, type Frames, type OpenAiFlavour } from '../../sim/dialects/openai.js';
import { door, serverState, type Dialect } from '../../sim/dialects/types.js';

/** Starlette's StreamingResponse(media_type="text/event-stream") adds the charset to a text/* type. */
const SGLANG_SSE = { prefix: 'data: ', headers: { 'content-type': 'text/event-stream; charset=utf-8' } };

function sglangError(res: ServerResponse, status: number, message: string, type = 'Bad Request'): void {
  sendJson(res, status, { object: 'error', message, type, param: null, code: status });
}

interface SglangState {
  requests: number;
}
const st = (ctx: SimContext) => serverState<SglangState>(ctx, 'sglang', () => ({ requests: 0 }));

/** The scheduler's and tokenizer manager's collectors (python/sglang/srt/metrics/collector.py). */
export function sglangMetrics(ctx: SimContext): string {
  const e = ctx.engine;
  const s = e.stats;
  const L = { model_name: ctx.servedModel };
  const x = new Exposition();
  const gauge = (name: string, help: string, v: number) => x.gauge(name, help, L, v);
  gauge('sglang:num_running_reqs', 'The number of running requests.', e.numRunning);
  gauge('sglang:num_queue_reqs', 'The number of requests in the waiting queue.', e.numWaiting);
  gauge(
    'sglang:num_used_tokens',
    'The number of used tokens.',
    Math.round(e.kvUsage * e.totalBlocks * ctx.profile.engine.block_size),
  );
  gauge('sglang:token_usage', 'The token usage.', e.kvUsage);
  gauge(
    'sglang:max_total_num_tokens',
    'Maximum total number of tokens in the KV cache pool.',
    e.totalBlocks * ctx.profile.engine.block_size,
  );
  gauge('sglang:cache_hit_rate', 'The prefix cache hit rate.', 0);
  x.counter('sglang:prompt_tokens_total', 'Number of prefill tokens processed.', L, s.promptTokens);
  x.counter('sglang:generation_tokens_total', 'Number of generation tokens processed.', L, s.generationTokens);
  x.counter('sglang:num_requests_total', 'Number of requests processed.', L, st(ctx).requests);
  x.histogram('sglang:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', L, s.ttft);
  x.histogram('sglang:inter_token_latency_seconds', 'Histogram of inter-token latency in seconds.', L, s.itl);
  x.histogram('sglang:e2e_request_latency_seconds', 'Histogram of End-to-end request latency in seconds', L, s.e2e);
  return x.text();
}

type Json = Record<string, unknown>;
const ABORT_MESSAGE = 'Simulated engine failure (fault injection: error_rate)';
/** Mistral's </s> is token id 2 (the model profiles' tokenizer). */
const MISTRAL_EOS = 2;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** meta_info.finish_reason as SGLang's FINISH_* classes serialize it (python/sglang/srt/managers/schedule_batch.py). */
const finishReason = (r: string, n: number, eos: number) =>
  r === 'stop' ? { type: 'stop', matched: eos } : { type: 'length', length: n };

/** The native route's error body: http_server.py `_create_error_response(e)` = {"error": {"message": str(e)}}, 400. */
const nativeError = (res: ServerResponse, message: string) => sendJson(res, 400, { error: { message } });

/**
 * What the tokenizer manager checks before it sends a request to the scheduler (io_struct.py
 * normalize_batch_and_arguments, SamplingParams.verify, _validate_one_request); each is a ValueError there.
 */
function nativeProblem(body: unknown, ctx: SimContext): string | { promptTokens: number; maxNew: number } {
  if (!isObj(body) || typeof body.text !== 'string')
    return 'Either text, input_ids or input_embeds should be provided.';
  const sp = isObj(body.sampling_params) ? body.sampling_params : {};
  const mnt = sp.max_new_tokens;
  // SamplingParams.verify(): max_new_tokens >= 0, temperature >= 0; default max_new_tokens 128.
  if (mnt !== undefined && mnt !== null && !(Number.isInteger(mnt) && (mnt as number) >= 0))
    return `max_new_tokens must be at least 0, got ${String(mnt)}.`;
  const temp = sp.temperature;
  if (temp !== undefined && !(typeof temp === 'number' && temp >= 0))
    return `temperature must be non-negative, got ${String(temp)}.`;
  const limit = ctx.profile.engine.max_model_len;
  const promptTokens = promptTokenCount(ctx.tok, body.text);
  if (promptTokens >= limit)
    return `The input (${promptTokens} tokens) is longer than the model's context length (${limit} tokens).`;
  return { promptTokens, maxNew: Math.min((mnt as number | undefined) ?? 128, limit - promptTokens) };
}

/**
 * meta_info as tokenizer_manager._handle_batch_output builds it, in its key order; `response_sent_to_client_ts`
 * is stamped by _wait_one_response on the first streamed output that is not the last, `e2e_latency` on the last.
 */
function nativeMeta(rid: string, promptTokens: number, n: number, finish: unknown, stamp: 'first' | null) {
  const m: Json = {
    id: rid,
    finish_reason: finish,
    prompt_tokens: promptTokens,
    weight_version: 'default',
    total_retractions: 0,
    completion_tokens: n,
    cached_tokens: 0,
  };
  if (stamp === 'first') m.response_sent_to_client_ts = Date.now() / 1000;
  return m;
}

/** Native POST /generate: {text, sampling_params, stream}; GenerateReqInput in io_struct.py. */
async function handleGenerate(req: IncomingMessage, res: ServerResponse, ctx: SimContext): Promise<void> {
  const r = await readBody(req);
  if (!r.ok) return sglangError(res, 400, r.message);
  const body = r.body;
  const stream = isObj(body) && body.stream === true;
  const checked = nativeProblem(body, ctx);
  if (typeof checked === 'string') {
    // The check runs inside the stream generator: a streamed request has its 200 already (http_server.py stream_results).
    if (!stream) return nativeError(res, checked);
    const sse = new Sse(res, SGLANG_SSE);
    sse.open();
    sse.send({ error: { message: checked } });
    sse.send('[DONE]');
    return sse.end();
  }
  if (ctx.faults.overloaded(ctx.engine.numWaiting))
    return sglangError(res, 503, 'Server overloaded (fault injection: overload_queue)', 'Service Unavailable');
  ctx.onInferenceRequest();
  st(ctx).requests++;
  const injected = ctx.faults.error();
  // A failure after the 200 of a stream is a scheduler abort (below); before a plain request's answer, a 500.
  if (injected && !stream) return sglangError(res, 500, 'Simulated engine failure (fault injection: error_rate)');
  runGenerate(req, res, ctx, body as Json, checked, stream, injected);
}

function runGenerate(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: SimContext,
  body: Json,
  c: { promptTokens: number; maxNew: number },
  stream: boolean,
  injected = false,
): void {
  const sp = isObj(body.sampling_params) ? body.sampling_params : {};
  const rid = randomBytes(16).toString('hex');
  const t0 = Date.now();
  const g = {
    prompt: body.text as string,
    promptTokens: c.promptTokens,
    maxTokens: Math.max(1, c.maxNew),
    minTokens: Number.isInteger(sp.min_new_tokens) ? (sp.min_new_tokens as number) : 0,
    ignoreEos: sp.ignore_eos === true,
    errorAt: injected ? ctx.faults.errorAfter(Math.max(1, c.maxNew)) : undefined,
  };
  let text = '';
  // output_ids are cumulative unless the server runs with --stream-output (off by default; our manifests don't set it).
  const ids: number[] = [];
  // The last output: e2e_latency (_handle_batch_output), then response_sent_to_client_ts if no earlier output
  // was sent (_wait_one_response's finished branch: a one-output stream, or a non-streamed request).
  const final = (reason: string, n: number, unsent: boolean) => ({
    ...nativeMeta(rid, c.promptTokens, n, finishReason(reason, n, MISTRAL_EOS), null),
    e2e_latency: (Date.now() - t0) / 1000,
    ...(unsent ? { response_sent_to_client_ts: Date.now() / 1000 } : {}),
  });
  if (stream) {
    const sse = new Sse(res, SGLANG_SSE);
    sse.open();
    generate(ctx, req, res, g, {
      onToken: (i, id, piece, s) => {
        text += piece;
        ids.push(id);
        const last = s.generated >= s.target;
        const meta = last
          ? final(s.reason, i + 1, i === 0)
          : nativeMeta(rid, c.promptTokens, i + 1, null, i === 0 ? 'first' : null);
        sse.send({ text, output_ids: [...ids], meta_info: meta });
      },
      onFinish: () => {
        sse.send('[DONE]');
        sse.end();
      },
      // In stream mode tokenizer_manager._wait_one_response yields a scheduler abort as the last output (no new
      // token; FINISH_ABORT.to_json()), then http_server writes [DONE].
      onError: (i) => {
        const abort = { type: 'abort', message: ABORT_MESSAGE, status_code: 500, err_type: 'InternalServerError' };
        const meta = { ...nativeMeta(rid, c.promptTokens, i, abort, null), e2e_latency: (Date.now() - t0) / 1000 };
        sse.send({ text, output_ids: [...ids], meta_info: meta });
        sse.send('[DONE]');
        sse.end();
      },
    });
    return;
  }
  generate(ctx, req, res, g, {
    onToken: (_i, id, piece) => {
      text += piece;
      ids.push(id);
    },
    onFinish: (reason, n) => sendJson(res, 200, { text, output_ids: ids, meta_info: final(reason, n, true) }),
  });
}

/**
 * /v1/completions chunks (entrypoints/openai/serving_completions.py, protocol.py): `model_dump_json()` of
 * CompletionStreamResponse {id: the request's rid (uuid hex, no prefix), object, created, model, choices, usage: null}
 * with CompletionResponseStreamChoice {index, text, logprobs, finish_reason, matched_stop} (hidden_states dropped when
 * None); an EOS stop names the matched token id. The include_usage chunk is `model_dump_json(exclude_none=True)`:
 * prompt_tokens_details (None) is dropped, reasoning_tokens (default 0) stays.
 */
function completionFrames(head: string): Frames {
  return {
    token: (json, r) =>
      head +
      `{"index":0,"text":${json},"logprobs":null,"finish_reason":${r ? `"${r}"` : 'null'},"matched_stop":${r === 'stop' ? MISTRAL_EOS : 'null'}}],"usage":null}`,
    usage: (p, c) =>
      head + `],"usage":{"prompt_tokens":${p},"total_tokens":${p + c},"completion_tokens":${c},"reasoning_tokens":0}}`,
  };
}

/**
 * /v1/chat/completions (serving_chat.py _generate_chat_stream): the role chunk with the first output; a content
 * chunk per output whose delta is not empty (none for the EOS); after the last output one finish chunk with an empty
 * DeltaMessage (every field null); the usage chunk is `model_dump_json()` (nulls kept).
 */
function chatFrames(head: string): Frames {
  const chunk = (delta: string, r: string | null) =>
    head +
    `{"index":0,"delta":{${delta},"reasoning_content":null,"tool_calls":null},"logprobs":null,"finish_reason":${r ? `"${r}"` : 'null'},"matched_stop":${r === 'stop' ? MISTRAL_EOS : 'null'}}],"usage":null}`;
  return {
    first: chunk('"role":"assistant","content":""', null),
    token: (json, r) => [
      ...(json === '""' ? [] : [chunk(`"role":null,"content":${json}`, null)]),
      ...(r ? [chunk('"role":null,"content":null', r)] : []),
    ],
    usage: (p, c) =>
      head +
      `],"usage":{"prompt_tokens":${p},"total_tokens":${p + c},"completion_tokens":${c},"prompt_tokens_details":null,"reasoning_tokens":0}}`,
  };
}

/** The chunks' common head: the rid without the simulator's `cmpl-`/`chatcmpl-` prefix (SGLang uses the bare rid). */
function sglangFrames(kind: 'completion' | 'chat', rid: string, created: number, model: string): Frames {
  const object = kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
  const head = `{"id":"${rid.replace(/^(chat)?cmpl-/, '')}","object":"${object}","created":${created},"model":${JSON.stringify(model)},"choices":[`;
  return kind === 'chat' ? chatFrames(head) : completionFrames(head);
}

function flavour(ctx: SimContext): OpenAiFlavour {
  return {
    error: (res, status, message, type) =>
      sglangError(res, status, message, type === 'NotFoundError' ? 'Not Found' : type),
    checkModel: () => undefined,
    responseModel: (requested) => (typeof requested === 'string' ? requested : ctx.servedModel),
    contextError: (prompt, max, limit) =>
      max === undefined
        ? {
            status: 400,
            type: 'Bad Request',
            message: `The input (${prompt} tokens) is longer than the model's context length (${limit} tokens).`,
          }
        : {
            status: 400,
            type: 'Bad Request',
            message: `Requested token count exceeds the model's maximum context length of ${limit} tokens. You requested a total of ${prompt + max} tokens: ${prompt} tokens from the input messages and ${max} tokens for the completion. Please reduce the number of tokens in the input messages or the completion to fit within the limit.`,
          },
    // CompletionRequest.max_tokens defaults to 16; chat leaves it None and SamplingParams defaults to 128.
    defaultMaxTokens: (kind, prompt, limit) => Math.min(kind === 'completion' ? 16 : 128, limit - prompt),
    validation: { status: 400, type: 'Bad Request' },
    // The OpenAI adapter (entrypoints/openai/serving_chat.py, serving_completions.py) frames chunks as vLLM does,
    // the role delta with the first output; a failure mid-stream is `data: {ErrorResponse}` then `data: [DONE]`
    // (create_streaming_error_response: object "error", message, type, param, code).
    style: 'vllm',
    sse: SGLANG_SSE,
    // Context-length and sampling checks raise ValueError inside the stream generator (tokenizer manager), after
    // the 200: serving_base.create_streaming_error_response = json.dumps({"error": ErrorResponse.model_dump()}),
    // Python's ", " / ": " separators included.
    errorsInStream: true,
    frames: (kind, rid, _object, created, model) => sglangFrames(kind, rid, created, model),
    streamError: (message) =>
      `{"error": {"object": "error", "message": ${JSON.stringify(message)}, "type": "BadRequestError", "param": null, "code": 400}}`,
  };
}

export const sglang: Dialect = {
  kind: 'sglang',
  defaultServedModel: 'mistral',
  async handle(req, res, url, ctx) {
    const { p, m, ready } = door(req, url, ctx);
    if (m === 'GET' && (p === '/health' || p === '/health_generate')) return sendText(res, ready ? 200 : 503, '');
    if (m === 'GET' && p === '/ping') return sendText(res, 200, '');
    if (m === 'GET' && p === '/get_model_info')
      return sendJson(res, 200, {
        model_path: ctx.profile.model.hf_id,
        tokenizer_path: ctx.profile.model.hf_id,
        is_generation: true,
        preferred_sampling_params: null,
        weight_version: 'default',
      });
    if (m === 'GET' && p === '/get_server_info')
      return sendJson(res, 200, {
        model_path: ctx.profile.model.hf_id,
        served_model_name: ctx.servedModel,
        context_length: ctx.profile.engine.max_model_len,
        mem_fraction_static: ctx.profile.engine.gpu_memory_utilization,
        max_total_num_tokens: ctx.engine.totalBlocks * ctx.profile.engine.block_size,
        internal_states: [],
        version: ctx.profile.backend.server_version,
      });
    if (m === 'GET' && p === '/metrics')
      return sendText(res, 200, sglangMetrics(ctx), 'text/plain; version=0.0.4; charset=utf-8');
    if (m === 'GET' && p === '/v1/models') {
      const extra = { root: ctx.servedModel, max_model_len: ctx.profile.engine.max_model_len };
      return sendModelList(res, ctx, ctx.servedModel, 'sglang', extra);
    }
    const routes: Record<string, () => Promise<void>> = {
      '/generate': () => handleGenerate(req, res, ctx),
      '/v1/completions': () => handleOpenAi('completion', req, res, ctx, flavour(ctx)),
      '/v1/chat/completions': () => handleOpenAi('chat', req, res, ctx, flavour(ctx)),
    };
    if ((m === 'POST' || (m === 'PUT' && p === '/generate')) && routes[p]) {
      // While starting, the tokenizer manager has not been set up: the real server answers 503 on /health only;
      // requests then wait — the simulator refuses them like /health does.
      if (!ready)
        return sglangError(
          res,
          503,
          'The server is starting up (fault injection: slow_start_s)',
          'Service Unavailable',
        );
      if (p !== '/generate') {
        if (ctx.faults.overloaded(ctx.engine.numWaiting))
          return sglangError(res, 503, 'Server overloaded (fault injection: overload_queue)', 'Service Unavailable');
        st(ctx).requests++;
      }
      return routes[p]();
    }
    return sendJson(res, 404, { detail: 'Not Found' });
  },
};
