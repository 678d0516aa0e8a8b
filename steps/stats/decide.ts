/**
 * The per-metric decision rule, shared by analyze and the power simulation so the figures printed by
 * `npm run bench:analyze` are those of the rule that gates runs.
 */
import { welchLog, normal, rng, type WelchResult } from './stats.js';
import {
  addLog,
  emptyMoments,
  logVariance,
  look,
  lookLevels,
  lookSchedule,
  type LookDecision,
  type SequentialDesign,
} from './sequential.js';

export type Direction = 'higher-is-better' | 'lower-is-better';
export type MetricVerdict = 'regression' | 'improvement' | 'unchanged' | 'inconclusive';

export interface DecisionRule {
  /** Two-sided significance level of Welch's t on log trial values. */
  alpha: number;
  /** A change must also exceed this, percent. */
  tolerance_pct: number;
  /** Trials needed on each side. */
  min_trials: number;
}

export const TEST_NAME = 'welch-t-log';

export interface Decision extends Partial<WelchResult> {
  verdict: MetricVerdict;
  reason: string;
}

export function decide(baseline: number[], candidate: number[], direction: Direction, rule: DecisionRule): Decision {
  if (baseline.length < rule.min_trials || candidate.length < rule.min_trials) {
    return {
      verdict: 'inconclusive',
      reason: `needs ≥ ${rule.min_trials} trials on each side (baseline ${baseline.length}, candidate ${candidate.length})`,
    };
  }
  const w = welchLog(baseline, candidate, rule.alpha);
  if (!w) return { verdict: 'inconclusive', reason: 'a trial value is missing, zero or negative' };
  const worse = direction === 'higher-is-better' ? w.delta_pct < 0 : w.delta_pct > 0;
  const significant = w.p_value < rule.alpha;
  const beyond = Math.abs(w.delta_pct) > rule.tolerance_pct;
  const d = `Δ ${w.delta_pct.toFixed(2)} %, p = ${w.p_value.toPrecision(2)}`;
  if (significant && beyond)
    return {
      ...w,
      verdict: worse ? 'regression' : 'improvement',
      reason: `${d}: significant and beyond ±${rule.tolerance_pct} %`,
    };
  return {
    ...w,
    verdict: 'unchanged',
    reason: significant
      ? `${d}: significant but within ±${rule.tolerance_pct} %`
      : `${d}: not significant at α = ${rule.alpha}`,
  };
}

export interface PowerResult {
  trials: number;
  /** Fraction of simulated comparisons that flagged a regression for a real drop of `drop_pct`. */
  detection: number;
  /** Fraction of A/A comparisons (no change) that flagged a regression. */
  false_alarm: number;
  /** Fraction of A/A comparisons that flagged anything (regression or improvement). */
  any_flag: number;
  simulations: number;
}

/**
 * Simulates trial series with log-normal run-to-run noise of `cv` (e.g. 0.03) and measures how often the rule
 * flags a throughput drop of `dropPct` and how often it flags an A/A comparison.
 */
export function simulatePower(o: {
  trials: number;
  baselineTrials?: number;
  cv: number;
  dropPct: number;
  rule: DecisionRule;
  simulations: number;
  seed?: number;
}): PowerResult {
  const u = rng(o.seed ?? 7);
  const sigma = Math.sqrt(Math.log(1 + o.cv * o.cv));
  const nb = o.baselineTrials ?? o.trials;
  const series = (n: number, level: number) => Array.from({ length: n }, () => level * Math.exp(sigma * normal(u)));
  let hit = 0,
    fa = 0,
    any = 0;
  for (let i = 0; i < o.simulations; i++) {
    const base = series(nb, 1000);
    if (
      decide(base, series(o.trials, 1000 * (1 - o.dropPct / 100)), 'higher-is-better', o.rule).verdict === 'regression'
    )
      hit++;
    const aa = decide(series(nb, 1000), series(o.trials, 1000), 'higher-is-better', o.rule).verdict;
    if (aa === 'regression') fa++;
    if (aa !== 'unchanged') any++;
  }
  return {
    trials: o.trials,
    detection: hit / o.simulations,
    false_alarm: fa / o.simulations,
    any_flag: any / o.simulations,
    simulations: o.simulations,
  };
}

export interface SequentialPowerResult {
  simulations: number;
  /** Fraction of runs that stopped for a regression. */
  regression: number;
  /** Fraction that stopped for a pass. */
  pass: number;
  /** Fraction that reached the maximum without a stop. */
  undecided: number;
  /** Expected trials per side. */
  expected_trials: number;
}

/**
 * Simulates the sequential gate in A/B mode (one pair per look) with log-normal trial noise `cv` and a true
 * worsening of `changePct` (0 = A/A), through the same `look` the sweep and analyze use.
 */
export function simulateSequential(o: {
  design: SequentialDesign;
  cv: number;
  changePct: number;
  tolerance_pct: number;
  simulations: number;
  seed?: number;
  /** lower-is-better: the change is a rise of changePct (a latency), else a drop (a throughput). */
  direction?: Direction;
}): SequentialPowerResult {
  const d = o.design;
  const u = rng(o.seed ?? 7);
  const sigma = Math.sqrt(Math.log(1 + o.cv * o.cv));
  const sched = lookSchedule(d, 'ab', d.max_trials);
  const lv = lookLevels(d, sched.fractions);
  const prior = { df: d.prior_df, sigma2: logVariance(d.noise_pct / 100) };
  const direction = o.direction ?? 'higher-is-better';
  const opts = {
    direction,
    tolerance_pct: o.tolerance_pct,
    detectable_pct: d.detectable_pct,
    prior,
  };
  const shift = direction === 'higher-is-better' ? Math.log(1 - o.changePct / 100) : Math.log(1 + o.changePct / 100);
  const b = emptyMoments(),
    c = emptyMoments();
  let reg = 0,
    pass = 0,
    trials = 0;
  for (let s = 0; s < o.simulations; s++) {
    b.n = b.mean = b.m2 = c.n = c.mean = c.m2 = 0;
    let k = 0;
    let out: LookDecision = 'continue';
    while (c.n < d.max_trials && out === 'continue') {
      addLog(b, Math.exp(sigma * normal(u)));
      addLog(c, Math.exp(shift + sigma * normal(u)));
      if (c.n < d.min_trials) continue;
      out = look(b, c, { alpha: lv.alpha[k], beta: lv.beta[k] }, opts)?.decision ?? 'continue';
      k++;
    }
    trials += c.n;
    if (out === 'regression') reg++;
    else if (out === 'pass') pass++;
  }
  const n = o.simulations;
  return {
    simulations: n,
    regression: reg / n,
    pass: pass / n,
    undecided: (n - reg - pass) / n,
    expected_trials: trials / n,
  };
}
