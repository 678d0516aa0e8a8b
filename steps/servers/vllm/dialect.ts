/**
 * vLLM's OpenAI-compatible API server: /v1/completions, /v1/chat/completions, /v1/models, /health, /version,
 * /metrics (vllm:* names). Error bodies are vLLM >= 0.10's ErrorResponse, {"error": {message, type, param, code}}
 * (protocol.py ErrorInfo; api_server.py returns it as JSONResponse with status = code, compact JSON). Errors inside
 * a stream are json.dumps of the same object (serving_engine.py create_streaming_error_response), then [DONE].
 */
import type { ServerResponse } from 'node:http';
import { Exposition, type Histogram } from '../../sim/metrics.js';
import { sendJson, sendText, type SimContext } from '../../sim/shared.js';
import { handleOpenAi, sendModelList, type OpenAiFlavour } from '../../sim/dialects/openai.js';
import { door, type Dialect } from '../../sim/dialects/types.js';

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
  x.gauge('vllm:num_requests_running', 'Number of requests in model execution batches.', labels, e.numRunning);
  x.gauge('vllm:num_requests_waiting', 'Number of requests waiting to be processed.', labels, e.numWaiting);
  x.gauge('vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.', labels, e.kvUsage);
  x.gauge(
    'vllm:gpu_cache_usage_perc',
    'GPU KV-cache usage. 1 means 100 percent usage (deprecated name).',
    labels,
    e.kvUsage,
  );
  x.counter('vllm:num_preemptions_total', 'Cumulative number of preemptions from the engine.', labels, s.preemptions);
  x.counter('vllm:prompt_tokens_total', 'Number of prefill tokens processed.', labels, s.promptTokens);
  x.counter('vllm:generation_tokens_total', 'Number of generation tokens processed.', labels, s.generationTokens);
  x.family('vllm:request_success_total', 'counter', 'Count of successfully processed requests.');
  for (const finished_reason of ['length', 'stop', 'abort'] as const)
    x.sample('vllm:request_success_total', { ...labels, finished_reason }, s.finished[finished_reason]);
  const hist: [string, string, Histogram][] = [
    ['vllm:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', s.ttft],
    ['vllm:inter_token_latency_seconds', 'Histogram of inter-token latency in seconds.', s.itl],
    ['vllm:time_per_output_token_seconds', 'Histogram of time per output token in seconds (deprecated name).', s.itl],
    ['vllm:e2e_request_latency_seconds', 'Histogram of end to end request latency in seconds.', s.e2e],
    ['vllm:request_queue_time_seconds', 'Histogram of time spent in WAITING phase for request.', s.queue],
    ['vllm:request_prefill_time_seconds', 'Histogram of time spent in PREFILL phase for request.', s.prefill],
    ['vllm:request_decode_time_seconds', 'Histogram of time spent in DECODE phase for request.', s.decode],
    ['vllm:request_prompt_tokens', 'Number of prefill tokens processed.', s.promptHist],
    ['vllm:request_generation_tokens', 'Number of generation tokens processed.', s.generationHist],
    ['vllm:iteration_tokens_total', 'Histogram of number of tokens per engine_step.', s.stepTokens],
    // Not a vLLM metric: how far the simulator itself fell behind its simulated clock (0 when it keeps up).
    ['llmbench_sim_step_lag_seconds', 'Simulator only: lateness of engine steps behind simulated time.', s.lag],
  ];
  for (const [name, help, h] of hist) x.histogram(name, help, labels, h);
  x.gauge('llmbench_sim_step_lag_max_seconds', 'Simulator only: worst step lateness.', labels, s.maxLag);
  x.gauge(
    'vllm:cache_config_info',
    'Information of the LLMEngine CacheConfig.',
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
    const { p, m, ready } = door(req, url, ctx);
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
    if (m === 'GET' && (p === '/health' || p === '/ping'))
      return ready ? sendText(res, 200, '') : sendText(res, 503, '');
    if (m === 'GET' && p === '/version') return sendJson(res, 200, { version: ctx.profile.backend.server_version });
    if (m === 'GET' && p === '/metrics')
      return sendText(
        res,
        200,
        vllmMetrics(ctx, { model_name: ctx.servedModel, engine: '0' }).text(),
        'text/plain; version=0.0.4; charset=utf-8',
      );
    if (m === 'GET' && p === '/v1/models') {
      const { hf_id: root } = ctx.profile.model;
      const extra = { root, parent: null, max_model_len: ctx.profile.engine.max_model_len, permission: [] };
      return sendModelList(res, ctx, ctx.servedModel, 'vllm', extra);
    }
    if (m === 'POST' && (p === '/v1/completions' || p === '/v1/chat/completions')) {
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
