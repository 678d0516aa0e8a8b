/**
 * GPU, model and backend profiles: data files under ./profiles/ (each names its sources). This module loads them,
 * checks their shape, and derives the engine's capacity (KV blocks) from memory × utilization − weights.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidInputError, EnvironmentError, type Problem } from '../core/errors.js';

import {
  SERVER_CATALOGUE as SERVERS,
  SERVER_KINDS as SERVER_NAMES,
  type ServerKind as ServerName,
} from '../core/server-catalogue.js';
import { GPU_PROFILES } from '../core/gpu-profiles.js';

export type BackendKind = ServerName;

export interface GpuProfile {
  id: string;
  name: string;
  memory_bytes: number;
  memory_bandwidth_gbps: number;
  fp16_tflops: number;
  sms: number;
  /** Fraction of peak bandwidth a decode step's weight/KV streaming reaches. */
  bandwidth_efficiency: number;
  /** Fraction of peak tensor throughput a prefill reaches (MFU). */
  compute_efficiency: number;
  sources: string[];
}

export interface ModelProfile {
  id: string;
  name: string;
  hf_id: string;
  tokenizer: string;
  params: number;
  embedding_params: number;
  layers: number;
  hidden: number;
  heads: number;
  kv_heads: number;
  head_dim: number;
  vocab: number;
  max_position_embeddings: number;
  kv_bytes_per_elem: number;
  weight_bytes: number;
  weight_bytes_read_per_step: number;
  quantization: null | { method: string; bits: number };
  natural_output: { median_tokens: number; sigma: number };
  sources: string[];
}

export interface EngineSettings {
  /** `chunked`: decodes first, prefill chunks fill the token budget (vLLM V1). `prefill-first`: waiting prompts run as their own step before decodes resume (vLLM V0, TGI). */
  scheduler: 'chunked' | 'prefill-first';
  max_model_len: number;
  gpu_memory_utilization: number;
  enforce_eager: boolean;
  max_num_seqs: number;
  max_num_batched_tokens: number;
  block_size: number;
  activation_reserve_bytes: number;
  /** TGI only: more requests in flight than this are refused (429). */
  max_concurrent_requests?: number;
  max_input_tokens?: number;
}

export interface BackendProfile {
  id: BackendKind;
  name: string;
  /** The registry's pinned version (steps/servers/<name>/index.ts), the one the manifests deploy. */
  server_version: string;
  default_model_profile: string;
  /** false: the overheads are estimates not fitted to any published figure (the profile's notes say why). */
  calibrated?: boolean;
  engine: EngineSettings;
  overheads: {
    step_cpu_ms: number;
    launch_ms_eager: number;
    launch_ms_graphs: number;
    per_seq_ms: number;
    per_request_ms: number;
  };
  sources: string[];
}

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'profiles');

function loadDir<T extends { id: string; sources: string[] }>(sub: string, required: string[]): Map<string, T> {
  const out = new Map<string, T>();
  for (const f of readdirSync(path.join(DIR, sub))
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    const obj = JSON.parse(readFileSync(path.join(DIR, sub, f), 'utf8')) as T;
    const missing = required.filter((k) => (obj as unknown as Record<string, unknown>)[k] === undefined);
    if (missing.length || !Array.isArray(obj.sources) || obj.sources.length === 0) {
      throw new Error(
        `profile ${sub}/${f} lacks ${[...missing, ...(obj.sources?.length ? [] : ['sources'])].join(', ')}`,
      );
    }
    if (`${obj.id}.json` !== f) throw new Error(`profile ${sub}/${f} has id ${obj.id}`);
    out.set(obj.id, obj);
  }
  return out;
}

/**
 * Each server's simulator profile sits in its folder (steps/servers/<name>/sim-profile.json); its version is the
 * registry's pinned one, so the simulator reports what the manifests deploy.
 */
function loadServerProfiles(required: string[]): Map<string, BackendProfile> {
  const out = new Map<string, BackendProfile>();
  for (const name of SERVER_NAMES) {
    const rel = `servers/${name}/sim-profile.json`;
    const obj = JSON.parse(readFileSync(path.join(DIR, '..', '..', rel), 'utf8')) as BackendProfile;
    obj.server_version = SERVERS[name].version;
    const missing = required.filter((k) => (obj as unknown as Record<string, unknown>)[k] === undefined);
    if (missing.length || !Array.isArray(obj.sources) || obj.sources.length === 0 || obj.id !== name)
      throw new Error(`profile ${rel} lacks ${missing.join(', ') || 'sources or a matching id'}`);
    out.set(obj.id, obj);
  }
  return out;
}

/**
 * One GPU catalogue for the simulator and the cluster (steps/core/gpu-profiles.ts GPU_PROFILES, the ids behind
 * `gpu_profile`): the simulator's performance files use the same ids and must agree on memory.
 */
function checkCatalogue(gpus: Map<string, GpuProfile>): Map<string, GpuProfile> {
  for (const g of gpus.values()) {
    const c = GPU_PROFILES.find((x) => x.id === g.id);
    if (!c) throw new Error(`profile gpu/${g.id}.json: not in the GPU catalogue (steps/core/gpu-profiles.ts)`);
    const gib = g.memory_bytes / 2 ** 30;
    if (Math.abs(gib - c.memory_gib) / c.memory_gib > 0.07)
      throw new Error(`profile gpu/${g.id}.json: ${gib.toFixed(1)} GiB, the catalogue says ${c.memory_gib} GiB`);
  }
  return gpus;
}

let cache:
  | { gpus: Map<string, GpuProfile>; models: Map<string, ModelProfile>; backends: Map<string, BackendProfile> }
  | undefined;
export function profiles() {
  cache ??= {
    gpus: checkCatalogue(
      loadDir<GpuProfile>('gpu', [
        'name',
        'memory_bytes',
        'memory_bandwidth_gbps',
        'fp16_tflops',
        'bandwidth_efficiency',
        'compute_efficiency',
      ]),
    ),
    models: loadDir<ModelProfile>('model', [
      'params',
      'layers',
      'kv_heads',
      'head_dim',
      'weight_bytes',
      'weight_bytes_read_per_step',
      'natural_output',
    ]),
    backends: loadServerProfiles(['engine', 'overheads', 'default_model_profile']),
  };
  return cache;
}

export const DEFAULT_GPU = 'a100-mig-3g.20gb';

/** Bytes of KV cache one token occupies: K and V, every layer, every KV head. */
export function kvBytesPerToken(m: ModelProfile): number {
  return 2 * m.layers * m.kv_heads * m.head_dim * m.kv_bytes_per_elem;
}

export interface ResolvedProfile {
  backend: BackendProfile;
  gpu: GpuProfile;
  model: ModelProfile;
  engine: EngineSettings;
  /** KV cache capacity in blocks of engine.block_size tokens. */
  kvBlocks: number;
  kvBytes: number;
}

/** Overrides of engine settings (flags / tests); validated with everything else before any work. */
export type EngineOverrides = Partial<
  Pick<
    EngineSettings,
    | 'max_model_len'
    | 'gpu_memory_utilization'
    | 'enforce_eager'
    | 'max_num_seqs'
    | 'max_num_batched_tokens'
    | 'max_concurrent_requests'
  >
>;

export function resolveProfile(
  backend: BackendKind,
  gpuId?: string,
  modelId?: string,
  overrides: EngineOverrides = {},
): ResolvedProfile {
  const P = profiles();
  const problems: Problem[] = [];
  const b = P.backends.get(backend);
  if (!b)
    problems.push({
      path: '/backend',
      message: `unknown backend '${backend}' (known: ${[...P.backends.keys()].join(', ')})`,
    });
  const gid = gpuId ?? DEFAULT_GPU;
  const g = P.gpus.get(gid);
  if (!g && GPU_PROFILES.some((c) => c.id === gid))
    problems.push({
      path: '/gpu',
      message: `GPU profile '${gid}' has no simulator performance data (simulated: ${[...P.gpus.keys()].join(', ')})`,
    });
  else if (!g)
    problems.push({
      path: '/gpu',
      message: `unknown GPU profile '${gid}' (known: ${GPU_PROFILES.map((c) => c.id).join(', ')})`,
    });
  const mid = modelId ?? b?.default_model_profile ?? '';
  const m = P.models.get(mid);
  if (!m)
    problems.push({
      path: '/model_profile',
      message: `unknown model profile '${mid}' (known: ${[...P.models.keys()].join(', ')})`,
    });
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) continue;
    const bad =
      k === 'gpu_memory_utilization'
        ? !(typeof v === 'number' && v > 0 && v <= 1)
        : k === 'enforce_eager'
          ? typeof v !== 'boolean'
          : !(Number.isInteger(v) && (v as number) > 0);
    if (bad) problems.push({ path: `/engine/${k}`, message: `invalid value ${JSON.stringify(v)}` });
  }
  if (problems.length || !b || !g || !m)
    throw new InvalidInputError('sim-profile', 'invalid simulator profile', {
      problems,
      hint: 'Profiles live in steps/sim/profiles/{gpu,model}/<id>.json and steps/servers/<name>/sim-profile.json.',
    });
  const engine: EngineSettings = {
    ...b.engine,
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  };
  // Without chunked prefill a whole prompt must fit one step's token budget (vLLM V0 defaults the budget to
  // max(max_model_len, 2048)); otherwise a long prompt could never be scheduled.
  if (engine.scheduler === 'prefill-first' && engine.max_num_batched_tokens < engine.max_model_len)
    engine.max_num_batched_tokens = engine.max_model_len;
  if (engine.max_model_len > m.max_position_embeddings) {
    throw new InvalidInputError(
      'sim-profile',
      `max_model_len ${engine.max_model_len} exceeds the model's ${m.max_position_embeddings}`,
      { problems: [{ path: '/engine/max_model_len', message: 'too large' }] },
    );
  }
  const kvBytes = g.memory_bytes * engine.gpu_memory_utilization - m.weight_bytes - engine.activation_reserve_bytes;
  const kvBlocks = Math.floor(kvBytes / (kvBytesPerToken(m) * engine.block_size));
  // Like vLLM ("No available memory for the cache blocks" / max_model_len larger than the KV cache) and TGI's
  // warmup OOM: the server does not start when one full-length sequence does not fit.
  if (kvBlocks * engine.block_size < engine.max_model_len) {
    throw new EnvironmentError(
      'sim-does-not-fit',
      `${m.name} does not fit on ${g.name} with gpu_memory_utilization ${engine.gpu_memory_utilization}: ` +
        `${((g.memory_bytes * engine.gpu_memory_utilization) / 1e9).toFixed(1)} GB usable, ${(m.weight_bytes / 1e9).toFixed(1)} GB weights, ` +
        `room for ${Math.max(0, kvBlocks * engine.block_size)} KV tokens < max_model_len ${engine.max_model_len}`,
      {
        hint: 'Use a quantized model profile (e.g. mistral-7b-instruct-bnb-nf4), a larger GPU, or a smaller max_model_len.',
      },
    );
  }
  return { backend: b, gpu: g, model: m, engine, kvBlocks, kvBytes };
}
