/** SGLang (sgl-project/sglang): `python3 -m sglang.launch_server` (python/sglang/launch_server.py, srt/server_args.py). */
import { apiPortMetrics, healthProbes, type ServerDef } from '../types.js';
import { sglangAdapter } from './adapter.js';
import { sglang as dialect } from './dialect.js';

const VERSION = '0.5.2';

export const sglang: ServerDef = {
  name: 'sglang',
  title: 'SGLang',
  version: VERSION,
  upstream: 'https://github.com/sgl-project/sglang',
  adapter: sglangAdapter,
  dialect,
  endpoints: {
    // /health runs a one-token generation when idle and answers 503 while the server starts (http_server.py).
    ...healthProbes('/health'),
    version: { path: '/get_server_info', field: 'version' },
    models: { method: 'GET', path: '/get_model_info' },
  },
  // python/sglang/srt/metrics/collector.py. token_usage is the KV pool's used fraction; SGLang counts
  // retractions, not vLLM-style preemptions, so preemptions_total is unavailable.
  metrics: apiPortMetrics(
    {
      running: ['sglang:num_running_reqs'],
      waiting: ['sglang:num_queue_reqs'],
      kv_cache_usage: ['sglang:token_usage'],
      generation_tokens_total: ['sglang:generation_tokens_total'],
    },
    '--enable-metrics',
  ),
  container: {
    port: 30000,
    extraPorts: [],
    images: { nvidia: `docker.io/lmsysorg/sglang:v${VERSION}-cu126`, amd: null },
    command: ['python3', '-m', 'sglang.launch_server'],
    // Flags from python/sglang/srt/server_args.py (add_cli_args); "bitsandbytes" is one of its QUANTIZATION_CHOICES.
    args: (o, s) => [
      '--model-path',
      o.model,
      '--served-model-name',
      o.servedName,
      '--host',
      '0.0.0.0',
      '--port',
      '30000',
      '--context-length',
      String(s.max_model_len),
      '--mem-fraction-static',
      String(s.gpu_memory_utilization),
      '--dtype',
      s.dtype,
      '--enable-metrics',
      ...(s.enforce_eager ? ['--disable-cuda-graph'] : []),
      ...(s.vllm_quantization ? ['--quantization', s.vllm_quantization] : []),
      ...o.engineArgs,
    ],
    env: [],
    shmSize: '2Gi',
  },
  dockerfile: 'docker/sglang/Dockerfile',
};
