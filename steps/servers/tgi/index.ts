/** HuggingFace Text Generation Inference (huggingface/text-generation-inference, router/src/server.rs). */
import { apiPortMetrics, defineServer, simpleEndpoints } from '../types.js';
import { tgiAdapter } from './adapter.js';
import { tgi as dialect } from './dialect.js';

export const tgi = defineServer('tgi', {
  title: 'HuggingFace TGI',
  version: '3.3.5',
  upstream: 'https://github.com/huggingface/text-generation-inference',
  endpoints: simpleEndpoints('/health', '/info', '/info'),
  // TGI has no KV-cache fraction and no preemption counter: those are unavailable, not 0.
  metrics: apiPortMetrics({
    running: ['tgi_batch_current_size'],
    waiting: ['tgi_queue_size'],
    generation_tokens_total: ['tgi_request_generated_tokens_sum'],
  }),
  container: {
    port: 8080,
    images: (v) => ({
      nvidia: `ghcr.io/huggingface/text-generation-inference:${v}`,
      amd: `ghcr.io/huggingface/text-generation-inference:${v}-rocm`,
    }),
    args: (o, s) => [
      '--model-id',
      o.model,
      '--hostname',
      '0.0.0.0',
      '--port',
      '8080',
      '--max-total-tokens',
      String(s.max_model_len),
      ...(s.tgi_quantize ? ['--quantize', s.tgi_quantize] : []),
      ...o.engineArgs,
    ],
    env: [{ name: 'HF_HUB_ENABLE_HF_TRANSFER', value: '0' }],
  },
  adapter: tgiAdapter,
  dialect,
});
