/**
 * Statistics for regression verdicts: Student-t distribution, Welch's t-test on log trial values, a seeded RNG
 * for simulations and permutation tests, and E-divisive means change-point detection (Matteson & James 2014,
 * as used by Hunter/Apache Otava and MongoDB's CI). Pure functions, no I/O.
 */

/** ln Γ(x) by the Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for x > 0. */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction for the incomplete beta function (modified Lentz). */
function betacf(a: number, b: number, x: number): number {
  const TINY = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-14) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lbt = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  const bt = Math.exp(lbt);
  return x < (a + 1) / (a + b + 2) ? (bt * betacf(a, b, x)) / a : 1 - (bt * betacf(b, a, 1 - x)) / b;
}

/** CDF of Student's t with df degrees of freedom (df may be fractional, as Welch's is). */
export function tCdf(t: number, df: number): number {
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0;
  const x = df / (df + t * t);
  const tail = 0.5 * incompleteBeta(x, df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

/** Quantile of Student's t (bisection on the CDF; monotone, so robust). */
export function tQuantile(p: number, df: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  let lo = -1e3,
    hi = 1e3;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < p) lo = mid;
    else hi = mid;
    if (hi - lo < 1e-12) break;
  }
  return (lo + hi) / 2;
}

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

export function variance(xs: ArrayLike<number>): number {
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] - m) ** 2;
  return s / (xs.length - 1);
}

export function median(xs: ArrayLike<number>): number {
  const s = Float64Array.from(xs).sort();
  const n = s.length;
  if (!n) return NaN;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

export interface WelchResult {
  /** Candidate ÷ baseline ratio of geometric means, minus 1, in percent. */
  delta_pct: number;
  /** Two-sided confidence interval of delta_pct at 1 − alpha. */
  ci_pct: [number, number];
  /** Two-sided p-value. */
  p_value: number;
  t: number;
  df: number;
  baseline_gmean: number;
  candidate_gmean: number;
}

/**
 * Welch's t-test on the logarithms of per-trial values. Logs make the test about ratios (a 5 % drop is a 5 % drop
 * at any throughput level) and tame the right skew of latencies; Welch does not assume equal variances.
 * Needs ≥ 2 positive values on each side; returns null otherwise.
 */
export function welchLog(baseline: ArrayLike<number>, candidate: ArrayLike<number>, alpha: number): WelchResult | null {
  const nb = baseline.length,
    nc = candidate.length;
  if (nb < 2 || nc < 2) return null;
  for (let i = 0; i < nb; i++) if (!(baseline[i] > 0) || !Number.isFinite(baseline[i])) return null;
  for (let i = 0; i < nc; i++) if (!(candidate[i] > 0) || !Number.isFinite(candidate[i])) return null;
  const lb = Array.from(baseline, Math.log),
    lc = Array.from(candidate, Math.log);
  const mb = mean(lb),
    mc = mean(lc);
  const vb = variance(lb) / nb,
    vc = variance(lc) / nc;
  const diff = mc - mb;
  const se = Math.sqrt(vb + vc);
  let t: number, df: number, p: number, half: number;
  if (se === 0) {
    // Identical values within each side (e.g. imported point estimates repeated): no noise to test against.
    t = diff === 0 ? 0 : diff > 0 ? Infinity : -Infinity;
    df = nb + nc - 2;
    p = diff === 0 ? 1 : 0;
    half = 0;
  } else {
    t = diff / se;
    df = (vb + vc) ** 2 / ((vb * vb) / (nb - 1) + (vc * vc) / (nc - 1));
    p = 2 * (1 - tCdf(Math.abs(t), df));
    half = tQuantile(1 - alpha / 2, df) * se;
  }
  return {
    delta_pct: (Math.exp(diff) - 1) * 100,
    ci_pct: [(Math.exp(diff - half) - 1) * 100, (Math.exp(diff + half) - 1) * 100],
    p_value: Math.min(1, Math.max(0, p)),
    t,
    df,
    baseline_gmean: Math.exp(mb),
    candidate_gmean: Math.exp(mc),
  };
}

/** Seeded PRNG: simulations and permutation tests must be reproducible. */
import { rng } from '../core/rng.js';
export { rng };

/** Standard normal variate (Box–Muller) from a uniform source. */
export function normal(u: () => number): number {
  let a = u();
  while (a === 0) a = u();
  return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * u());
}

export interface ChangePoint {
  /** Index of the first element after the shift. */
  index: number;
  p_value: number;
  /** Q statistic of the split. */
  q: number;
  before: number;
  after: number;
}

/**
 * Best single split of xs[start, end) by the E-divisive means statistic (α = 1):
 * Q(τ) = (n·m/(n+m)) · [2/(nm) Σ|Xi−Yj| − 1/C(n,2) Σ|Xi−Xk| − 1/C(m,2) Σ|Yj−Yk|].
 */
function bestSplit(
  xs: ArrayLike<number>,
  start: number,
  end: number,
  minSize: number,
): { index: number; q: number } | null {
  const N = end - start;
  if (N < 2 * minSize) return null;
  // Pairwise distances once (series are short: a nightly history of tens to hundreds of runs).
  const D = new Float64Array(N * N);
  for (let i = 0; i < N; i++)
    for (let j = i + 1; j < N; j++) D[i * N + j] = D[j * N + i] = Math.abs(xs[start + i] - xs[start + j]);
  // Start with the split at τ = 0 and move one element from the right segment to the left per step: O(N) each.
  let between = 0,
    within1 = 0,
    within2 = 0;
  for (let j = 0; j < N; j++) for (let k = j + 1; k < N; k++) within2 += D[j * N + k];
  let best: { index: number; q: number } | null = null;
  for (let tau = 1; tau <= N - minSize; tau++) {
    const x = tau - 1; // element moving left
    let toLeft = 0,
      toRight = 0;
    for (let i = 0; i < x; i++) toLeft += D[i * N + x];
    for (let j = x + 1; j < N; j++) toRight += D[x * N + j];
    between += toRight - toLeft;
    within1 += toLeft;
    within2 -= toRight;
    if (tau < minSize) continue;
    const n = tau,
      m = N - tau;
    const e =
      (2 * between) / (n * m) -
      (n > 1 ? within1 / ((n * (n - 1)) / 2) : 0) -
      (m > 1 ? within2 / ((m * (m - 1)) / 2) : 0);
    const q = ((n * m) / (n + m)) * e;
    if (!best || q > best.q) best = { index: start + tau, q };
  }
  return best;
}

export interface EDivisiveOptions {
  /** Significance level of the permutation test (Hunter uses 0.001 on long histories; default 0.01). */
  alpha?: number;
  permutations?: number;
  /** Minimum segment length. */
  minSize?: number;
  seed?: number;
}

/**
 * E-divisive means: recursively bisect the series at the split maximizing Q; keep a split only if a permutation
 * test (shuffle the segment, recompute the maximum Q) finds it significant. Returns change points in index order.
 */
export function eDivisive(xs: ArrayLike<number>, opts: EDivisiveOptions = {}): ChangePoint[] {
  const alpha = opts.alpha ?? 0.01;
  const R = opts.permutations ?? 199;
  const minSize = Math.max(2, opts.minSize ?? 3);
  const u = rng(opts.seed ?? 1);
  const found: ChangePoint[] = [];
  const segments: [number, number][] = [[0, xs.length]];
  while (segments.length) {
    const [s, e] = segments.pop()!;
    const best = bestSplit(xs, s, e, minSize);
    if (!best) continue;
    const seg = Array.from({ length: e - s }, (_, i) => xs[s + i]);
    let atLeast = 0;
    for (let r = 0; r < R; r++) {
      for (let i = seg.length - 1; i > 0; i--) {
        const j = Math.floor(u() * (i + 1));
        [seg[i], seg[j]] = [seg[j], seg[i]];
      }
      const b = bestSplit(seg, 0, seg.length, minSize);
      if (b && b.q >= best.q) atLeast++;
    }
    const p = (atLeast + 1) / (R + 1);
    if (p > alpha) continue;
    const before = median(Array.from({ length: best.index - s }, (_, i) => xs[s + i]));
    const after = median(Array.from({ length: e - best.index }, (_, i) => xs[best.index + i]));
    found.push({ index: best.index, p_value: p, q: best.q, before, after });
    segments.push([s, best.index], [best.index, e]);
  }
  return found.sort((a, b) => a.index - b.index);
}
