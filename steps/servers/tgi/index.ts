/** HuggingFace Text Generation Inference (huggingface/text-generation-inference, router/src/server.rs). */
import { apiPortMetrics, healthProbes, type ServerDef } from '../types.js';
import { tgiAdapter } from './adapter.js';
import { tgi as dialect } from './dialect.js';

const VERSION = '3.3.5';

export const tgi: ServerDef = {
  name: 'tgi',
  title: 'HuggingFace TGI',
  version: VERSION,
  upstream: 'https://github.com/huggingface/text-generation-inference',
  adapter: tgiAdapter,
  dialect,
  endpoints: {
    ...healthProbes('/health'),
    version: { path: '/info', field: 'version' },
    models: { method: 'GET', path: '/info' },
  },
  // TGI has no KV-cache fraction and no preemption counter: those are unavailable, not 0.
  metrics: apiPortMetrics({
    running: ['tgi_batch_current_size'],
    waiting: ['tgi_queue_size'],
    generation_tokens_total: ['tgi_request_generated_tokens_sum'],
  }),
  container: {
    port: 8080,
    extraPorts: [],
    images: {
      nvidia: `ghcr.io/huggingface/text-generation-inference:${VERSION}`,
      amd: `ghcr.io/huggingface/text-generation-inference:${VERSION}-rocm`,
    },
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
    shmSize: '2Gi',
  },
  dockerfile: 'docker/tgi/Dockerfile',
};
