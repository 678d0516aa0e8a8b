/** SGLang (sgl-project/sglang): `python3 -m sglang.launch_server` (python/sglang/launch_server.py, srt/server_args.py). */
import { apiPortMetrics, defineServer, launcherArgs, simpleEndpoints } from '../types.js';
import { sglangAdapter } from './adapter.js';
import { sglang as dialect } from './dialect.js';

export const sglang = defineServer('sglang', {
  title: 'SGLang',
  version: '0.5.2',
  upstream: 'https://github.com/sgl-project/sglang',
  // /health runs a one-token generation when idle and answers 503 while the server starts (http_server.py).
  endpoints: simpleEndpoints('/health', '/get_server_info', '/get_model_info'),
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
    images: (v) => ({ nvidia: `docker.io/lmsysorg/sglang:v${v}-cu126`, amd: null }),
    command: ['python3', '-m', 'sglang.launch_server'],
    // Flags from python/sglang/srt/server_args.py (add_cli_args); "bitsandbytes" is one of its QUANTIZATION_CHOICES.
    args: launcherArgs(30000, {
      model: '--model-path',
      contextLength: '--context-length',
      memoryFraction: '--mem-fraction-static',
      always: ['--enable-metrics'],
      eager: '--disable-cuda-graph',
    }),
  },
  adapter: sglangAdapter,
  dialect,
});
