/**
 * The GPU catalogue behind `gpu_profile`: one list for config validation, the simulator and the manifests. It sits
 * in core (the lowest layer) so config.ts and the simulator need not import steps/cluster; cluster/profiles.ts
 * re-exports it beside the registry-derived image table.
 */
import { InvalidInputError } from './errors.js';

export type GpuVendor = 'nvidia' | 'amd';

/** One GPU (or GPU slice) the manifests can be rendered for. */
export interface GpuProfile {
  id: string;
  vendor: GpuVendor;
  description: string;
  /** Usable device memory in GiB (the slice's, for MIG). */
  memory_gib: number;
  /** MIG slice name (e.g. 3g.20gb) when this is a partition. */
  mig?: string;
  /** Node label value the GPU operator sets (nvidia.com/gpu.product / amd.com/gpu.product-name), informative. */
  product_label?: string;
}

/**
 * The GPU-compatibility table of the seed README, as data. Memory decides the engine settings through
 * {@link memoryTier}; vendor decides the device resource and image variant.
 */
export const GPU_PROFILES: readonly GpuProfile[] = [
  {
    id: 'a100-mig-3g.20gb',
    vendor: 'nvidia',
    description: 'NVIDIA A100 MIG 3g.20gb slice (the reference environment)',
    memory_gib: 20,
    mig: '3g.20gb',
    product_label: 'NVIDIA-A100-SXM4-40GB-MIG-3g.20gb',
  },
  {
    id: 'a100-mig-2g.10gb',
    vendor: 'nvidia',
    description: 'NVIDIA A100 MIG 2g.10gb slice',
    memory_gib: 10,
    mig: '2g.10gb',
  },
  {
    id: 'h100-mig-3g.40gb',
    vendor: 'nvidia',
    description: 'NVIDIA H100 MIG 3g.40gb slice',
    memory_gib: 40,
    mig: '3g.40gb',
  },
  {
    id: 'h100-80gb',
    vendor: 'nvidia',
    description: 'NVIDIA H100 80 GB',
    memory_gib: 80,
    product_label: 'NVIDIA-H100-80GB-HBM3',
  },
  {
    id: 'a100-80gb',
    vendor: 'nvidia',
    description: 'NVIDIA A100 80 GB',
    memory_gib: 80,
    product_label: 'NVIDIA-A100-SXM4-80GB',
  },
  {
    id: 'a100-40gb',
    vendor: 'nvidia',
    description: 'NVIDIA A100 40 GB',
    memory_gib: 40,
    product_label: 'NVIDIA-A100-SXM4-40GB',
  },
  { id: 'l40s-48gb', vendor: 'nvidia', description: 'NVIDIA L40S 48 GB', memory_gib: 48, product_label: 'NVIDIA-L40S' },
  { id: 'a10-24gb', vendor: 'nvidia', description: 'NVIDIA A10 24 GB', memory_gib: 24, product_label: 'NVIDIA-A10' },
  { id: 'rtx4090-24gb', vendor: 'nvidia', description: 'NVIDIA RTX 4090 24 GB (consumer)', memory_gib: 24 },
  { id: 't4-16gb', vendor: 'nvidia', description: 'NVIDIA T4 16 GB', memory_gib: 16, product_label: 'Tesla-T4' },
  {
    id: 'mi300x-192gb',
    vendor: 'amd',
    description: 'AMD Instinct MI300X 192 GB (ROCm)',
    memory_gib: 192,
    product_label: 'AMD_Instinct_MI300X',
  },
  {
    id: 'mi250-64gb',
    vendor: 'amd',
    description: 'AMD Instinct MI250 (one 64 GB GCD, ROCm)',
    memory_gib: 64,
    product_label: 'AMD_Instinct_MI250',
  },
];

export const REFERENCE_PROFILE = 'a100-mig-3g.20gb';

/** One row of the seed README's "Configuration by GPU Memory" table. */
export interface MemoryTier {
  min_gib: number;
  max_model_len: number;
  gpu_memory_utilization: number;
  /** none: FP16 fits; optional: vLLM fits FP16 but TGI needs 4-bit; required: every server quantizes. */
  quantization: 'none' | 'optional' | 'required';
  /** CUDA graphs cost memory; small slices run eager (the reference vLLM setting). */
  enforce_eager: boolean;
}

export const MEMORY_TIERS: readonly MemoryTier[] = [
  { min_gib: 80, max_model_len: 8192, gpu_memory_utilization: 0.9, quantization: 'none', enforce_eager: false },
  { min_gib: 40, max_model_len: 4096, gpu_memory_utilization: 0.9, quantization: 'none', enforce_eager: false },
  { min_gib: 20, max_model_len: 2048, gpu_memory_utilization: 0.85, quantization: 'optional', enforce_eager: true },
  { min_gib: 16, max_model_len: 1024, gpu_memory_utilization: 0.8, quantization: 'required', enforce_eager: true },
  { min_gib: 0, max_model_len: 512, gpu_memory_utilization: 0.75, quantization: 'required', enforce_eager: true },
];

export function memoryTier(memoryGib: number): MemoryTier {
  return MEMORY_TIERS.find((t) => memoryGib >= t.min_gib) ?? MEMORY_TIERS[MEMORY_TIERS.length - 1];
}

export function gpuProfile(id: string): GpuProfile {
  const p = GPU_PROFILES.find((g) => g.id === id);
  if (!p) {
    throw new InvalidInputError('unknown-gpu-profile', `unknown GPU profile '${id}'`, {
      problems: [{ path: '/gpu_profile', message: `must be one of ${GPU_PROFILES.map((g) => g.id).join(', ')}` }],
      hint: 'Pick the profile closest to your GPU (llmbench render --list-gpu-profiles); memory decides the engine settings.',
    });
  }
  return p;
}

export type MigStrategy = 'single' | 'mixed';

/**
 * The extended resource the device plugin advertises. NVIDIA's GPU operator exposes MIG slices as
 * nvidia.com/gpu under the `single` strategy (what the seed cluster used) and as nvidia.com/mig-<slice> under `mixed`.
 */
export function gpuResource(p: GpuProfile, mig: MigStrategy = 'single'): string {
  if (p.vendor === 'amd') return 'amd.com/gpu';
  if (p.mig && mig === 'mixed') return `nvidia.com/mig-${p.mig}`;
  return 'nvidia.com/gpu';
}

/** Engine settings derived from the profile: what the servers are told about context, memory and quantization. */
export interface EngineSettings {
  max_model_len: number;
  gpu_memory_utilization: number;
  dtype: 'half';
  enforce_eager: boolean;
  /** vLLM/Triton quantization (vLLM's --quantization), or null. */
  vllm_quantization: string | null;
  /** TGI --quantize value, or null. */
  tgi_quantize: string | null;
}

export function engineSettings(p: GpuProfile): EngineSettings {
  const t = memoryTier(p.memory_gib);
  return {
    max_model_len: t.max_model_len,
    gpu_memory_utilization: t.gpu_memory_utilization,
    dtype: 'half',
    enforce_eager: t.enforce_eager,
    // Mistral-7B FP16 is ~14.5 GB: it fits in 20 GB for vLLM, not below.
    vllm_quantization: t.quantization === 'required' ? 'bitsandbytes' : null,
    // TGI's FP16 + KV cache exceeded the 20 GB slice in the seed run; it ran 4-bit there.
    tgi_quantize: t.quantization === 'none' ? null : 'bitsandbytes-nf4',
  };
}
