/**
 * What the project knows about one inference server, in one place: steps/servers/<name>/index.ts exports one
 * ServerDef and steps/servers/index.ts registers it under the word users type. Everything else (adapters, the
 * simulator, render/apply/wait, scrape, config schema, CLI choices, Tekton param text, README table) reads it.
 */
import type { Adapter } from '../adapters/types.js';
import type { Dialect } from '../sim/dialects/types.js';
import type { EngineSettings, GpuVendor } from '../core/gpu-profiles.js';

/** Server metrics the sweep records, normalized across servers (the keys of server-metrics.ndjson values). */
export const NORMALIZED_METRICS = [
  'running',
  'waiting',
  'kv_cache_usage',
  'preemptions_total',
  'generation_tokens_total',
  'gpu_utilization',
] as const;
export type NormalizedMetric = (typeof NORMALIZED_METRICS)[number];

export interface MetricsSpec {
  /** Port of a separate metrics listener (Triton: 8002), or null when /metrics is on the API port. */
  port: number | null;
  path: string;
  /** Server series per normalized metric, first present wins (summed over label sets). A metric the server
   * does not have is absent here and reported as unavailable, never as 0. */
  names: Partial<Record<NormalizedMetric, readonly string[]>>;
  /** Flags the server needs before it exports these (SGLang: --enable-metrics), for the README table. */
  requires?: string;
}

export interface EndpointSpec {
  /** Readiness path (probes, `llmbench wait`). */
  ready: string;
  /** Liveness path. */
  live: string;
  /** Model-level readiness, checked after `ready` (Triton's /v2/models/<m>/ready). */
  modelReady?: (servedName: string) => string;
  /** GET path whose JSON body names the server version, and the field that holds it. */
  version: { path: string; field: string };
  /** Model discovery (what the server says it serves). */
  models: { method: 'GET' | 'POST'; path: string };
}

/**
 * What a server's container arguments depend on besides the engine settings: the part of the manifest options
 * (steps/cluster/render.ts RenderOptions, which sits above the registry and passes itself) a server reads.
 */
export interface ContainerOptions {
  /** Hugging Face model id. */
  model: string;
  /** Name clients ask for (vLLM --served-model-name, Triton model directory). */
  servedName: string;
  /** Extra server arguments appended after the profile's. */
  engineArgs: readonly string[];
}

export interface ConfigFiles {
  mountPath: string;
  /** ConfigMap key → path under mountPath, with the content. */
  files: { key: string; path: string; content: string }[];
}

export interface ContainerSpec {
  /** API port inside the container (named `http`). */
  port: number;
  /** Further named container/Service ports (Triton's grpc and metrics). */
  extraPorts: readonly { name: string; port: number }[];
  /** Upstream image per GPU vendor (null: none published, pass --image); built from `version`. */
  images: Readonly<Record<GpuVendor, string | null>>;
  command?: readonly string[];
  /** The server's arguments for these engine settings: GPU/engine-argument translation. */
  args(o: ContainerOptions, s: EngineSettings): string[];
  env: readonly { name: string; value: string }[];
  /** /dev/shm size (PyTorch shares tensors through it; the container default of 64 MiB is too small). */
  shmSize: string;
  /** Files the server reads from a ConfigMap (Triton's model repository). */
  configFiles?(o: ContainerOptions, s: EngineSettings): ConfigFiles;
}

export interface ServerDef {
  /** The word users type (--backend, backends[].kind, Tekton `backend`). */
  name: string;
  title: string;
  /** The pinned upstream release: the manifests deploy it and the simulator reports it. */
  version: string;
  /** Where its upstream source lives (for the README table). */
  upstream: string;
  adapter: Adapter;
  dialect: Dialect;
  endpoints: EndpointSpec;
  metrics: MetricsSpec;
  container: ContainerSpec;
  /** docker/<name>/Dockerfile: the server image with the model baked in (llmbench build). */
  dockerfile: string;
}

/**
 * The endpoints of a server that answers both probes on one path (vLLM, TGI and SGLang all use /health), names its
 * version in the `version` field of a GET, and lists its model with a GET.
 */
export function simpleEndpoints(health: string, version: string, models: string): EndpointSpec {
  return {
    ready: health,
    live: health,
    version: { path: version, field: 'version' },
    models: { method: 'GET', path: models },
  };
}

/** Prometheus text at /metrics on the API port itself; `requires` names the flag the server needs to export it. */
export function apiPortMetrics(names: MetricsSpec['names'], requires?: string): MetricsSpec {
  return { port: null, path: '/metrics', ...(requires === undefined ? {} : { requires }), names };
}

/** What a server folder states; defineServer adds what every server shares. */
export interface ServerSpec extends Omit<ServerDef, 'name' | 'container' | 'dockerfile'> {
  container: Omit<ContainerSpec, 'images' | 'extraPorts' | 'env' | 'shmSize'> &
    Partial<Pick<ContainerSpec, 'extraPorts' | 'env' | 'shmSize'>> & {
      /** The upstream image per GPU vendor for the pinned version. */
      images(version: string): ContainerSpec['images'];
    };
}

/**
 * A registered server: `name` is the word users type and its folder's name; its Dockerfile is
 * docker/<name>/Dockerfile (fixed layout). Unless the spec says otherwise: no extra ports, no environment, and a
 * 2 GiB /dev/shm (PyTorch shares tensors through it).
 */
export function defineServer(name: string, spec: ServerSpec): ServerDef {
  const { images, extraPorts = [], env = [], shmSize = '2Gi', ...container } = spec.container;
  return {
    ...spec,
    name,
    container: { ...container, images: images(spec.version), extraPorts, env, shmSize },
    dockerfile: `docker/${name}/Dockerfile`,
  };
}

/** How a Python launcher in vLLM's line (vLLM, SGLang) spells the engine settings it shares. */
export interface LauncherFlags {
  /** --model | --model-path */
  model: string;
  /** --max-model-len | --context-length */
  contextLength: string;
  /** --gpu-memory-utilization | --mem-fraction-static */
  memoryFraction: string;
  /** Flags always passed, after --dtype (SGLang: --enable-metrics). */
  always?: readonly string[];
  /** The flag for enforce_eager: --enforce-eager | --disable-cuda-graph. */
  eager: string;
}

/** Container arguments of such a launcher listening on `port`, then the profile's extra engine arguments. */
export function launcherArgs(port: number, f: LauncherFlags): ContainerSpec['args'] {
  return (o, s) => [
    f.model,
    o.model,
    '--served-model-name',
    o.servedName,
    '--host',
    '0.0.0.0',
    '--port',
    String(port),
    f.contextLength,
    String(s.max_model_len),
    f.memoryFraction,
    String(s.gpu_memory_utilization),
    '--dtype',
    s.dtype,
    ...(f.always ?? []),
    ...(s.enforce_eager ? [f.eager] : []),
    ...(s.vllm_quantization ? ['--quantization', s.vllm_quantization] : []),
    ...o.engineArgs,
  ];
}
