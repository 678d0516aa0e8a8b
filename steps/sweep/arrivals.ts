/**
 * Inter-arrival times for rate mode, from a seed: Poisson (exponential gaps), gamma with a shape ("burstiness":
 * 1 = Poisson, < 1 burstier, > 1 smoother; mean gap stays 1/rate, as in vLLM's bench), or constant.
 */
import { rng } from '../workload/workload.js';

export type Arrival = 'poisson' | 'gamma' | 'constant';

/** Standard normal (Box–Muller) from a uniform source. */
function normal(u: () => number): number {
  let a = u();
  while (a <= 1e-12) a = u();
  return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * u());
}

/** Gamma(shape, 1) by Marsaglia–Tsang; shape < 1 via the boost u^(1/shape). */
export function gammaSample(shape: number, u: () => number): number {
  if (shape < 1) {
    let x = u();
    while (x <= 1e-12) x = u();
    return gammaSample(shape + 1, u) * Math.pow(x, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number, v: number;
    do {
      x = normal(u);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const w = u();
    if (w < 1 - 0.0331 * x ** 4 || Math.log(w) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Gaps in seconds with mean 1/rate. */
export function arrivalGaps(rate: number, arrival: Arrival, burstiness: number, seed: number): () => number {
  const u = rng(seed);
  if (arrival === 'constant') return () => 1 / rate;
  const shape = arrival === 'poisson' ? 1 : burstiness;
  const scale = 1 / (rate * shape);
  return () => gammaSample(shape, u) * scale;
}
