/**
 * The sequential gate between trials: the design from the config (checked when the config is read: a design that
 * cannot reach its detection target within its maximum is refused, naming the smallest maximum that can), and the
 * sweep hook that, after each trial (A/B: each pair), replays the looks of every gated metric at that load point
 * and says whether to run another trial, move to the next point, or stop the sweep (a regression decides the run).
 * The decision is steps/stats/sequential.ts `replay`, the same function analyze applies to the recorded trials.
 */
import type { ResolvedConfig } from '../core/config.js';
import { InvalidInputError, type Problem, problemCount } from '../core/errors.js';
import type { Sample } from '../core/types/sample.js';
import { summarize, type SloSpec } from '../metrics/derive.js';
import { replay, smallestMaxTrials, designPower, type SequentialDesign, type Spending } from '../stats/sequential.js';
import { METRICS, isGated, toleranceOf, type MetricDef, type RegressionSettings } from './metrics.js';
import type { BaselineBackend } from './baseline.js';

export type SequentialSettings = ResolvedConfig['regression']['sequential'];

/** The design the config asks for (null when the sequential gate is off). */
export function designOf(r: {
  sequential?: Partial<SequentialSettings> & { enabled?: boolean };
}): SequentialDesign | null {
  const s = r.sequential;
  if (!s || s.enabled === false) return null;
  return {
    alpha: s.alpha!,
    beta: s.beta!,
    detectable_pct: s.detectable_pct!,
    min_trials: s.min_trials!,
    max_trials: s.max_trials!,
    alpha_spending: s.alpha_spending as Spending,
    beta_spending: s.beta_spending as Spending,
    noise_pct: s.noise_pct!,
    prior_df: s.prior_df!,
    power: s.power!,
  };
}

/** Detectable worsening of one metric: its own setting, else the design's. */
export function detectableOf(d: MetricDef, r: RegressionSettings, design: SequentialDesign): number {
  return r.metrics[d.key]?.detectable_pct ?? design.detectable_pct;
}

/**
 * Bad input for the sequential gate, with paths: a design that cannot reach its power target at its noise within
 * max_trials for some gated metric (names the smallest maximum that can), and tolerances at or above the detectable
 * size. Pure; cached numerical integration, ~0.1 s per distinct (tolerance, detectable) pair.
 */
export function sequentialProblems(r: RegressionSettings & { sequential?: SequentialSettings }): Problem[] {
  const design = designOf(r);
  if (!design) return [];
  const problems: Problem[] = [];
  const P = '/regression/sequential';
  if (design.beta >= 1 - design.power)
    problems.push({
      path: `${P}/beta`,
      message: `beta ${design.beta} leaves nothing of the miss allowance 1 − power = ${(1 - design.power).toFixed(3)} for runs that reach the maximum undecided; lower beta or power`,
    });
  if (problems.length) return problems;
  const short: { keys: string[]; power: number; need: number | null }[] = [];
  const seen = new Set<string>();
  for (const d of METRICS.filter((m) => isGated(m, r))) {
    const tol = toleranceOf(d, r);
    const det = detectableOf(d, r, design);
    const where = r.metrics[d.key]?.tolerance_pct !== undefined ? `/regression/metrics/${d.key}` : '/regression';
    if (tol >= det) {
      problems.push({
        path: `${where}/tolerance_pct`,
        message: `${d.key}: tolerance ${tol} % is not below the detectable worsening ${det} %; the gate could never find what it must rule out (set regression.metrics.${d.key}.detectable_pct above it)`,
      });
      continue;
    }
    const key = `${tol}|${det}|${d.direction}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const keys = METRICS.filter(
      (m) =>
        isGated(m, r) && toleranceOf(m, r) === tol && detectableOf(m, r, design) === det && m.direction === d.direction,
    ).map((m) => `${m.key} (${det} % worsening, tolerance ${tol} %)`);
    const dd = { ...design, detectable_pct: det };
    const power = designPower(dd, tol, d.direction);
    if (power < design.power) short.push({ keys, power, need: smallestMaxTrials(dd, tol, 50, d.direction) });
  }
  if (short.length) {
    const need = short.some((x) => x.need === null) ? null : Math.max(...short.map((x) => x.need as number));
    problems.push({
      path: `${P}/max_trials`,
      message: `with at most ${design.max_trials} trials per side (first look at ${design.min_trials}) and ${design.noise_pct} % trial noise the gate finds ${short.map((x) => `${x.keys.join(', ')} with probability ${(x.power * 100).toFixed(1)} %`).join('; ')} — below its target ${(design.power * 100).toFixed(0)} %; ${need !== null ? `the smallest maximum that reaches it is ${need}` : 'no maximum up to 50 reaches it (raise detectable_pct or lower the noise)'}`,
    });
  }
  return problems;
}

/** Throws the config's sequential-design problems as invalid input (exit 2), before any work. */
export function assertSequentialDesign(cfg: ResolvedConfig, file: string): void {
  const problems = sequentialProblems(cfg.regression).map((p) => ({ ...p, file }));
  if (problems.length)
    throw new InvalidInputError(
      'config-invalid',
      `${file}: the sequential gate cannot reach its targets (${problemCount(problems.length)})`,
      {
        problems,
        hint: 'Raise regression.sequential.max_trials to the maximum named, or relax detectable_pct / power, or set regression.sequential.enabled: false for fixed trials.',
      },
    );
}

/**
 * Whether a baseline entry can support the gate: with its fewest trials for a gated metric, the design must still
 * reach its power target (a 3-trial baseline caps what any number of candidate trials can rule out). Otherwise the
 * sweep runs its fixed trials and the fixed rule decides.
 */
export function baselineSupportsGate(
  design: SequentialDesign,
  r: RegressionSettings,
  entry: BaselineBackend | undefined,
): boolean {
  if (!entry?.points.length) return false;
  const gated = METRICS.filter((d) => isGated(d, r));
  const nb = Math.min(...entry.points.flatMap((p) => gated.map((d) => p.metrics[d.key]?.length ?? 0)));
  return gated.every(
    (d) =>
      designPower({ ...design, detectable_pct: detectableOf(d, r, design) }, toleranceOf(d, r), d.direction, nb) >=
      design.power,
  );
}

/**
 * The baseline entry the gate may compare with: same backend, same workload fingerprint, and enough trials for the
 * design (baselineSupportsGate). `why` says why there is none when a same-named entry exists.
 */
export function gateBaselineEntry(
  design: SequentialDesign | null,
  r: RegressionSettings,
  backends: BaselineBackend[] | undefined,
  backend: string,
  fingerprint: string,
): { entry?: BaselineBackend; why?: string } {
  const named = backends?.find((x) => x.backend === backend);
  if (!design || !named) return {};
  if (named.fingerprint !== fingerprint) return { why: `the baseline entry of ${backend} measured another workload` };
  if (!baselineSupportsGate(design, r, named))
    return { why: `the baseline entry of ${backend} has too few trials for the gate to reach its target` };
  return { entry: named };
}

export type GateStep = 'continue' | 'next-point' | 'stop';

export interface GateArm {
  backend: string;
  arm?: 'a' | 'b';
  /** Measured (non-warmup) samples of the trial just finished. */
  samples: Sample[];
}

export interface GatePoint {
  concurrency: number | null;
  rate: number | null;
}

/** What the sweep calls between trials; `describe` is recorded in the sweep summary's plan. */
export interface TrialGate {
  describe: { design: SequentialDesign; reference: 'ab' | 'baseline' };
  after(point: GatePoint, trial: number, arms: GateArm[]): GateStep;
}

/**
 * A/B: arms a (reference) and b (candidate) of each trial. Baseline: the one run against `baseline`'s trials of the
 * same point (a point or metric the baseline lacks can never stop early: it runs to the maximum and analyze says why).
 */
export function sequentialGate(o: {
  design: SequentialDesign;
  regression: RegressionSettings;
  slo?: SloSpec;
  reference: { mode: 'ab' } | { mode: 'baseline'; baseline?: BaselineBackend };
  onStep?: (p: GatePoint, trial: number, step: GateStep, why: string) => void;
}): TrialGate {
  const series = new Map<string, { a: (number | null)[]; b: (number | null)[] }[]>();
  const gated = METRICS.filter((d) => isGated(d, o.regression));
  return {
    describe: { design: o.design, reference: o.reference.mode },
    after(p, trial, arms) {
      const key = `${p.concurrency ?? ''}|${p.rate ?? ''}`;
      const per = series.get(key) ?? gated.map(() => ({ a: [], b: [] }));
      series.set(key, per);
      const cand = arms.find((x) => x.arm === 'b') ?? arms[0];
      const ref = o.reference.mode === 'ab' ? arms.find((x) => x.arm === 'a') : undefined;
      const mc = summarize(cand.samples, { slo: o.slo });
      const ma = ref ? summarize(ref.samples, { slo: o.slo }) : null;
      const bp =
        o.reference.mode === 'baseline'
          ? o.reference.baseline?.points.find((x) => x.concurrency === p.concurrency && x.rate === p.rate)
          : undefined;
      const stops: string[] = [];
      gated.forEach((d, i) => {
        per[i].b[trial] = d.get(mc);
        if (ma) per[i].a[trial] = d.get(ma);
        const b = o.reference.mode === 'ab' ? per[i].a : (bp?.metrics[d.key] ?? []);
        const c = per[i].b;
        const clean = (xs: (number | null)[]) => xs.length > 0 && xs.every((x) => x !== null && x > 0);
        if (!clean(b) || !clean(c)) return stops.push(`${d.key}: undecidable`);
        const r = replay(
          b as number[],
          c as number[],
          o.reference.mode,
          { ...o.design, detectable_pct: detectableOf(d, o.regression, o.design) },
          {
            direction: d.direction,
            tolerance_pct: toleranceOf(d, o.regression),
          },
        );
        stops.push(`${d.key}: ${r.stop}`);
      });
      const step: GateStep = stops.some((s) => s.endsWith(': regression'))
        ? 'stop'
        : stops.every((s) => s.endsWith(': pass'))
          ? 'next-point'
          : 'continue';
      o.onStep?.(p, trial, step, stops.join(', '));
      return step;
    },
  };
}
