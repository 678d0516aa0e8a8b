/**
 * Roofline step-time model: one engine step reads every weight once plus the KV cache of every scheduled
 * sequence (memory time), and does 2 FLOPs per parameter per token plus attention (compute time); the GPU takes
 * the larger of the two. Per-backend CPU overheads (scheduling, eager-mode kernel launches, per-sequence
 * output work) are added on top, since in eager mode they do not overlap with the GPU.
 */
import { kvBytesPerToken, type ResolvedProfile } from './profiles.js';

/** What one step computes, per scheduled sequence: new tokens and the context already in the KV cache. */
export interface StepWork {
  /** Number of sequences in the step (decode + prefill chunks). */
  seqs: number;
  /** Tokens computed this step (1 per decoding sequence + prefill chunk lengths). */
  tokens: number;
  /** Σ over sequences of context tokens read from the KV cache. */
  kvReadTokens: number;
  /** Σ over sequences of new × (context before + new/2): attention score work. */
  attnPairs: number;
  /** Sequences that sample a token at the end of the step (lm_head work). */
  sampling: number;
}

export interface StepCost {
  seconds: number;
  memorySeconds: number;
  computeSeconds: number;
  overheadSeconds: number;
}

export class PerfModel {
  private readonly kvPerTok: number;
  private readonly bw: number;
  private readonly flops: number;
  private readonly nonEmbParams: number;
  private readonly launchS: number;
  private readonly attnFlopsPerPair: number;

  constructor(readonly p: ResolvedProfile) {
    this.kvPerTok = kvBytesPerToken(p.model);
    this.bw = p.gpu.memory_bandwidth_gbps * 1e9 * p.gpu.bandwidth_efficiency;
    this.flops = p.gpu.fp16_tflops * 1e12 * p.gpu.compute_efficiency;
    this.nonEmbParams = p.model.params - p.model.embedding_params;
    this.launchS =
      (p.engine.enforce_eager ? p.backend.overheads.launch_ms_eager : p.backend.overheads.launch_ms_graphs) / 1000;
    // QK^T and PV: 2 matmuls x 2 FLOPs x heads x head_dim per (query, key) pair, every layer.
    this.attnFlopsPerPair = 4 * p.model.layers * p.model.heads * p.model.head_dim;
  }

  step(w: StepWork): StepCost {
    const m = this.p.model;
    const bytes = m.weight_bytes_read_per_step + w.kvReadTokens * this.kvPerTok + w.tokens * this.kvPerTok;
    const memorySeconds = bytes / this.bw;
    const lmHead = 2 * m.vocab * m.hidden * w.sampling;
    const flops = 2 * this.nonEmbParams * w.tokens + lmHead + this.attnFlopsPerPair * w.attnPairs;
    const computeSeconds = flops / this.flops;
    const o = this.p.backend.overheads;
    const overheadSeconds = o.step_cpu_ms / 1000 + this.launchS + (o.per_seq_ms / 1000) * w.seqs;
    return {
      seconds: Math.max(memorySeconds, computeSeconds) + overheadSeconds,
      memorySeconds,
      computeSeconds,
      overheadSeconds,
    };
  }

  /** Fixed per-request cost before the request reaches the scheduler (API server / Triton core hop). */
  get perRequestSeconds(): number {
    return this.p.backend.overheads.per_request_ms / 1000;
  }
}
