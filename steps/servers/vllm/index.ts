/** vLLM's OpenAI-compatible server (vllm-project/vllm, vllm/entrypoints/openai/api_server.py). */
import { apiPortMetrics, defineServer, launcherArgs, simpleEndpoints, type MetricsSpec } from '../types.js';
import { vllmAdapter } from './adapter.js';
import { vllm as dialect } from './dialect.js';

/** vLLM's own series (vllm/v1/metrics/loggers.py); Triton's vLLM backend re-exports the same names. */
export const VLLM_METRIC_NAMES: MetricsSpec['names'] = {
  running: ['vllm:num_requests_running'],
  waiting: ['vllm:num_requests_waiting'],
  // vLLM ≥ 0.10 renamed gpu_cache_usage_perc to kv_cache_usage_perc; both are a 0..1 fraction.
  kv_cache_usage: ['vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc'],
  preemptions_total: ['vllm:num_preemptions_total', 'vllm:num_preemptions'],
  generation_tokens_total: ['vllm:generation_tokens_total'],
};

export const vllm = defineServer('vllm', {
  title: 'vLLM',
  version: '0.10.2',
  upstream: 'https://github.com/vllm-project/vllm',
  endpoints: simpleEndpoints('/health', '/version', '/v1/models'),
  metrics: apiPortMetrics(VLLM_METRIC_NAMES),
  container: {
    port: 8000,
    images: (v) => ({
      nvidia: `docker.io/vllm/vllm-openai:v${v}`,
      amd: `docker.io/rocm/vllm:rocm7.0.0_vllm_${v}_20251006`,
    }),
    command: ['python3', '-m', 'vllm.entrypoints.openai.api_server'],
    args: launcherArgs(8000, {
      model: '--model',
      contextLength: '--max-model-len',
      memoryFraction: '--gpu-memory-utilization',
      eager: '--enforce-eager',
    }),
    env: [{ name: 'VLLM_NO_USAGE_STATS', value: '1' }],
  },
  adapter: vllmAdapter,
  dialect,
});
