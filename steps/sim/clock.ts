/**
 * Simulated time. The engine only ever says "call me at simulated time t"; a clock maps that onto real time
 * (scaled) or runs it virtually (calibration, tests). Times are simulated seconds.
 */
import { rng as coreRng } from '../core/rng.js';

export interface Clock {
  now(): number;
  /** Run `fn` at simulated time `t` (immediately, on a later tick, if `t` is already past). */
  at(t: number, fn: () => void): { cancel(): void };
}

/**
 * Real time, N× faster. Steps are chained on their simulated end times rather than on when a timer actually
 * fired, so timer lateness never accumulates: a late step is followed immediately by the next (catch-up).
 */
export class ScaledClock implements Clock {
  private readonly origin = performance.now();
  constructor(readonly scale = 1) {
    if (!(scale > 0)) throw new Error('time scale must be > 0');
  }
  now(): number {
    return ((performance.now() - this.origin) / 1000) * this.scale;
  }
  at(t: number, fn: () => void) {
    const delayMs = ((t - this.now()) * 1000) / this.scale;
    if (delayMs < 0.5) {
      const h = setImmediate(fn);
      return { cancel: () => clearImmediate(h) };
    }
    const h = setTimeout(fn, delayMs);
    return { cancel: () => clearTimeout(h) };
  }
  /** Real milliseconds for a simulated duration (for the few timers outside the engine: faults). */
  realMs(simSeconds: number): number {
    return (simSeconds * 1000) / this.scale;
  }
}

/** Discrete-event clock: `run()` executes events in time order without waiting. */
export class VirtualClock implements Clock {
  private t = 0;
  private seq = 0;
  private heap: { t: number; seq: number; fn: () => void; dead: boolean }[] = [];
  now(): number {
    return this.t;
  }
  at(t: number, fn: () => void) {
    const ev = { t: Math.max(t, this.t), seq: this.seq++, fn, dead: false };
    this.push(ev);
    return { cancel: () => void (ev.dead = true) };
  }
  /** Runs events until none are left or simulated time passes `until`. Returns the number run. */
  run(until = Infinity, maxEvents = 50_000_000): number {
    let n = 0;
    while (this.heap.length && n < maxEvents) {
      const ev = this.heap[0];
      if (ev.t > until) break;
      this.pop();
      if (ev.dead) continue;
      this.t = ev.t;
      ev.fn();
      n++;
    }
    if (n >= maxEvents) throw new Error('virtual clock: event limit reached (runaway simulation?)');
    return n;
  }
  private less(a: { t: number; seq: number }, b: { t: number; seq: number }) {
    return a.t < b.t || (a.t === b.t && a.seq < b.seq);
  }
  private push(ev: (typeof this.heap)[number]) {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }
  private pop() {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l], h[m])) m = l;
      if (r < h.length && this.less(h[r], h[m])) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}

/** Small seeded PRNG (mulberry32) so jitter and faults repeat for a given seed. */
export function rng(seed: number): () => number {
  // Seed 0 would start mulberry32 in a poor state: map it to a fixed odd constant.
  return coreRng(seed >>> 0 || 0x9e3779b9);
}

/** Standard normal from a uniform source (Box–Muller). */
export function gauss(r: () => number): number {
  const u = Math.max(r(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

/** FNV-1a 32-bit hash, for seeding per-request choices from request content. */
export function hash32(s: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
