/**
 * NVIDIA Triton Inference Server with the vLLM backend (triton-inference-server/server, .../vllm_backend).
 * Container release 25.08 ships Triton 2.60.0 (NVIDIA's Triton release notes / framework support matrix).
 */
import { defineServer } from '../types.js';
import { tritonAdapter } from './adapter.js';
import { triton as dialect } from './dialect.js';
import { VLLM_METRIC_NAMES } from '../vllm/index.js';

const RELEASE = '25.08';

export const triton = defineServer('triton', {
  title: 'NVIDIA Triton (vLLM backend)',
  version: '2.60.0',
  upstream: 'https://github.com/triton-inference-server/vllm_backend',
  endpoints: {
    ready: '/v2/health/ready',
    live: '/v2/health/live',
    modelReady: (m) => `/v2/models/${encodeURIComponent(m)}/ready`,
    version: { path: '/v2', field: 'version' },
    models: { method: 'POST', path: '/v2/repository/index' },
  },
  metrics: {
    // Triton serves Prometheus on its own port (--metrics-port, default 8002); <url>/metrics is a 404.
    port: 8002,
    path: '/metrics',
    // The vLLM backend re-exports vllm:* only with REPORT_CUSTOM_METRICS set in the model config (set below).
    // No `waiting`: nv_inference_pending_request_count stays ~0 because the decoupled backend returns from
    // execute() at once, so it does not measure the engine's queue.
    names: { ...VLLM_METRIC_NAMES, gpu_utilization: ['nv_gpu_utilization'] },
  },
  container: {
    port: 8000,
    extraPorts: [
      { name: 'grpc', port: 8001 },
      { name: 'metrics', port: 8002 },
    ],
    // Named by the container release, not by Triton's version.
    images: () => ({ nvidia: `nvcr.io/nvidia/tritonserver:${RELEASE}-vllm-python-py3`, amd: null }),
    command: ['tritonserver'],
    args: (o) => [
      '--model-repository=/model-repository',
      '--http-port=8000',
      '--grpc-port=8001',
      '--metrics-port=8002',
      ...o.engineArgs,
    ],
    env: [{ name: 'VLLM_NO_USAGE_STATS', value: '1' }],
    configFiles: (o, s) => {
      const modelJson: Record<string, unknown> = {
        model: o.model,
        max_model_len: s.max_model_len,
        gpu_memory_utilization: s.gpu_memory_utilization,
        dtype: s.dtype,
        enforce_eager: s.enforce_eager,
        disable_log_stats: false,
      };
      if (s.vllm_quantization) modelJson.quantization = s.vllm_quantization;
      // REPORT_CUSTOM_METRICS: the backend exports vllm:* series on Triton's metrics port only when this is
      // "true" (triton-inference-server/vllm_backend README "Triton Metrics"; src/model.py).
      const config =
        `backend: "vllm"\ninstance_group [\n  {\n    count: 1\n    kind: KIND_MODEL\n  }\n]\n` +
        `parameters: {\n  key: "REPORT_CUSTOM_METRICS"\n  value: {\n    string_value: "true"\n  }\n}\n`;
      return {
        mountPath: '/model-repository',
        files: [
          { key: 'config.pbtxt', path: `${o.servedName}/config.pbtxt`, content: config },
          {
            key: 'model.json',
            path: `${o.servedName}/1/model.json`,
            content: JSON.stringify(modelJson, null, 2) + '\n',
          },
        ],
      };
    },
  },
  adapter: tritonAdapter,
  dialect,
});
