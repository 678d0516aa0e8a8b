/** vLLM's OpenAI-compatible server (vllm-project/vllm, vllm/entrypoints/openai/api_server.py). */
import { apiPortMetrics, healthProbes, type MetricsSpec, type ServerDef } from '../types.js';
import { vllmAdapter } from './adapter.js';
import { vllm as dialect } from './dialect.js';

const VERSION = '0.10.2';

/** vLLM's own series (vllm/v1/metrics/loggers.py); Triton's vLLM backend re-exports the same names. */
export const VLLM_METRIC_NAMES: MetricsSpec['names'] = {
  running: ['vllm:num_requests_running'],
  waiting: ['vllm:num_requests_waiting'],
  // vLLM ≥ 0.10 renamed gpu_cache_usage_perc to kv_cache_usage_perc; both are a 0..1 fraction.
  kv_cache_usage: ['vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc'],
  preemptions_total: ['vllm:num_preemptions_total', 'vllm:num_preemptions'],
  generation_tokens_total: ['vllm:generation_tokens_total'],
};

export const vllm: ServerDef = {
  name: 'vllm',
  title: 'vLLM',
  version: VERSION,
  upstream: 'https://github.com/vllm-project/vllm',
  adapter: vllmAdapter,
  dialect,
  endpoints: {
    ...healthProbes('/health'),
    version: { path: '/version', field: 'version' },
    models: { method: 'GET', path: '/v1/models' },
  },
  metrics: apiPortMetrics(VLLM_METRIC_NAMES),
  container: {
    port: 8000,
    extraPorts: [],
    images: {
      nvidia: `docker.io/vllm/vllm-openai:v${VERSION}`,
      amd: `docker.io/rocm/vllm:rocm7.0.0_vllm_${VERSION}_20251006`,
    },
    command: ['python3', '-m', 'vllm.entrypoints.openai.api_server'],
    args: (o, s) => [
      '--model',
      o.model,
      '--served-model-name',
      o.servedName,
      '--host',
      '0.0.0.0',
      '--port',
      '8000',
      '--max-model-len',
      String(s.max_model_len),
      '--gpu-memory-utilization',
      String(s.gpu_memory_utilization),
      '--dtype',
      s.dtype,
      ...(s.enforce_eager ? ['--enforce-eager'] : []),
      ...(s.vllm_quantization ? ['--quantization', s.vllm_quantization] : []),
      ...o.engineArgs,
    ],
    env: [{ name: 'VLLM_NO_USAGE_STATS', value: '1' }],
    shmSize: '2Gi',
  },
  dockerfile: 'docker/vllm/Dockerfile',
};
