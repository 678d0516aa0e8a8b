/**
 * `analyze` core: runs directory (+ optional baseline) → analysis summary and verdict. Pure apart from reading
 * its inputs; the shell (command.ts) and `llmbench run` write the results.
 */
import type { Logger } from '../core/log.js';
import { FINDINGS } from '../core/findings.js';
import type { AnalysisSummary } from '../core/types/analysis-summary.js';
import type { Verdict, Finding } from '../core/types/verdict.js';
import type { Baseline } from '../core/types/baseline.js';
import type { HistoryEntry } from '../core/types/history-entry.js';
import { pointKey, type Point, type SloSpec } from '../metrics/derive.js';
import { TEST_NAME, type DecisionRule } from '../stats/decide.js';
import { DESIGN_NAME, type SequentialDesign } from '../stats/sequential.js';
import { welchLog } from '../stats/stats.js';
import { loadRuns, type LoadedRun } from './load.js';
import { aggregate, loadDanfo, trialValues, trialsOf } from './aggregate.js';
import { METRICS, isGated, toleranceOf, type RegressionSettings } from './metrics.js';
import type { BaselineBackend, SeriesChangePoint } from './baseline.js';
import {
  MIN_TRIAL_REQUESTS,
  blockedBy,
  checkAgainstReference,
  checkPoint,
  checkRun,
  checkWorkloads,
  finding,
  provenanceDiff,
  uncleanReasons,
  whereText,
} from './checks.js';
import { compare, type Comparison } from './compare.js';
import { detectableOf } from './gate.js';

export type { Comparison };

/** Trials per side at which the fixed rule meets its power target (bench:analyze prints the simulation). */
export const RECOMMENDED_TRIALS = 12;
export const MIN_TRIALS = 2;
export { MIN_TRIAL_REQUESTS };

export interface AnalyzeInput {
  runsDir: string;
  regression: RegressionSettings;
  slo?: SloSpec;
  gpuHourUsd: number;
  /** Default min samples for p99 when a sweep did not record plan.min_samples. */
  minSamples: number;
  baseline: { path: string; data: Baseline } | null;
  /** Why there is no baseline (missing file, other schema version): becomes a finding. */
  baselineProblem?: { code: string; message: string };
  log: Logger;
  now?: () => Date;
}

export interface AnalyzeOutput {
  summary: AnalysisSummary;
  verdict: Verdict;
  runs: LoadedRun[];
  /** Per backend: what a baseline or history entry would hold for this run. */
  snapshot: BaselineBackend[];
  /** Reasons this run may not become a baseline (empty = clean). */
  unclean: string[];
}

export async function analyze(inp: AnalyzeInput): Promise<AnalyzeOutput> {
  const now = (inp.now ?? (() => new Date()))().toISOString();
  void loadDanfo().catch(() => {}); // overlap the TensorFlow.js load with reading samples
  const runs = await loadRuns(inp.runsDir, { slo: inp.slo, log: inp.log });
  const findings = validity(runs, inp);
  const rows = await aggregate(runs, { gpuHourUsd: inp.gpuHourUsd });
  const snapshot = runs.map(snapOf);
  const refs = references(runs, inp, now);
  findings.push(...refs.findings);
  const rule: DecisionRule = {
    alpha: inp.regression.alpha,
    tolerance_pct: inp.regression.tolerance_pct,
    min_trials: MIN_TRIALS,
  };
  const cmp = comparisons(runs, refs, findings, inp, rule);
  findings.push(...cmp.findings);
  const gated = METRICS.filter((d) => isGated(d, inp.regression)).map((d) => d.key);
  const seq = runs.map((r) => r.summary.plan?.sequential).find((x) => x) ?? null;
  const v: Verdict = {
    schema_version: 1,
    verdict: verdictOf(cmp.comparisons, findings),
    generated_at: now,
    rule: ruleOf(inp.regression, rule, gated, seq),
    baseline: refs.identity,
    candidate: {
      commit_sha: runs.find((r) => r.summary.provenance?.commit_sha)?.summary.provenance?.commit_sha ?? null,
      runs: runs.map((r) => r.summary.run_id ?? r.backend),
    },
    comparisons: sortComparisons(cmp.comparisons),
    findings: findings.sort((a, b) => sev(b.severity) - sev(a.severity)),
    ranking: rank(runs, findings, rule),
    change_points: [],
  };
  const summary: AnalysisSummary = {
    schema_version: 1,
    generated_at: now,
    runs: runs.map((r) => ({
      backend: r.backend,
      path: r.dir,
      fingerprint: r.summary.workload?.fingerprint ?? null,
      provenance: r.summary.provenance ?? {},
      samples: r.samples,
      corrupt_lines: r.corrupt.length,
    })),
    rows,
  };
  const unclean = uncleanReasons(findings);
  for (const r of runs)
    for (const p of r.points)
      if (trialsOf(p).length < MIN_TRIALS)
        unclean.push(`${r.backend} ${whereText(p)}: ${trialsOf(p).length} trial(s); a baseline needs ≥ ${MIN_TRIALS}`);
  return { summary, verdict: v, runs, snapshot, unclean };
}

/** Every validity check over every run and point. */
function validity(runs: LoadedRun[], inp: AnalyzeInput): Finding[] {
  const out: Finding[] = [];
  for (const r of runs) {
    out.push(...checkRun(r));
    const o = {
      maxErrorRate: inp.regression.max_error_rate,
      minSamples: r.summary.plan?.min_samples ?? inp.minSamples,
      requestedOutputTokens: r.summary.workload?.output_tokens ?? null,
    };
    for (const p of r.points) out.push(...checkPoint(r, p, o));
  }
  out.push(...checkWorkloads(runs));
  return out;
}

/** What a baseline or history entry holds for a run: per point, the per-trial values of every metric. */
function snapOf(r: LoadedRun): BaselineBackend {
  return {
    backend: r.backend,
    fingerprint: r.summary.workload?.fingerprint ?? '',
    provenance: (r.summary.provenance ?? {}) as Record<string, unknown>,
    points: r.points.map((p) => {
      const metrics: Record<string, number[]> = {};
      for (const [k, vals] of Object.entries(trialValues(p)))
        if (vals.length && vals.every((x) => x !== null && x > 0)) metrics[k] = vals as number[];
      return { concurrency: p.concurrency, rate: p.rate, metrics };
    }),
  };
}

interface References {
  /** Candidate backend → its reference (A/B: arm a's snapshot; else the baseline file's entry). */
  of: Map<string, { entry: BaselineBackend | undefined; peer?: LoadedRun }>;
  /** Reference arms (A/B arm a): not judged themselves. */
  arms: Set<string>;
  identity: Verdict['baseline'];
  findings: Finding[];
}

/** A/B mode (interleaved arms on the same GPU): arm b is compared with arm a of the same run, not with a file. */
function references(runs: LoadedRun[], inp: AnalyzeInput, now: string): References {
  const armOf = (r: LoadedRun) => r.summary.plan?.ab?.arm;
  const of = new Map<string, { entry: BaselineBackend | undefined; peer?: LoadedRun }>();
  const arms = new Set<string>();
  for (const r of runs) {
    if (armOf(r) !== 'b') continue;
    const a = runs.find((x) => x.backend === r.summary.plan?.ab?.peer_backend && armOf(x) === 'a');
    if (!a) continue;
    of.set(r.backend, { entry: { ...snapOf(a), backend: r.backend }, peer: a });
    arms.add(a.backend);
  }
  const findings: Finding[] = [];
  const needsFile = runs.some((r) => !of.has(r.backend) && !arms.has(r.backend));
  if (!inp.baseline && needsFile) findings.push(noBaseline(inp));
  for (const r of runs) {
    if (of.has(r.backend) || arms.has(r.backend) || !inp.baseline) continue;
    const entry = inp.baseline.data.backends.find((x) => x.backend === r.backend);
    of.set(r.backend, { entry });
    if (!entry)
      findings.push(
        finding(
          'no-baseline',
          'error',
          { backend: r.backend },
          { detail: `the baseline has no entry for backend '${r.backend}'` },
        ),
      );
  }
  for (const r of runs) {
    const ref = of.get(r.backend)?.entry;
    if (ref)
      findings.push(...checkAgainstReference(r, ref as { fingerprint: string; provenance?: Record<string, unknown> }));
  }
  if (inp.baseline && needsFile)
    for (const bb of inp.baseline.data.backends)
      if (!runs.some((r) => r.backend === bb.backend))
        findings.push(finding('backend-missing', 'error', { backend: bb.backend }));
  const identity =
    inp.baseline && needsFile
      ? {
          path: inp.baseline.path,
          created_at: inp.baseline.data.created_at,
          commit_sha: inp.baseline.data.commit_sha ?? null,
        }
      : arms.size
        ? { path: `A/B: arm a of this run (${[...arms].join(', ')})`, created_at: now, commit_sha: null }
        : null;
  return { of, arms, identity, findings };
}

function noBaseline(inp: AnalyzeInput): Finding {
  const code = inp.baselineProblem?.code;
  const known = code === 'baseline-invalid' || code === 'baseline-schema-mismatch' ? code : 'no-baseline';
  return finding(
    known,
    'error',
    {},
    {
      detail:
        inp.baselineProblem?.message ??
        'no baseline given: nothing to decide against (write one from a clean run with --write-baseline)',
    },
  );
}

/** Every metric at every point of every judged backend. */
function comparisons(
  runs: LoadedRun[],
  refs: References,
  known: Finding[],
  inp: AnalyzeInput,
  rule: DecisionRule,
): { comparisons: Comparison[]; findings: Finding[] } {
  const blocked = blockedBy(known);
  const out: Comparison[] = [];
  const findings: Finding[] = [];
  for (const r of runs) {
    if (refs.arms.has(r.backend)) continue; // the reference arm is not itself judged
    const ref = refs.of.get(r.backend);
    const peer = ref?.peer?.backend;
    const plan = r.summary.plan?.sequential;
    const minSamples = r.summary.plan?.min_samples ?? inp.minSamples;
    for (const p of r.points) {
      const key = pointKey(p);
      const reasons = [
        ...(blocked.get('*') ?? []),
        ...(blocked.get(`${r.backend}#*`) ?? []),
        ...(blocked.get(`${r.backend}#${key}`) ?? []),
        ...(peer
          ? [...(blocked.get(`${peer}#*`) ?? []), ...(blocked.get(`${peer}#${key}`) ?? [])].map((w) => `arm a: ${w}`)
          : []),
      ];
      if (!ref?.entry && (inp.baseline || ref)) reasons.push('backend not in baseline');
      if (!ref) reasons.push('no baseline');
      const bp = ref?.entry?.points.find((x) => pointKey(x) === key);
      if (ref?.entry && !bp) reasons.push(`${whereText(p)} not in baseline`);
      const cand = trialValues(p);
      for (const d of METRICS) {
        if (cand[d.key].every((v) => v === null) && !bp?.metrics[d.key]) continue; // measured on neither side
        const why = [...reasons];
        if (d.p99 && p.completed < minSamples) why.push(`p99 rests on ${p.completed} requests (< ${minSamples})`);
        const res = compare({
          where: { backend: r.backend, concurrency: p.concurrency, rate: p.rate },
          metric: d,
          candidate: cand[d.key],
          reference: bp ? (bp.metrics[d.key] ?? []) : undefined,
          blocked: why,
          tolerance_pct: toleranceOf(d, inp.regression),
          gated: isGated(d, inp.regression),
          rule,
          sequential: plan
            ? {
                design: plan.design as SequentialDesign,
                mode: plan.reference,
                detectable_pct: detectableOf(d, inp.regression, plan.design as SequentialDesign),
              }
            : null,
        });
        out.push(res.comparison);
        findings.push(...res.findings);
      }
      const nt = trialsOf(p).length;
      if (!plan && nt < RECOMMENDED_TRIALS && ref)
        findings.push(
          finding(
            'insufficient-trials',
            'info',
            { backend: r.backend, concurrency: p.concurrency, rate: p.rate },
            { recommended: RECOMMENDED_TRIALS },
            nt,
          ),
        );
    }
  }
  return { comparisons: out, findings };
}

/** regression if a gated comparison regressed; else inconclusive if one could not be decided or an error stands; else pass. */
export function verdictOf(cs: Comparison[], findings: Finding[]): Verdict['verdict'] {
  const gated = cs.filter((c) => c.gated);
  if (gated.some((c) => c.verdict === 'regression')) return 'regression';
  const undecided =
    !gated.length || gated.some((c) => c.verdict === 'inconclusive') || findings.some((f) => f.severity === 'error');
  return undecided ? 'inconclusive' : 'pass';
}

function ruleOf(
  reg: RegressionSettings,
  rule: DecisionRule,
  gated: string[],
  seq: NonNullable<LoadedRun['summary']['plan']>['sequential'] | null,
): NonNullable<Verdict['rule']> {
  const tol: Record<string, number> = {};
  for (const d of METRICS) tol[d.key] = toleranceOf(d, reg);
  const fixed = `A gated metric regresses when Welch's t-test on the logarithms of per-trial values (trials are the unit of replication; ≥ ${MIN_TRIALS} per side, ${RECOMMENDED_TRIALS} recommended) is significant at α = ${rule.alpha} two-sided AND the change in the geometric mean is worse than the tolerance (${reg.tolerance_pct} % unless set per metric).`;
  const d = seq?.design;
  const sequential = d
    ? `Sequential gate (${DESIGN_NAME}, ${seq.reference === 'ab' ? 'A/B: arm b against arm a, one look per pair' : 'against the baseline file, one look per candidate trial'}): looks from ${d.min_trials} to ${d.max_trials} trials per side; a gated metric regresses when the one-sided t test on log trial values crosses the look's ${d.alpha_spending} α-spending boundary (α = ${d.alpha} over all looks) AND the change is worse than the tolerance; it passes when a worsening of ${d.detectable_pct} % is ruled out by the one-sided bound at the look's ${d.beta_spending} β-spending level (β = ${d.beta}); variance pooled with a ${d.prior_df}-df prior at ${d.noise_pct} % trial noise; at the maximum without a stop it is inconclusive and states the bound reached (Lan & DeMets 1983; Hwang, Shih & DeCani 1990; Jennison & Turnbull 2000).`
    : fixed;
  return {
    test: d ? DESIGN_NAME : TEST_NAME,
    alpha: rule.alpha,
    confidence: 1 - rule.alpha,
    min_trials: d ? d.min_trials : MIN_TRIALS,
    recommended_trials: RECOMMENDED_TRIALS,
    tolerance_pct: tol,
    gated_metrics: gated,
    sequential: seq ? { name: DESIGN_NAME, design: seq.design, reference: seq.reference } : null,
    text: `${sequential} Gated: ${gated.join(', ')}. p99 is ${reg.gate_p99 ? 'gated' : 'reported, not gated'}. Any gated comparison that cannot be decided (too few trials or samples, errors over ${(reg.max_error_rate * 100).toFixed(1)} %, other workload, GPU, model or server) makes the verdict inconclusive, never a pass.`,
  };
}

/** Change points found in the history, attached to a verdict already computed (no second analysis). */
export function withChangePoints(v: Verdict, cps: SeriesChangePoint[]): Verdict {
  const change_points = cps.map((c) => ({
    backend: c.backend,
    concurrency: c.concurrency,
    rate: c.rate,
    metric: c.metric,
    run: c.run,
    index: c.index,
    p_value: c.p_value,
    before: c.before,
    after: c.after,
  }));
  const found = change_points.map((c) =>
    finding(
      'change-point',
      'info',
      { backend: c.backend, concurrency: c.concurrency, rate: c.rate, metric: c.metric },
      {
        before: c.before?.toFixed(2),
        after: c.after?.toFixed(2),
        run: c.run,
        p: c.p_value?.toFixed(3),
      },
    ),
  );
  return { ...v, change_points, findings: [...v.findings, ...found] };
}

const sev = (s: string) => (s === 'error' ? 2 : s === 'warning' ? 1 : 0);
const vOrder: Record<string, number> = { regression: 0, inconclusive: 1, improvement: 2, unchanged: 3 };
function sortComparisons(cs: Comparison[]): Comparison[] {
  return cs.sort(
    (a, b) =>
      Number(b.gated) - Number(a.gated) ||
      vOrder[a.verdict] - vOrder[b.verdict] ||
      a.backend.localeCompare(b.backend) ||
      (a.concurrency ?? 0) - (b.concurrency ?? 0),
  );
}

export { provenanceDiff };

/** Cross-backend ranking by output throughput at the highest common concurrency — only when the comparison is fair. */
function rank(runs: LoadedRun[], findings: Finding[], rule: DecisionRule): Verdict['ranking'] {
  if (runs.length < 2) return null;
  const reasons: string[] = [];
  const fps = new Set(runs.map((r) => r.summary.workload?.fingerprint));
  if (fps.size > 1) reasons.push('backends ran different workloads');
  for (const f of findings) {
    if (!f.backend) continue;
    if (f.severity === 'error' && FINDINGS[f.code].excludesFromBaseline) reasons.push(`${f.backend}: ${f.code}`);
    if (f.code === 'output-shortfall')
      reasons.push(`${f.backend} produced fewer output tokens than requested (equal work not guaranteed)`);
    if (f.code === 'token-count-unverified' && f.severity !== 'info')
      reasons.push(`${f.backend}: output tokens not counted by the server or a tokenizer`);
  }
  const gpus = new Set(runs.map((r) => r.summary.provenance?.gpu ?? null));
  if (gpus.size > 1) reasons.push('backends ran on different GPUs');
  const common = runs
    .map((r) => new Set(r.points.filter((p) => p.rate === null).map((p) => p.concurrency)))
    .reduce((a, b) => new Set([...a].filter((x) => b.has(x))));
  const c = Math.max(...[...common].filter((x): x is number => x !== null), -Infinity);
  if (!Number.isFinite(c)) reasons.push('no common concurrency point');
  const uniq = [...new Set(reasons)];
  if (uniq.length)
    return { fair: false, statement: 'No cross-backend ranking: the comparison is not fair.', reasons: uniq };
  const vals = runs.map((r) => {
    const p = r.points.find((x) => x.concurrency === c && x.rate === null)!;
    return { backend: r.backend, trials: trialValues(p).output_tokens_per_s.filter((v): v is number => v !== null) };
  });
  const gm = (xs: number[]) => Math.exp(xs.reduce((a, v) => a + Math.log(v), 0) / xs.length);
  vals.sort((a, b) => gm(b.trials) - gm(a.trials));
  const [top, next] = vals;
  const w = welchLog(next.trials, top.trials, rule.alpha);
  if (!w || w.p_value >= rule.alpha)
    return {
      fair: true,
      statement: `At c=${c}, ${top.backend} and ${next.backend} do not differ significantly in output throughput (${w ? `p = ${w.p_value.toPrecision(2)}` : 'too few trials'}).`,
      reasons: [],
    };
  const ratio = gm(top.trials) / gm(next.trials);
  return {
    fair: true,
    statement: `At c=${c}, ${top.backend} delivers ${ratio.toFixed(2)}× the output throughput of ${next.backend} (${vals.map((v) => `${v.backend} ${gm(v.trials).toFixed(0)} tok/s`).join(', ')}; Welch p = ${w.p_value.toPrecision(2)}, ${top.trials.length} vs ${next.trials.length} trials).`,
    reasons: [],
  };
}

/** A history entry for this run. */
export function historyEntry(out: AnalyzeOutput, opts: { createdAt: string; commitSha?: string | null }): HistoryEntry {
  return {
    schema_version: 1,
    run_id: out.runs.map((r) => r.summary.run_id ?? r.backend).join('+'),
    created_at: opts.createdAt,
    commit_sha: opts.commitSha ?? out.verdict.candidate?.commit_sha ?? null,
    clean: out.unclean.length === 0,
    problems: out.unclean,
    backends: out.snapshot,
  };
}

export type { Point };
