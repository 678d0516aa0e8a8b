/**
 * The sequential gate: a group-sequential error-spending design with two stops, looked at after every added trial
 * (A/B: every pair; against a baseline file: every candidate trial).
 *
 * - **Regression stop**: the one-sided test of "no change" crosses an α-spending boundary AND the estimated change is
 *   worse than the tolerance (the fixed rule's two conditions).
 * - **Pass stop**: a worsening of the detectable size (default 5 %) is rejected by a one-sided test at a β-spending
 *   boundary, i.e. the one-sided upper confidence bound on the worsening lies below the detectable size.
 * - **Maximum**: without a stop by `max_trials`, the comparison is inconclusive and states the bound it reached.
 *
 * Error spending after Lan & DeMets (1983), "Discrete sequential boundaries for clinical trials", Biometrika 70(3)
 * 659–663: each look spends α(t) − α(t_prev) of the error at information fraction t, so looks need not be planned.
 * Spending functions: Pocock-type α·ln(1 + (e − 1)·t) (Kim & DeMets 1987, Biometrika 74(1) 149–154) and
 * O'Brien–Fleming-type 2 − 2Φ(z_{1−α/2}/√t) (Lan & DeMets 1983). The two boundaries are non-binding with respect to
 * each other (Jennison & Turnbull 2000, "Group Sequential Methods with Applications to Clinical Trials", ch. 7):
 * P(regression stop | no change) ≤ α whether or not pass stops are honoured, P(pass stop | detectable worsening) ≤ β
 * whether or not regression stops are. Boundaries are computed by the recursive numerical integration of the
 * canonical joint distribution (Jennison & Turnbull 2000, ch. 19; Armitage, McPherson & Rowe 1969). The trial
 * noise is unknown, so each boundary's nominal level is applied to Welch's t statistic on log trial values (the
 * "significance level" approach of Jennison & Turnbull for unknown variance); the resulting error rates are
 * checked by simulation (steps/stats/sequential.test.ts, `npm run bench:analyze`).
 */
import { cumulativeNormal, quantileNormal } from 'vega-statistics';
import { incompleteBeta, tCdf, tQuantile } from './stats.js';
import type { Direction } from './decide.js';
import { CONFIG_DEFAULTS } from '../core/config.js';

// Module-scope aliases: the integration loops call these ~10⁷ times, and a global lookup per call is slow inside a
// vm context (jest runs tests in one).
const { exp, sqrt, log, max, min, PI, E } = Math;

export type Spending = 'pocock' | 'obrien-fleming' | `hsd(${number})`;

export interface SequentialDesign {
  /** One-sided level of the regression test (P(significant at any look | no change) ≤ alpha). */
  alpha: number;
  /** P(pass stop | worsening of detectable_pct) ≤ beta. */
  beta: number;
  /** The worsening, percent, the pass stop rules out. */
  detectable_pct: number;
  /** First look, trials per side (≥ 2: Welch's t needs a variance on each side). */
  min_trials: number;
  /** Last look, candidate trials. */
  max_trials: number;
  alpha_spending: Spending;
  beta_spending: Spending;
  /** Trial-to-trial noise (coefficient of variation, percent) the design is built for. */
  noise_pct: number;
  /** Degrees of freedom of the variance prior at noise_pct; 0 = Welch's t on the data alone. */
  prior_df: number;
  /** Detection target at detectable_pct (≥ 1 − beta − P(no stop by max_trials)); checked when a config is read. */
  power: number;
}

export const DESIGN_NAME = 'group-sequential-t-log';

/**
 * The default design (CONFIG_DEFAULTS.regression.sequential), chosen by simulation (npm run bench:analyze) for 3 %
 * trial noise and 3 % tolerance: Hwang–
 * Shih–DeCani spending (Hwang, Shih & DeCani 1990, Statistics in Medicine 9:1439–1445; γ = −1 sits between Pocock-
 * type, γ ≈ 1, and O'Brien–Fleming-type, γ ≈ −4) for the regression stop, a front-loaded γ = 2 for the pass stop.
 */
export const DEFAULT_DESIGN: SequentialDesign = (({ enabled: _on, ...d }) => ({
  ...d,
  alpha_spending: d.alpha_spending as Spending,
  beta_spending: d.beta_spending as Spending,
}))(CONFIG_DEFAULTS.regression.sequential);

export const Phi = (z: number): number => cumulativeNormal(z);
/** Upper tail 1 − Φ(z), without cancellation for large z. */
export const PhiUpper = (z: number): number => cumulativeNormal(-z);
export const PhiInv = (p: number): number => quantileNormal(p);

/** Cumulative error spent at information fraction t ∈ [0, 1]. */
export function spent(kind: Spending, total: number, t: number): number {
  if (t <= 0) return 0;
  if (t >= 1) return total;
  if (kind === 'pocock') return total * log(1 + (E - 1) * t);
  const hsd = /^hsd\((-?[\d.]+)\)$/.exec(kind);
  if (hsd) {
    const g = Number(hsd[1]);
    return g === 0 ? total * t : (total * (1 - exp(-g * t))) / (1 - exp(-g));
  }
  return 2 * PhiUpper(PhiInv(1 - total / 2) / sqrt(t));
}

// Simpson's rule on an odd number of points; at spacing ≤ 0.07 the narrowest kernel (σ ≈ 0.25 at the last of 16
// looks) spans ≥ 3.5 steps per σ. Boundaries agree with a 1201-point grid to < 1e-6 (sequential.test.ts).
const GRID = 241;
const LOW = -8; // the standard normal mass below −8 is 6e-16

function simpson(lo: number, hi: number): { z: Float64Array; w: Float64Array } {
  const z = new Float64Array(GRID);
  const w = new Float64Array(GRID);
  const h = (hi - lo) / (GRID - 1);
  for (let i = 0; i < GRID; i++) {
    z[i] = lo + i * h;
    w[i] = (h / 3) * (i === 0 || i === GRID - 1 ? 1 : i % 2 ? 4 : 2);
  }
  return { z, w };
}

const phi = (x: number) => exp(-0.5 * x * x) / sqrt(2 * PI);

/**
 * Upper z boundaries b_1..b_K such that a standard Brownian motion observed at information fractions t_k, with no
 * drift, first crosses b_k at look k with probability spent(t_k) − spent(t_{k−1}). Infinity where nothing is spent.
 */
export function spendingBoundaries(fractions: readonly number[], total: number, kind: Spending): number[] {
  const key = `${kind}|${total}|${fractions.join(',')}`;
  const hit = boundaryCache.get(key);
  if (hit) return hit;
  const out: number[] = [];
  let prevT = 0;
  let prevSpent = 0;
  let grid: { z: Float64Array; w: Float64Array } | null = null;
  let dens = new Float64Array(0); // sub-density of Z_{k−1} on the continuation region, times Simpson weights
  for (const t of fractions) {
    const target = max(0, spent(kind, total, t) - prevSpent);
    let b: number;
    if (!grid) {
      b = target > 0 ? PhiInv(1 - target) : Infinity;
    } else {
      const s1 = sqrt(prevT),
        s2 = sqrt(t),
        sd = sqrt(t - prevT);
      const g = grid;
      const d = dens;
      const cross = (bb: number) => {
        let s = 0;
        for (let i = 0; i < GRID; i++) s += d[i] * PhiUpper((bb * s2 - g.z[i] * s1) / sd);
        return s;
      };
      if (target <= 0) b = Infinity;
      else {
        let lo = -10,
          hi = 12;
        for (let it = 0; it < 48; it++) {
          const mid = (lo + hi) / 2;
          if (cross(mid) > target) lo = mid;
          else hi = mid;
        }
        b = (lo + hi) / 2;
      }
    }
    out.push(b);
    // Density of Z_k on (LOW, b_k) for the next look.
    const next = simpson(LOW, min(b, 8));
    const nd = new Float64Array(GRID);
    if (!grid) {
      for (let j = 0; j < GRID; j++) nd[j] = phi(next.z[j]) * next.w[j];
    } else {
      const s1 = sqrt(prevT),
        s2 = sqrt(t),
        sd = sqrt(t - prevT);
      for (let j = 0; j < GRID; j++) {
        let s = 0;
        const zj = next.z[j] * s2;
        for (let i = 0; i < GRID; i++) s += dens[i] * phi((zj - grid.z[i] * s1) / sd);
        nd[j] = ((s * s2) / sd) * next.w[j];
      }
    }
    grid = next;
    dens = nd;
    prevT = t;
    prevSpent = spent(kind, total, t);
  }
  boundaryCache.set(key, out);
  return out;
}
const boundaryCache = new Map<string, number[]>();

/** Running moments (Welford) of the log trial values of one side. */
export interface LogMoments {
  n: number;
  mean: number;
  m2: number;
}

export const emptyMoments = (): LogMoments => ({ n: 0, mean: 0, m2: 0 });

export function addLog(m: LogMoments, value: number): void {
  const x = log(value);
  m.n++;
  const d = x - m.mean;
  m.mean += d / m.n;
  m.m2 += d * (x - m.mean);
}

export function momentsOf(values: readonly number[]): LogMoments {
  const m = emptyMoments();
  for (const v of values) addLog(m, v);
  return m;
}

export type LookDecision = 'regression' | 'pass' | 'continue';

export interface Look {
  trials: { baseline: number; candidate: number };
  /** Information fraction of this look. */
  fraction: number;
  /** Candidate ÷ baseline ratio of geometric means − 1, percent. */
  delta_pct: number;
  /** One-sided p-value of "the candidate is worse" (Welch's t on logs). */
  p_worse: number;
  /** Nominal level the regression test must reach at this look. */
  alpha_nominal: number;
  /** Nominal level of the pass test at this look. */
  beta_nominal: number;
  /** Upper (1 − beta_nominal) bound on the worsening, percent (≤ detectable_pct rules it out). */
  worse_bound_pct: number;
  decision: LookDecision;
}

/** Worsening on the log scale: positive = worse, whatever the metric's direction. */
const sign = (d: Direction) => (d === 'higher-is-better' ? -1 : 1);
/** A worsening w (log scale) as percent: a drop for higher-is-better metrics, a rise for lower-is-better. */
export const worsePct = (w: number, d: Direction): number =>
  d === 'higher-is-better' ? (1 - exp(-w)) * 100 : (exp(w) - 1) * 100;
/** Percent worsening → log scale. */
export const worseLog = (pct: number, d: Direction): number =>
  d === 'higher-is-better' ? -log(1 - pct / 100) : log(1 + pct / 100);

export type GateMode = 'ab' | 'baseline';

/** Statistical information (∝ 1/Var of the difference of log means) of a look with nb and nc trials. */
const info = (nb: number, nc: number) => 1 / (1 / nb + 1 / nc);

/** The looks of a design: candidate trials at each look, baseline trials, and their information fractions. */
export function lookSchedule(
  design: SequentialDesign,
  mode: GateMode,
  baselineTrials: number,
): { candidate: number[]; baseline: number[]; fractions: number[] } {
  const candidate: number[] = [];
  for (let n = design.min_trials; n <= design.max_trials; n++) candidate.push(n);
  const baseline = candidate.map((n) => (mode === 'ab' ? n : baselineTrials));
  const iMax = info(mode === 'ab' ? design.max_trials : baselineTrials, design.max_trials);
  const fractions = candidate.map((n, k) => info(baseline[k], n) / iMax);
  return { candidate, baseline, fractions };
}

export interface LookLevels {
  alpha: number[];
  beta: number[];
}

/** Nominal one-sided levels of the regression and pass tests at each look. */
export function lookLevels(design: SequentialDesign, fractions: readonly number[]): LookLevels {
  const a = spendingBoundaries(fractions, design.alpha, design.alpha_spending);
  const b = spendingBoundaries(fractions, design.beta, design.beta_spending);
  return { alpha: a.map(PhiUpper), beta: b.map(PhiUpper) };
}

/**
 * The t statistic's ingredients from the two log-moment summaries. With prior_df = 0: Welch's t (separate variances,
 * Welch–Satterthwaite df). With prior_df = ν0 > 0: the variance pooled over both sides, combined with ν0 degrees of
 * freedom at max(design noise, pooled estimate) — the conjugate normal–inverse-χ² update (e.g. Gelman et al.,
 * "Bayesian Data Analysis", 3rd ed., §3.3) with the prior never below what the data show, so noise above the
 * design's only adds degrees of freedom, never shrinks the variance. Early looks with 2–4 trials a side then do not
 * pay for a nearly unknown variance (a t with 4 df); the price is a dependence on the design noise (bench rows at 5 %
 * and 8 % noise show it; analyze flags observed noise above the design's).
 */
export function tParts(
  b: LogMoments,
  c: LogMoments,
  prior?: { df: number; sigma2: number },
): { diff: number; se: number; df: number; s2: number } | null {
  if (b.n < 2 || c.n < 2) return null;
  const diff = c.mean - b.mean;
  if (prior && prior.df > 0) {
    const nu = b.n + c.n - 2;
    const pooled = (b.m2 + c.m2) / nu;
    const s2 = (prior.df * max(prior.sigma2, pooled) + b.m2 + c.m2) / (prior.df + nu);
    return { diff, se: sqrt(s2 * (1 / b.n + 1 / c.n)), df: prior.df + nu, s2: pooled };
  }
  const vb = b.m2 / (b.n - 1) / b.n,
    vc = c.m2 / (c.n - 1) / c.n;
  const se = sqrt(vb + vc);
  const df = se > 0 ? (vb + vc) ** 2 / ((vb * vb) / (b.n - 1) + (vc * vc) / (c.n - 1)) : b.n + c.n - 2;
  return { diff, se, df, s2: (b.m2 + c.m2) / (b.n + c.n - 2) };
}

/** log-scale variance of a log-normal trial noise with coefficient of variation cv. */
export const logVariance = (cv: number): number => log(1 + cv * cv);

/**
 * One look: given both sides' log moments and this look's nominal levels, the decision. Pure and cheap (two t CDFs),
 * so the sweep can consult it between trials and the power simulation can call it millions of times.
 */
export function look(
  b: LogMoments,
  c: LogMoments,
  levels: { alpha: number; beta: number },
  o: { direction: Direction; tolerance_pct: number; detectable_pct: number; prior?: { df: number; sigma2: number } },
): { decision: LookDecision; delta_pct: number; p_worse: number; w: number; se: number; df: number } | null {
  const s = tParts(b, c, o.prior);
  if (!s) return null;
  const w = sign(o.direction) * s.diff; // worsening, log scale
  const d1 = worseLog(o.detectable_pct, o.direction);
  let pWorse: number, pPass: number;
  if (s.se === 0) {
    pWorse = w > 0 ? 0 : 1;
    pPass = w < d1 ? 0 : 1;
  } else {
    pWorse = 1 - tCdf(w / s.se, s.df);
    pPass = tCdf((w - d1) / s.se, s.df);
  }
  const beyond = worsePct(w, o.direction) > o.tolerance_pct;
  const decision: LookDecision =
    pWorse <= levels.alpha && beyond ? 'regression' : pPass <= levels.beta ? 'pass' : 'continue';
  return { decision, delta_pct: (exp(s.diff) - 1) * 100, p_worse: pWorse, w, se: s.se, df: s.df };
}

export type StopReason = 'regression' | 'pass' | 'max-trials' | 'trials-ended';

export interface SequentialResult {
  stop: StopReason;
  /** Trials per side at the deciding (or last) look. */
  trials: { baseline: number; candidate: number };
  looks: Look[];
  /** The last look (the deciding one when stop is regression or pass). */
  last: Look | null;
  /** Pooled sample variance of the log trial values at the last look (for the noise check). */
  s2: number | null;
}

const priorOf = (d: SequentialDesign) => ({ df: d.prior_df, sigma2: logVariance(d.noise_pct / 100) });

/**
 * Replays the looks over trial series in their order: A/B mode pairs trial i of each arm (looks at min..max pairs);
 * baseline mode takes the whole baseline and the first n candidate trials. Deterministic, so analyze reproduces the
 * sweep's stopping decision from the recorded trials.
 */
export function replay(
  baseline: readonly number[],
  candidate: readonly number[],
  mode: GateMode,
  design: SequentialDesign,
  o: { direction: Direction; tolerance_pct: number },
): SequentialResult {
  const sched = lookSchedule(design, mode, baseline.length);
  const levels = lookLevels(design, sched.fractions);
  const prior = priorOf(design);
  const looks: Look[] = [];
  const avail = mode === 'ab' ? min(baseline.length, candidate.length) : candidate.length;
  const bm = mode === 'baseline' ? momentsOf(baseline) : emptyMoments();
  const cm = emptyMoments();
  let used = 0;
  let s2: number | null = null;
  for (let k = 0; k < sched.candidate.length; k++) {
    const n = sched.candidate[k];
    if (n > avail) break;
    for (; used < n; used++) {
      addLog(cm, candidate[used]);
      if (mode === 'ab') addLog(bm, baseline[used]);
    }
    const lv = { alpha: levels.alpha[k], beta: levels.beta[k] };
    const r = look(bm, cm, lv, { ...o, detectable_pct: design.detectable_pct, prior });
    if (!r) break;
    s2 = tParts(bm, cm)?.s2 ?? null;
    const bound = r.se > 0 ? r.w + tQuantile(1 - lv.beta, r.df) * r.se : r.w;
    looks.push({
      trials: { baseline: bm.n, candidate: cm.n },
      fraction: sched.fractions[k],
      delta_pct: r.delta_pct,
      p_worse: r.p_worse,
      alpha_nominal: lv.alpha,
      beta_nominal: lv.beta,
      worse_bound_pct: worsePct(bound, o.direction),
      decision: r.decision,
    });
    if (r.decision !== 'continue') break;
  }
  const last = looks.at(-1) ?? null;
  const stop: StopReason =
    last && last.decision !== 'continue'
      ? last.decision
      : last && last.trials.candidate >= design.max_trials
        ? 'max-trials'
        : 'trials-ended';
  return { stop, trials: last ? last.trials : { baseline: baseline.length, candidate: 0 }, looks, last, s2 };
}

/**
 * Probability that a Brownian motion with drift, seen as Z_k = S_k/√t_k at fractions t_k with E[Z_k] = mean_k,
 * leaves (lower_k, upper_k) upwards (first) before leaving downwards, by the same numerical integration as the
 * boundaries. Used with the design noise taken as known, so it approximates the t-based gate.
 */
export function exitUpProbability(
  fractions: readonly number[],
  lower: readonly number[],
  upper: readonly number[],
  means: readonly number[],
): { up: number; down: number } {
  let up = 0,
    down = 0;
  let grid: { z: Float64Array; w: Float64Array } | null = null;
  let dens = new Float64Array(0);
  let prevT = 0;
  for (let k = 0; k < fractions.length; k++) {
    const t = fractions[k];
    const lo = lower[k],
      hi = max(lower[k], upper[k]);
    // Z_k − mean_k given Z_{k−1} = u: S-increment N(0, Δt) around the drift.
    const cond = (zk: number, u: number, k1: number) => (zk - means[k]) * sqrt(t) - (u - means[k1]) * sqrt(prevT);
    if (!grid) {
      up += PhiUpper(upper[k] - means[k]);
      down += Phi(min(lo, upper[k]) - means[k]);
    } else {
      const sd = sqrt(t - prevT);
      for (let i = 0; i < GRID; i++) {
        up += dens[i] * PhiUpper(cond(upper[k], grid.z[i], k - 1) / sd);
        down += dens[i] * Phi(cond(min(lo, upper[k]), grid.z[i], k - 1) / sd);
      }
    }
    if (hi <= lo) return { up, down };
    const next = simpson(max(lo, means[k] - 8), min(hi, means[k] + 8));
    const nd = new Float64Array(GRID);
    for (let j = 0; j < GRID; j++) {
      if (!grid) nd[j] = phi(next.z[j] - means[k]) * next.w[j];
      else {
        const sd = sqrt(t - prevT);
        let s = 0;
        for (let i = 0; i < GRID; i++) s += dens[i] * phi(cond(next.z[j], grid.z[i], k - 1) / sd);
        nd[j] = ((s * sqrt(t)) / sd) * next.w[j];
      }
    }
    grid = next;
    dens = nd;
    prevT = t;
  }
  return { up, down };
}

/**
 * Detection probability of a design with max_trials per side (A/B), when the change is a worsening of exactly
 * detectable_pct and the trial noise is the design's (taken as known): regression region Z ≥ max(z_α,k, tolerance/se_k),
 * pass region Z ≤ detectable/se_k − z_β,k.
 */
export function designPower(
  design: SequentialDesign,
  tolerancePct: number,
  direction: Direction = 'higher-is-better',
  /** Against a baseline file of this many trials (default: A/B, one pair per look). */
  baselineTrials?: number,
): number {
  if (design.max_trials < design.min_trials || (baselineTrials !== undefined && baselineTrials < 2)) return 0;
  const sched = lookSchedule(design, baselineTrials === undefined ? 'ab' : 'baseline', baselineTrials ?? 0);
  const lv = lookLevels(design, sched.fractions);
  const sigma = sqrt(logVariance(design.noise_pct / 100));
  const d1 = worseLog(design.detectable_pct, direction);
  const tol = worseLog(tolerancePct, direction);
  const se = sched.candidate.map((n, k) => sigma * sqrt(1 / sched.baseline[k] + 1 / n));
  const upper = se.map((s, k) => max(PhiInv(1 - lv.alpha[k]), tol / s));
  const lower = se.map((s, k) => d1 / s - PhiInv(1 - lv.beta[k]));
  const means = se.map((s) => d1 / s);
  return exitUpProbability(sched.fractions, lower, upper, means).up;
}

/** The smallest maximum (up to `limit`) at which the design reaches its power target, or null (power grows with the maximum). */
export function smallestMaxTrials(
  design: SequentialDesign,
  tolerancePct: number,
  limit = 50,
  direction: Direction = 'higher-is-better',
): number | null {
  const ok = (n: number) => designPower({ ...design, max_trials: n }, tolerancePct, direction) >= design.power;
  let lo = max(2, design.min_trials) - 1; // fails (or below the first look)
  let hi = limit;
  if (!ok(hi)) return null;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (ok(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * Prior–data conflict (Evans & Moshonov 2006, Bayesian Analysis 1(4) 893–914) for the variance prior: the upper-tail
 * probability of the pooled sample variance over the design's, as F(ν, prior_df). Small = the trials are noisier
 * than the design assumes, so its error rates do not hold as computed.
 */
export function noiseConflictP(s2: number, nu: number, design: SequentialDesign): number {
  const df0 = max(design.prior_df, 1);
  const x = s2 / logVariance(design.noise_pct / 100);
  return 1 - incompleteBeta((nu * x) / (nu * x + df0), nu / 2, df0 / 2);
}
