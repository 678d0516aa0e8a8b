/**
 * One comparison: a metric at a load point, candidate trials against reference trials, decided by the fixed rule
 * (Welch's t on log values, steps/stats/decide.ts) or — when the candidate was swept with the sequential gate — by
 * replaying the gate's looks (steps/stats/sequential.ts), so the verdict states the same stop the sweep acted on.
 */
import type { Finding, Verdict } from '../core/types/verdict.js';
import { decide, type DecisionRule } from '../stats/decide.js';
import { noiseConflictP, replay, type SequentialDesign, type SequentialResult } from '../stats/sequential.js';
import { finding, type Where } from './checks.js';
import type { MetricDef } from './metrics.js';

export type Comparison = Verdict['comparisons'][number];

export interface SequentialUse {
  design: SequentialDesign;
  mode: 'ab' | 'baseline';
}

export interface CompareInput {
  where: Required<Pick<Where, 'backend' | 'concurrency' | 'rate'>>;
  metric: MetricDef;
  candidate: (number | null)[];
  /** Reference trials (baseline file entry or arm a); undefined = none for this point. */
  reference: number[] | undefined;
  /** Reasons known beforehand that make this comparison inconclusive. */
  blocked: string[];
  tolerance_pct: number;
  gated: boolean;
  rule: DecisionRule;
  sequential: (SequentialUse & { detectable_pct: number }) | null;
}

/** The comparison and any finding it raises (noise above the sequential design's). */
export function compare(c: CompareInput): { comparison: Comparison; findings: Finding[] } {
  const d = c.metric;
  const measured = c.candidate.filter((v): v is number => v !== null);
  const base: Comparison = {
    ...c.where,
    metric: d.key,
    direction: d.direction,
    baseline: null,
    candidate: null,
    delta_pct: null,
    ci_pct: null,
    p_value: null,
    trials: { baseline: c.reference?.length ?? 0, candidate: measured.length },
    tolerance_pct: c.tolerance_pct,
    gated: c.gated,
    verdict: 'inconclusive',
    sequential: null,
  };
  const why = [...c.blocked];
  if (c.candidate.some((v) => v === null)) why.push('not measured in every candidate trial (unknown, not guessed)');
  if (c.reference && !c.reference.length) why.push('not in the baseline');
  if (why.length || !c.reference)
    return { comparison: { ...base, reason: why.join('; ') || 'no baseline' }, findings: [] };
  const fixed = decide(c.reference, measured, d.direction, { ...c.rule, tolerance_pct: c.tolerance_pct });
  const stats = {
    baseline: fixed.baseline_gmean ?? null,
    candidate: fixed.candidate_gmean ?? null,
    delta_pct: fixed.delta_pct ?? null,
    ci_pct: fixed.ci_pct ?? null,
    p_value: fixed.p_value ?? null,
  };
  if (!c.sequential)
    return { comparison: { ...base, ...stats, verdict: fixed.verdict, reason: fixed.reason }, findings: [] };
  const s = replay(
    c.reference,
    measured,
    c.sequential.mode,
    { ...c.sequential.design, detectable_pct: c.sequential.detectable_pct },
    {
      direction: d.direction,
      tolerance_pct: c.tolerance_pct,
    },
  );
  return {
    comparison: {
      ...base,
      ...stats,
      ...sequentialVerdict(s, c),
      sequential: sequentialRecord(s, c.sequential.detectable_pct),
    },
    findings: noiseFinding(s, c),
  };
}

function sequentialRecord(s: SequentialResult, detectable: number): NonNullable<Comparison['sequential']> {
  return {
    stop: s.stop,
    detectable_pct: detectable,
    worse_bound_pct: s.last?.worse_bound_pct ?? null,
    looks: s.looks.map((l) => ({
      baseline_trials: l.trials.baseline,
      candidate_trials: l.trials.candidate,
      fraction: l.fraction,
      delta_pct: l.delta_pct,
      p_worse: l.p_worse,
      alpha_nominal: l.alpha_nominal,
      beta_nominal: l.beta_nominal,
      worse_bound_pct: l.worse_bound_pct,
      decision: l.decision,
    })),
  };
}

const fmt = (x: number, digits = 2) => x.toFixed(digits);

/** The comparison's verdict and reason from the gate's stop (a pass may also be an improvement). */
function sequentialVerdict(s: SequentialResult, c: CompareInput): Pick<Comparison, 'verdict' | 'reason' | 'trials'> {
  const l = s.last;
  const trials = { baseline: s.trials.baseline, candidate: s.trials.candidate };
  const det = c.sequential!.detectable_pct;
  if (!l) return { verdict: 'inconclusive', trials, reason: 'fewer trials than the first look of the sequential gate' };
  const at = `after ${l.trials.candidate} trial(s) per side (look ${s.looks.length})`;
  const d = `Δ ${fmt(l.delta_pct)} %`;
  if (s.stop === 'regression')
    return {
      verdict: 'regression',
      trials,
      reason: `${d} ${at}: p = ${l.p_worse.toPrecision(2)} ≤ ${l.alpha_nominal.toPrecision(2)} (the look's spending boundary) and worse than ${c.tolerance_pct} %`,
    };
  if (s.stop === 'pass') {
    const better = c.metric.direction === 'higher-is-better' ? l.delta_pct : -l.delta_pct;
    const improved = better > c.tolerance_pct && 1 - l.p_worse <= l.alpha_nominal;
    return {
      verdict: improved ? 'improvement' : 'unchanged',
      trials,
      reason: `${d} ${at}: a worsening of ${det} % is ruled out (one-sided bound ${fmt(l.worse_bound_pct)} % at level ${l.beta_nominal.toPrecision(2)})${improved ? `; better than ${c.tolerance_pct} %` : ''}`,
    };
  }
  const bound = `a worsening up to ${fmt(l.worse_bound_pct)} % is not ruled out (detectable ${det} %)`;
  return {
    verdict: 'inconclusive',
    trials,
    reason:
      s.stop === 'max-trials'
        ? `${d}: reached the maximum of ${l.trials.candidate} trials without a stop; ${bound}`
        : `${d}: the trials ended ${at} before a stop (maximum ${c.sequential!.design.max_trials}); ${bound}`,
  };
}

/** Gated comparisons whose trials are clearly noisier than the design assumes (prior–data conflict, p < 0.01). */
function noiseFinding(s: SequentialResult, c: CompareInput): Finding[] {
  const l = s.last;
  if (!c.gated || !l || s.s2 === null) return [];
  const nu = l.trials.baseline + l.trials.candidate - 2;
  const p = noiseConflictP(s.s2, nu, c.sequential!.design);
  if (!(p < 0.01)) return [];
  return [
    finding(
      'noise-above-design',
      'warning',
      { ...c.where, metric: c.metric.key },
      {
        observed: fmt(Math.sqrt(Math.exp(s.s2) - 1) * 100, 1),
        design: c.sequential!.design.noise_pct,
        p: p.toPrecision(2),
      },
    ),
  ];
}
