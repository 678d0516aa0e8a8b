/**
 * The generator's self-check: event-loop delay while a point runs (perf_hooks), so a point measured by a client
 * that could not keep up is marked invalid instead of reported as server latency.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

const RESOLUTION_MS = 5;

export interface LoopDelay {
  /** Systematic lateness: the bottleneck criterion. */
  p90_ms: number | null;
  /** Tail jitter (GC, OS scheduling): reported; it touches p99 latencies, which do not gate by default. */
  p99_ms: number | null;
  max_ms: number | null;
}

export class LoopMonitor {
  private h: IntervalHistogram | undefined;
  start(): void {
    this.h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.h.enable();
  }
  /** Delay beyond the sampling timer's own interval, ms (real time). */
  stop(): LoopDelay {
    const h = this.h;
    this.h = undefined;
    if (!h) return { p90_ms: null, p99_ms: null, max_ms: null };
    h.disable();
    if (h.count === 0) return { p90_ms: null, p99_ms: null, max_ms: null };
    return {
      p90_ms: Math.max(0, h.percentile(90) / 1e6 - RESOLUTION_MS),
      p99_ms: Math.max(0, h.percentile(99) / 1e6 - RESOLUTION_MS),
      max_ms: Math.max(0, h.max / 1e6 - RESOLUTION_MS),
    };
  }
}
