/**
 * `analyze` core: runs directory (+ optional baseline) → analysis summary and verdict. Pure apart from reading
 * its inputs; the shell (command.ts) and `llmbench run` write the results.
 */
import path from 'node:path';
import type { Logger } from '../core/log.js';
import type { AnalysisSummary } from '../core/types/analysis-summary.js';
import type { Verdict, Finding } from '../core/types/verdict.js';
import type { Baseline } from '../core/types/baseline.js';
import type { HistoryEntry } from '../core/types/history-entry.js';
import { pointKey, type Point, type SloSpec } from '../metrics/derive.js';
import { decide, TEST_NAME, type DecisionRule } from '../stats/decide.js';
import { welchLog } from '../stats/stats.js';
import { implausibleTokenFindings, loadRuns, type LoadedRun } from './load.js';
import { aggregate, loadDanfo, trialValues, trialsOf } from './aggregate.js';
import { METRICS, isGated, toleranceOf, type RegressionSettings } from './metrics.js';
import type { BaselineBackend, SeriesChangePoint } from './baseline.js';

export type Comparison = Verdict['comparisons'][number];

/** Trials per side at which the default rule meets its power target (bench:analyze prints the simulation). */
export const RECOMMENDED_TRIALS = 12;
export const MIN_TRIALS = 2;
/** Per-trial successful requests below which a trial's median is not trusted. */
export const MIN_TRIAL_REQUESTS = 3;

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
  changePoints?: SeriesChangePoint[];
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

const where = (p: { concurrency: number | null; rate: number | null }) =>
  p.concurrency !== null ? `c=${p.concurrency}` : `rate=${p.rate}/s`;

export async function analyze(inp: AnalyzeInput): Promise<AnalyzeOutput> {
  const now = (inp.now ?? (() => new Date()))().toISOString();
  void loadDanfo().catch(() => {}); // overlap the TensorFlow.js load with reading samples
  const runs = await loadRuns(inp.runsDir, { slo: inp.slo, log: inp.log });
  const findings: Finding[] = [];
  const add = (f: Finding) => findings.push(f);
  /** backend → point key → reasons that make every comparison there inconclusive. */
  const blocked = new Map<string, string[]>();
  const block = (backend: string, key: string, why: string) => {
    const k = `${backend}#${key}`;
    blocked.set(k, [...(blocked.get(k) ?? []), why]);
  };

  // ---- validity of each run ----------------------------------------------------------------------------
  for (const r of runs) {
    const b = r.backend;
    if (r.corrupt.length) {
      add({
        code: 'corrupt-samples',
        severity: 'error',
        backend: b,
        count: r.corrupt.length,
        message: `${r.corrupt.length} corrupt line(s) in ${path.join(r.dir, 'samples.ndjson')} (first at line ${r.corrupt[0].line}: ${r.corrupt[0].message}); results of this backend cannot be trusted`,
      });
      block(b, '*', 'corrupt samples');
    }
    for (const { key, ...f } of implausibleTokenFindings(r)) {
      add(f);
      block(b, key, f.code);
    }
    for (const f of r.importFindings) {
      add({ ...f, backend: b });
      if (f.severity === 'error')
        block(
          b,
          f.concurrency !== undefined || f.rate !== undefined
            ? pointKey({ concurrency: f.concurrency ?? null, rate: f.rate ?? null })
            : '*',
          `import: ${f.code}`,
        );
    }
    if (r.tornLastLine)
      add({
        code: 'torn-last-line',
        severity: 'info',
        backend: b,
        message: 'the last line of samples.ndjson was cut short (the writer stopped mid-line) and was ignored',
      });
    if (r.sampleBackends.some((x) => x && x !== b)) {
      add({
        code: 'workload-mismatch',
        severity: 'error',
        backend: b,
        message: `samples.ndjson holds samples of other backends (${r.sampleBackends.join(', ')}); one sweep output per backend`,
      });
      block(b, '*', 'samples of several backends mixed');
    }
    if (r.summary.run_id && r.sampleRunIds.length > 1)
      add({
        code: 'mixed-runs',
        severity: 'info',
        backend: b,
        message: `samples come from ${r.sampleRunIds.length} sweep processes (a resumed or sharded sweep)`,
      });
    if (!r.points.length || r.samples === 0) {
      add({ code: 'empty-run', severity: 'error', backend: b, message: 'the sweep holds no measured requests' });
      block(b, '*', 'empty run');
    }
    if (!r.summary.workload?.fingerprint) {
      add({
        code: 'workload-unknown',
        severity: 'error',
        backend: b,
        message: 'the sweep has no workload fingerprint: what was asked cannot be checked',
      });
      block(b, '*', 'no workload fingerprint');
    }
    if (r.source === 'samples') {
      const derived = r.points.reduce((a, p) => a + p.completed + p.failed, 0);
      const claimed = r.summary.points.reduce((a, p) => a + p.completed + p.failed, 0);
      if (derived !== claimed)
        add({
          code: 'summary-samples-mismatch',
          severity: 'warning',
          backend: b,
          message: `summary.json counts ${claimed} requests but samples.ndjson holds ${derived}; the samples were used`,
        });
    }
    const lg = r.summary.load_generator;
    const minSamples = r.summary.plan?.min_samples ?? inp.minSamples;
    for (const p of r.points) {
      const key = pointKey(p);
      const total = p.completed + p.failed;
      const errRate = total ? p.failed / total : 0;
      if (p.failed > 0) {
        const over = errRate > inp.regression.max_error_rate;
        add({
          code: 'requests-failed',
          severity: over ? 'error' : 'warning',
          backend: b,
          concurrency: p.concurrency,
          rate: p.rate,
          count: p.failed,
          message: `${p.failed} of ${total} requests failed at ${where(p)} (${(errRate * 100).toFixed(1)} %${over ? `, over the ${(inp.regression.max_error_rate * 100).toFixed(1)} % allowance` : ''})${
            Object.keys(p.errors_by_category ?? {}).length
              ? `: ${Object.entries(p.errors_by_category ?? {})
                  .map(([k, v]) => `${k} ${v}`)
                  .join(', ')}`
              : ''
          }`,
        });
        if (over) block(b, key, `error rate ${(errRate * 100).toFixed(1)} % over allowance`);
      }
      const sp = r.summary.points.find((x) => pointKey(x) === key);
      for (const reason of sp?.valid === false ? (sp.invalid_reasons ?? []) : []) {
        if (/successful requests \(minimum/.test(reason)) continue; // our own too-few-samples rule covers this
        const code = /lag|bottleneck|event.loop|client/i.test(reason) ? 'client-bottleneck' : 'point-invalid';
        add({
          code,
          severity: 'error',
          backend: b,
          concurrency: p.concurrency,
          rate: p.rate,
          message: `${where(p)}: ${reason}`,
        });
        block(b, key, reason);
      }
      const tk = p.tokens;
      if (p.completed > 0) {
        if (!tk || ((tk.server_counted ?? 0) === 0 && (tk.client_counted ?? 0) === 0)) {
          add({
            code: 'token-count-unverified',
            severity: 'warning',
            backend: b,
            concurrency: p.concurrency,
            rate: p.rate,
            count: p.completed,
            message: `${where(p)}: output tokens were counted neither by the server nor by a tokenizer; throughput in tokens/s is unverified`,
          });
        } else if ((tk.server_counted ?? 0) < p.completed) {
          add({
            code: 'token-count-unverified',
            severity: 'info',
            backend: b,
            concurrency: p.concurrency,
            rate: p.rate,
            count: p.completed - (tk.server_counted ?? 0),
            message: `${where(p)}: the server did not count output tokens for ${p.completed - (tk.server_counted ?? 0)} of ${p.completed} requests (client tokenizer used)`,
          });
        }
        if (tk?.mismatched)
          add({
            code: 'token-count-mismatch',
            severity: 'warning',
            backend: b,
            concurrency: p.concurrency,
            rate: p.rate,
            count: tk.mismatched,
            message: `${where(p)}: server and client token counts differ by more than 1 for ${tk.mismatched} requests`,
          });
        if (tk?.shortfall)
          add({
            code: 'output-shortfall',
            severity: 'warning',
            backend: b,
            concurrency: p.concurrency,
            rate: p.rate,
            count: tk.shortfall,
            message: `${where(p)}: ${tk.shortfall} of ${p.completed} requests produced fewer output tokens than requested (mean ${tk.mean_output_tokens?.toFixed(1) ?? '?'} of ${r.summary.workload?.output_tokens ?? '?'}); per-token latencies are comparable, throughput across servers is not`,
          });
      }
      if (p.completed < minSamples)
        add({
          code: 'too-few-samples',
          severity: 'warning',
          backend: b,
          concurrency: p.concurrency,
          rate: p.rate,
          count: p.completed,
          message: `${where(p)}: p99 rests on ${p.completed} successful requests (minimum ${minSamples}); p99 is not decidable here`,
        });
      const thin = trialsOf(p).filter((t) => t.completed < MIN_TRIAL_REQUESTS).length;
      if (thin) {
        add({
          code: 'too-few-samples',
          severity: 'error',
          backend: b,
          concurrency: p.concurrency,
          rate: p.rate,
          count: thin,
          message: `${where(p)}: ${thin} trial(s) with fewer than ${MIN_TRIAL_REQUESTS} successful requests`,
        });
        block(b, key, 'trials with too few successful requests');
      }
    }
    if (lg?.event_loop_delay_p99_ms != null && lg.event_loop_delay_p99_ms > 100)
      add({
        code: 'client-bottleneck',
        severity: 'warning',
        backend: b,
        message: `load generator event-loop delay p99 ${lg.event_loop_delay_p99_ms.toFixed(0)} ms: client-side timings may be inflated`,
      });
  }

  // ---- workloads across backends in this run ----------------------------------------------------------------
  const fps = new Map<string, string[]>();
  for (const r of runs) {
    const fp = r.summary.workload?.fingerprint ?? '(none)';
    fps.set(fp, [...(fps.get(fp) ?? []), r.backend]);
  }
  const mixed = fps.size > 1;
  if (mixed) {
    add({
      code: 'workload-mismatch',
      severity: 'error',
      message: `backends in this runs directory ran different workloads: ${[...fps.entries()].map(([f, bs]) => `${bs.join(', ')} → ${f.slice(0, 16)}`).join('; ')}; nothing here can be compared fairly`,
    });
    for (const r of runs) block(r.backend, '*', 'mixed workloads in one run');
  }

  const rows = await aggregate(runs, { gpuHourUsd: inp.gpuHourUsd });

  // ---- comparison against the baseline ------------------------------------------------------------------
  const rule: DecisionRule = {
    alpha: inp.regression.alpha,
    tolerance_pct: inp.regression.tolerance_pct,
    min_trials: MIN_TRIALS,
  };
  const tol: Record<string, number> = {};
  const gated: string[] = [];
  for (const d of METRICS) {
    tol[d.key] = toleranceOf(d, inp.regression);
    if (isGated(d, inp.regression)) gated.push(d.key);
  }
  const snapOf = (r: LoadedRun): BaselineBackend => ({
    backend: r.backend,
    fingerprint: r.summary.workload?.fingerprint ?? '',
    provenance: (r.summary.provenance ?? {}) as Record<string, unknown>,
    points: r.points.map((p) => {
      const metrics: Record<string, number[]> = {};
      for (const [k, vals] of Object.entries(trialValues(p)))
        if (vals.length && vals.every((x) => x !== null && x > 0)) metrics[k] = vals as number[];
      return { concurrency: p.concurrency, rate: p.rate, metrics };
    }),
  });
  const snapshot: BaselineBackend[] = runs.map(snapOf);
  // A/B mode (interleaved arms on the same GPU): arm b is compared against arm a of the same run, not a file.
  const armOf = (r: LoadedRun) => r.summary.plan?.ab?.arm;
  const abPeer = new Map<string, LoadedRun>();
  for (const r of runs) {
    if (armOf(r) !== 'b') continue;
    const a = runs.find((x) => x.backend === r.summary.plan?.ab?.peer_backend && armOf(x) === 'a');
    if (a) abPeer.set(r.backend, a);
  }
  const abRefs = new Set([...abPeer.values()].map((a) => a.backend));
  const needsBaseline = runs.some((r) => !abPeer.has(r.backend) && !abRefs.has(r.backend));
  const comparisons: Comparison[] = [];
  const baselineRef = inp.baseline
    ? {
        path: inp.baseline.path,
        created_at: inp.baseline.data.created_at,
        commit_sha: inp.baseline.data.commit_sha ?? null,
      }
    : abPeer.size
      ? { path: `A/B: arm a of this run (${[...abRefs].join(', ')})`, created_at: now, commit_sha: null }
      : null;
  if (!inp.baseline && needsBaseline) {
    add({
      code: inp.baselineProblem?.code ?? 'no-baseline',
      severity: 'error',
      message:
        inp.baselineProblem?.message ??
        'no baseline given: nothing to decide against (write one from a clean run with --write-baseline)',
    });
  }
  for (const r of runs) {
    if (abRefs.has(r.backend)) continue; // the reference arm is not itself judged
    const peer = abPeer.get(r.backend);
    const bb = peer
      ? { ...snapOf(peer), backend: r.backend }
      : inp.baseline?.data.backends.find((x) => x.backend === r.backend);
    const hasRef = !!peer || !!inp.baseline;
    const backendBlock: string[] = [
      ...(blocked.get(`${r.backend}#*`) ?? []),
      ...(peer ? (blocked.get(`${peer.backend}#*`) ?? []).map((w) => `arm a: ${w}`) : []),
    ];
    if (!peer && inp.baseline && !bb) {
      add({
        code: 'no-baseline',
        severity: 'error',
        backend: r.backend,
        message: `the baseline has no entry for backend '${r.backend}'`,
      });
      backendBlock.push('backend not in baseline');
    }
    if (bb) {
      const fp = r.summary.workload?.fingerprint;
      if (fp && bb.fingerprint !== fp) {
        add({
          code: 'workload-mismatch',
          severity: 'error',
          backend: r.backend,
          message: `workload fingerprint ${fp.slice(0, 16)}… differs from the baseline's ${bb.fingerprint.slice(0, 16)}…: a different workload, not a regression`,
        });
        backendBlock.push('workload differs from baseline');
      }
      for (const why of provenanceDiff(
        (bb.provenance ?? {}) as Record<string, unknown>,
        (r.summary.provenance ?? {}) as Record<string, unknown>,
      )) {
        add({ code: 'provenance-mismatch', severity: 'error', backend: r.backend, message: why });
        backendBlock.push('provenance differs from baseline');
      }
    }
    for (const p of r.points) {
      const key = pointKey(p);
      const reasons = [
        ...backendBlock,
        ...(blocked.get(`${r.backend}#${key}`) ?? []),
        ...(peer ? (blocked.get(`${peer.backend}#${key}`) ?? []).map((w) => `arm a: ${w}`) : []),
      ];
      const bp = bb?.points.find((x) => pointKey(x) === key);
      if (bb && !bp) reasons.push(`${where(p)} not in baseline`);
      const cand = trialValues(p);
      const minSamples = r.summary.plan?.min_samples ?? inp.minSamples;
      for (const d of METRICS) {
        const cvals = cand[d.key];
        if (cvals.every((v) => v === null) && !bp?.metrics[d.key]) continue; // not measured on either side (e.g. goodput without SLO)
        const isGate = gated.includes(d.key);
        const base: Comparison = {
          backend: r.backend,
          concurrency: p.concurrency,
          rate: p.rate,
          metric: d.key,
          direction: d.direction,
          baseline: null,
          candidate: null,
          delta_pct: null,
          ci_pct: null,
          p_value: null,
          trials: { baseline: bp?.metrics[d.key]?.length ?? 0, candidate: cvals.filter((v) => v !== null).length },
          tolerance_pct: tol[d.key],
          gated: isGate,
          verdict: 'inconclusive',
        };
        const why = [...reasons];
        if (!hasRef) why.push('no baseline');
        if (cvals.some((v) => v === null)) why.push('not measured in every candidate trial (unknown, not guessed)');
        if (bp && !bp.metrics[d.key]?.length) why.push('not in the baseline');
        if (d.p99 && p.completed < minSamples) why.push(`p99 rests on ${p.completed} requests (< ${minSamples})`);
        if (why.length || !bp) {
          comparisons.push({ ...base, reason: why.join('; ') || 'no baseline' });
          continue;
        }
        const res = decide(bp.metrics[d.key], cvals as number[], d.direction, { ...rule, tolerance_pct: tol[d.key] });
        comparisons.push({
          ...base,
          baseline: res.baseline_gmean ?? null,
          candidate: res.candidate_gmean ?? null,
          delta_pct: res.delta_pct ?? null,
          ci_pct: res.ci_pct ?? null,
          p_value: res.p_value ?? null,
          verdict: res.verdict,
          reason: res.reason,
        });
      }
      const nt = trialsOf(p).length;
      if (nt < RECOMMENDED_TRIALS && hasRef) {
        add({
          code: 'insufficient-trials',
          severity: 'info',
          backend: r.backend,
          concurrency: p.concurrency,
          rate: p.rate,
          count: nt,
          message: `${where(p)}: ${nt} trial(s); the rule reaches its power target (5 % drop found ≥ 95 %) at ${RECOMMENDED_TRIALS} per side — smaller regressions may go unnoticed`,
        });
      }
    }
  }
  if (inp.baseline) {
    for (const bb of inp.baseline.data.backends) {
      if (!runs.some((r) => r.backend === bb.backend))
        add({
          code: 'backend-missing',
          severity: 'error',
          backend: bb.backend,
          message: `the baseline has backend '${bb.backend}' but this run did not measure it`,
        });
    }
  }

  // ---- verdict ------------------------------------------------------------------------------------------
  const gatedCmp = comparisons.filter((c) => c.gated);
  const regressed = gatedCmp.some((c) => c.verdict === 'regression');
  const undecided =
    gatedCmp.some((c) => c.verdict === 'inconclusive') ||
    !gatedCmp.length ||
    findings.some((f) => f.severity === 'error');
  const verdict: Verdict['verdict'] = regressed ? 'regression' : undecided ? 'inconclusive' : 'pass';

  const ranking = rank(runs, findings, rule);
  const ruleText = `A gated metric regresses when Welch's t-test on the logarithms of per-trial values (trials are the unit of replication; ≥ ${MIN_TRIALS} per side, ${RECOMMENDED_TRIALS} recommended) is significant at α = ${rule.alpha} two-sided AND the change in the geometric mean is worse than the tolerance (${inp.regression.tolerance_pct} % unless set per metric). Gated: ${gated.join(', ')}. p99 is ${inp.regression.gate_p99 ? 'gated' : 'reported, not gated'}. Any gated comparison that cannot be decided (too few trials or samples, errors over ${(inp.regression.max_error_rate * 100).toFixed(1)} %, other workload, GPU, model or server) makes the verdict inconclusive, never a pass.`;

  const v: Verdict = {
    schema_version: 1,
    verdict,
    generated_at: now,
    rule: {
      test: TEST_NAME,
      alpha: rule.alpha,
      confidence: 1 - rule.alpha,
      min_trials: MIN_TRIALS,
      recommended_trials: RECOMMENDED_TRIALS,
      tolerance_pct: tol,
      gated_metrics: gated,
      text: ruleText,
    },
    baseline: baselineRef,
    candidate: {
      commit_sha: runs.find((r) => r.summary.provenance?.commit_sha)?.summary.provenance?.commit_sha ?? null,
      runs: runs.map((r) => r.summary.run_id ?? r.backend),
    },
    comparisons: sortComparisons(comparisons),
    findings: findings.sort((a, b) => sev(b.severity) - sev(a.severity)),
    ranking,
    change_points: (inp.changePoints ?? []).map((c) => ({
      backend: c.backend,
      concurrency: c.concurrency,
      rate: c.rate,
      metric: c.metric,
      run: c.run,
      index: c.index,
      p_value: c.p_value,
      before: c.before,
      after: c.after,
    })),
  };
  for (const c of v.change_points ?? []) {
    v.findings.push({
      code: 'change-point',
      severity: 'info',
      backend: c.backend,
      concurrency: c.concurrency,
      metric: c.metric,
      message: `${c.metric} at ${c.concurrency !== null ? `c=${c.concurrency}` : `rate=${c.rate}`} shifted from ${c.before?.toFixed(2)} to ${c.after?.toFixed(2)} starting with run ${c.run} (E-divisive, permutation p = ${c.p_value?.toFixed(3)})`,
    });
  }

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

  const unclean = findings
    .filter(
      (f) =>
        (f.severity === 'error' &&
          ![
            'no-baseline',
            'workload-mismatch',
            'provenance-mismatch',
            'backend-missing',
            'baseline-schema-mismatch',
            'baseline-missing',
            'baseline-invalid',
          ].includes(f.code)) ||
        (f.code === 'workload-mismatch' && !f.backend),
    )
    .map((f) => `${f.code}: ${f.message}`);
  for (const r of runs)
    for (const p of r.points)
      if (trialsOf(p).length < MIN_TRIALS)
        unclean.push(`${r.backend} ${where(p)}: ${trialsOf(p).length} trial(s); a baseline needs ≥ ${MIN_TRIALS}`);
  return { summary, verdict: v, runs, snapshot, unclean };
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

/** GPU, model, server kind and simulated-ness must agree; server version and image digest may differ (that is what a PR changes). */
export function provenanceDiff(base: Record<string, unknown>, cand: Record<string, unknown>): string[] {
  const out: string[] = [];
  const kind = (s: unknown) =>
    typeof s === 'string'
      ? s
          .trim()
          .split(/[\s/:@]+/)[0]
          .toLowerCase()
      : s;
  const checks: [string, (x: unknown) => unknown][] = [
    ['gpu', (x) => x],
    ['model', (x) => x],
    ['server', kind],
    ['simulated', (x) => x],
  ];
  for (const [k, f] of checks) {
    const a = base[k],
      b = cand[k];
    if (a === undefined || a === null || b === undefined || b === null) continue;
    if (f(a) !== f(b)) out.push(`${k} differs from the baseline: ${JSON.stringify(b)} vs ${JSON.stringify(a)}`);
  }
  return out;
}

/** Cross-backend ranking by output throughput at the highest common concurrency — only when the comparison is fair. */
function rank(runs: LoadedRun[], findings: Finding[], rule: DecisionRule): Verdict['ranking'] {
  if (runs.length < 2) return null;
  const reasons: string[] = [];
  const fps = new Set(runs.map((r) => r.summary.workload?.fingerprint));
  if (fps.size > 1) reasons.push('backends ran different workloads');
  for (const f of findings) {
    if (!f.backend) continue;
    if (
      f.severity === 'error' &&
      f.code !== 'no-baseline' &&
      f.code !== 'workload-mismatch' &&
      f.code !== 'provenance-mismatch'
    )
      reasons.push(`${f.backend}: ${f.code}`);
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
