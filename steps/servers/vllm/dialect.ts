/**
 * vLLM's OpenAI-compatible API server: /v1/completions, /v1/chat/completions, /v1/models, /health, /version,
 * /metrics (vllm:* names). Error bodies are vLLM >= 0.10's ErrorResponse, {"error": {message, type, param, code}}
 * (protocol.py ErrorInfo; api_server.py returns it as JSONResponse with status = code, compact JSON). Errors inside
 * a stream are json.dumps of the same object (serving_engine.py create_streaming_error_response), then [DONE].
 */
import type { ServerResponse } from 'node:http';
import { Exposition } from '../../sim/metrics.js';
import { sendJson, sendText, type SimContext } from '../../sim/shared.js';
import { handleOpenAi, type OpenAiFlavour } from '../../sim/dialects/openai.js';
import { now, type Dialect } from '../../sim/dialects/types.js';

function vllmError(res: ServerResponse, status: number, message: string, type: string): void {
  sendJson(res, status, { error: { message, type, param: null, code: status } });
}

/** Python's json.dumps separators (", " and ": "), as create_streaming_error_response writes it. */
const vllmStreamError = (message: string) =>
  `{"error": {"message": ${JSON.stringify(message)}, "type": "BadRequestError", "param": null, "code": 400}}`;

export function vllmMetrics(ctx: SimContext, labels: Record<string, string>): Exposition {
  const e = ctx.engine;
  const s = e.stats;
  const x = new Exposition();
  x.family('vllm:num_requests_running', 'gauge', 'Number of requests in model execution batches.').sample(
    'vllm:num_requests_running',
    labels,
    e.numRunning,
  );
  x.family('vllm:num_requests_waiting', 'gauge', 'Number of requests waiting to be processed.').sample(
    'vllm:num_requests_waiting',
    labels,
    e.numWaiting,
  );
  x.family('vllm:kv_cache_usage_perc', 'gauge', 'KV-cache usage. 1 means 100 percent usage.').sample(
    'vllm:kv_cache_usage_perc',
    labels,
    e.kvUsage,
  );
  x.family(
    'vllm:gpu_cache_usage_perc',
    'gauge',
    'GPU KV-cache usage. 1 means 100 percent usage (deprecated name).',
  ).sample('vllm:gpu_cache_usage_perc', labels, e.kvUsage);
  x.family('vllm:num_preemptions_total', 'counter', 'Cumulative number of preemptions from the engine.').sample(
    'vllm:num_preemptions_total',
    labels,
    s.preemptions,
  );
  x.family('vllm:prompt_tokens_total', 'counter', 'Number of prefill tokens processed.').sample(
    'vllm:prompt_tokens_total',
    labels,
    s.promptTokens,
  );
  x.family('vllm:generation_tokens_total', 'counter', 'Number of generation tokens processed.').sample(
    'vllm:generation_tokens_total',
    labels,
    s.generationTokens,
  );
  x.family('vllm:request_success_total', 'counter', 'Count of successfully processed requests.');
  x.sample('vllm:request_success_total', { ...labels, finished_reason: 'length' }, s.finished.length);
  x.sample('vllm:request_success_total', { ...labels, finished_reason: 'stop' }, s.finished.stop);
  x.sample('vllm:request_success_total', { ...labels, finished_reason: 'abort' }, s.finished.abort);
  x.histogram('vllm:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', labels, s.ttft);
  x.histogram('vllm:inter_token_latency_seconds', 'Histogram of inter-token latency in seconds.', labels, s.itl);
  x.histogram(
    'vllm:time_per_output_token_seconds',
    'Histogram of time per output token in seconds (deprecated name).',
    labels,
    s.itl,
  );
  x.histogram('vllm:e2e_request_latency_seconds', 'Histogram of end to end request latency in seconds.', labels, s.e2e);
  x.histogram(
    'vllm:request_queue_time_seconds',
    'Histogram of time spent in WAITING phase for request.',
    labels,
    s.queue,
  );
  x.histogram(
    'vllm:request_prefill_time_seconds',
    'Histogram of time spent in PREFILL phase for request.',
    labels,
    s.prefill,
  );
  x.histogram(
    'vllm:request_decode_time_seconds',
    'Histogram of time spent in DECODE phase for request.',
    labels,
    s.decode,
  );
  x.histogram('vllm:request_prompt_tokens', 'Number of prefill tokens processed.', labels, s.promptHist);
  x.histogram('vllm:request_generation_tokens', 'Number of generation tokens processed.', labels, s.generationHist);
  x.histogram('vllm:iteration_tokens_total', 'Histogram of number of tokens per engine_step.', labels, s.stepTokens);
  // Not a vLLM metric: how far the simulator itself fell behind its simulated clock (0 when it keeps up).
  x.histogram(
    'llmbench_sim_step_lag_seconds',
    'Simulator only: lateness of engine steps behind simulated time.',
    labels,
    s.lag,
  );
  x.family('llmbench_sim_step_lag_max_seconds', 'gauge', 'Simulator only: worst step lateness.').sample(
    'llmbench_sim_step_lag_max_seconds',
    labels,
    s.maxLag,
  );
  x.family('vllm:cache_config_info', 'gauge', 'Information of the LLMEngine CacheConfig.').sample(
    'vllm:cache_config_info',
    {
      ...labels,
      block_size: String(ctx.profile.engine.block_size),
      gpu_memory_utilization: String(ctx.profile.engine.gpu_memory_utilization),
      num_gpu_blocks: String(e.totalBlocks),
      enforce_eager: String(ctx.profile.engine.enforce_eager),
    },
    1,
  );
  return x;
}

export const vllm: Dialect = {
  kind: 'vllm',
  defaultServedModel: 'mistral',
  async handle(req, res, url, ctx) {
    const p = url.pathname;
    const ready = ctx.faults.ready(now(ctx));
    const flavour: OpenAiFlavour = {
      error: vllmError,
      checkModel: (m) =>
        m === undefined || m === null || m === ctx.servedModel
          ? undefined
          : `The model \`${String(m)}\` does not exist.`,
      responseModel: () => ctx.servedModel,
      contextError: (prompt, max, limit) =>
        max === undefined
          ? {
              status: 400,
              type: 'BadRequestError',
              message: `This model's maximum context length is ${limit} tokens. However, you requested ${prompt} tokens in the messages, Please reduce the length of the messages.`,
            }
          : {
              status: 400,
              type: 'BadRequestError',
              message: `This model's maximum context length is ${limit} tokens. However, you requested ${prompt + max} tokens (${prompt} in the messages, ${max} in the completion). Please reduce the length of the messages or completion.`,
            },
      defaultMaxTokens: (kind, prompt, limit) => (kind === 'completion' ? 16 : limit - prompt),
      validation: { status: 400, type: 'BadRequestError' },
      style: 'vllm',
      // Starlette's StreamingResponse adds the charset to text/ media types; uvicorn writes no keep-alive.
      sse: { prefix: 'data: ', headers: { 'content-type': 'text/event-stream; charset=utf-8' } },
      streamError: vllmStreamError,
    };
    if (req.method === 'GET' && (p === '/health' || p === '/ping'))
      return ready ? sendText(res, 200, '') : sendText(res, 503, '');
    if (req.method === 'GET' && p === '/version')
      return sendJson(res, 200, { version: ctx.profile.backend.server_version });
    if (req.method === 'GET' && p === '/metrics')
      return sendText(
        res,
        200,
        vllmMetrics(ctx, { model_name: ctx.servedModel, engine: '0' }).text(),
        'text/plain; version=0.0.4; charset=utf-8',
      );
    if (req.method === 'GET' && p === '/v1/models') {
      return sendJson(res, 200, {
        object: 'list',
        data: [
          {
            id: ctx.servedModel,
            object: 'model',
            created: Math.floor(ctx.startedAt / 1000),
            owned_by: 'vllm',
            root: ctx.profile.model.hf_id,
            parent: null,
            max_model_len: ctx.profile.engine.max_model_len,
            permission: [],
          },
        ],
      });
    }
    if (req.method === 'POST' && (p === '/v1/completions' || p === '/v1/chat/completions')) {
      if (!ready)
        return vllmError(
          res,
          503,
          'The server is starting up (fault injection: slow_start_s)',
          'ServiceUnavailableError',
        );
      if (ctx.faults.overloaded(ctx.engine.numWaiting))
        return vllmError(
          res,
          503,
          `Server overloaded: ${ctx.engine.numWaiting} requests waiting (fault injection: overload_queue)`,
          'ServiceUnavailableError',
        );
      return handleOpenAi(p === '/v1/completions' ? 'completion' : 'chat', req, res, ctx, flavour);
    }
    if (['/health', '/v1/models', '/v1/completions', '/v1/chat/completions', '/metrics', '/version'].includes(p))
      return sendJson(res, 405, { detail: 'Method Not Allowed' });
    return sendJson(res, 404, { detail: 'Not Found' });
  },
};
