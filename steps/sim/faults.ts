/**
 * Faults on demand (flags or the config's backends[].sim.faults). All durations are simulated seconds, so they
 * shrink with the time scale like everything else. Decisions come from a seeded RNG (repeatable per seed).
 */
import { rng } from './clock.js';

// The fault knobs are the config schema's (backends[].sim.faults): one definition, generated from schemas/.
import type { Faults } from '../core/types/bench-config.js';
export type { Faults };

export function faultProblems(f: Faults): { path: string; message: string }[] {
  const p: { path: string; message: string }[] = [];
  const frac = (k: keyof Faults) => {
    const v = f[k];
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && v <= 1))
      p.push({ path: `/faults/${k}`, message: `must be a number in [0, 1], got ${JSON.stringify(v)}` });
  };
  const nonneg = (k: keyof Faults, integer = false) => {
    const v = f[k];
    if (
      v !== undefined &&
      !(typeof v === 'number' && v >= 0 && Number.isFinite(v) && (!integer || Number.isInteger(v)))
    )
      p.push({
        path: `/faults/${k}`,
        message: `must be a ${integer ? 'non-negative integer' : 'non-negative number'}, got ${JSON.stringify(v)}`,
      });
  };
  frac('error_rate');
  frac('stall_rate');
  frac('cut_rate');
  nonneg('overload_queue', true);
  nonneg('slow_start_s');
  nonneg('restart_s');
  nonneg('crash_after_requests', true);
  if (f.crash_after_requests === 0) p.push({ path: '/faults/crash_after_requests', message: 'must be at least 1' });
  if (f.slowdown !== undefined && !(typeof f.slowdown === 'number' && f.slowdown > 0))
    p.push({ path: '/faults/slowdown', message: `must be > 0, got ${JSON.stringify(f.slowdown)}` });
  for (const k of Object.keys(f)) {
    if (
      ![
        'error_rate',
        'overload_queue',
        'stall_rate',
        'cut_rate',
        'slow_start_s',
        'crash_after_requests',
        'restart_s',
        'slowdown',
      ].includes(k)
    )
      p.push({ path: `/faults/${k}`, message: 'unknown fault' });
  }
  return p;
}

export class FaultState {
  private readonly r: () => number;
  /** Simulated time until which the server is not ready. */
  notReadyUntil = 0;
  requests = 0;
  constructor(
    readonly f: Faults,
    seed: number,
  ) {
    this.r = rng(seed ^ 0x2545f491);
  }
  ready(now: number): boolean {
    return now >= this.notReadyUntil;
  }
  startSlow(now: number): void {
    this.notReadyUntil = now + (this.f.slow_start_s ?? 0);
  }
  error(): boolean {
    return !!this.f.error_rate && this.r() < this.f.error_rate;
  }
  overloaded(waiting: number): boolean {
    return this.f.overload_queue !== undefined && waiting > this.f.overload_queue;
  }
  /** A cut or stall for a stream of `n` tokens, after a uniformly chosen number of tokens (at least 1). */
  streamFault(n: number): { kind: 'cut' | 'stall'; afterTokens: number } | undefined {
    if (n < 2) return undefined;
    const at = () => 1 + Math.floor(this.r() * (n - 1));
    if (this.f.cut_rate && this.r() < this.f.cut_rate) return { kind: 'cut', afterTokens: at() };
    if (this.f.stall_rate && this.r() < this.f.stall_rate) return { kind: 'stall', afterTokens: at() };
    return undefined;
  }
  /** Where a mid-stream error lands in a stream of `n` tokens (at least one token first). */
  errorAfter(n: number): number {
    return n < 2 ? 0 : 1 + Math.floor(this.r() * (n - 1));
  }
  /** True when this request should crash the server. */
  countRequest(): boolean {
    this.requests++;
    return this.f.crash_after_requests !== undefined && this.requests >= this.f.crash_after_requests;
  }
}
