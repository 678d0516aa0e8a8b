/**
 * `llmbench run`: the whole chain locally. Pure core: takes a resolved config and a work directory, returns what
 * it wrote. Each stage is a step's own core function, so deepening a step never means rewriting this file.
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import type { ResolvedConfig } from '../core/config.js';
import type { Logger } from '../core/log.js';
import { writeJsonAtomic } from '../core/atomic.js';
import { workdirLayout } from '../core/paths.js';
import { InvalidInputError } from '../core/errors.js';
import type { SweepSummary } from '../core/types/sweep-summary.js';
import { spawnSimulator, type SimProcess } from '../sim/process.js';
import { runAbSweep, runSweep, type SweepTarget } from '../sweep/sweep.js';
import { planFingerprint, sweepPlan } from '../sweep/plan.js';
import { designOf, gateBaselineEntry, sequentialGate } from '../analyze/gate.js';
import { readBaseline, type BaselineBackend } from '../analyze/baseline.js';
import type { Baseline } from '../core/types/baseline.js';
import { runPlot } from '../plot/plot.js';
import { writeSummary } from '../report/report.js';
import { analyzeWork, resolveBaselinePath } from '../analyze/pipeline.js';
import type { ExitCodeValue } from '../core/exit-codes.js';

export interface RunResult {
  workdir: string;
  summaries: SweepSummary[];
  files: string[];
  /** The analysis verdict against the configured baseline, and the exit code it maps to. */
  verdict?: 'pass' | 'regression' | 'inconclusive';
  exitCode?: ExitCodeValue;
}

/** Refuses a work directory that already holds results, so a run never overwrites an earlier one. */
export async function assertFreshWorkdir(workdir: string): Promise<void> {
  const L = workdirLayout(workdir);
  const taken: string[] = [];
  for (const p of [L.runsDir, L.analysisDir, L.summaryMd]) {
    try {
      const st = await fs.stat(p);
      if (st.isFile() || (await fs.readdir(p)).length > 0) taken.push(path.relative(workdir, p) || p);
    } catch {
      /* absent: fine */
    }
  }
  if (taken.length) {
    throw new InvalidInputError(
      'workdir-not-empty',
      `work directory ${workdir} already holds results (${taken.join(', ')})`,
      {
        hint: 'Pick a new --workdir (the default makes a fresh timestamped one); earlier results are never overwritten.',
      },
    );
  }
}

export async function runPipeline(
  cfg: ResolvedConfig,
  workdir: string,
  deps: { log: Logger; signal?: AbortSignal },
): Promise<RunResult> {
  const { log } = deps;
  const L = workdirLayout(workdir);
  await assertFreshWorkdir(workdir);
  await fs.mkdir(workdir, { recursive: true });
  const files: string[] = [];
  await writeJsonAtomic(L.config, cfg);
  files.push(L.config);

  // The baseline is read once, before the sweeps: the sequential gate compares each trial against it.
  const baselinePath = await resolveBaselinePath(cfg.baseline.path);
  const baseline = cfg.load.ab ? undefined : await readBaseline(baselinePath).catch(() => undefined);
  const summaries = cfg.load.ab ? await sweepAb(cfg, L, deps) : await sweepEach(cfg, L, baseline, deps);
  for (const s of summaries) files.push(L.samples(s.backend), L.sweepSummary(s.backend));

  // Analysis against the configured baseline (A/B: arm b against arm a); a missing or other-version baseline is an
  // inconclusive finding here (the sweeps are done), not an error. Nightly (baseline.update): record history,
  // rebuild from a clean window.
  const analysis = await analyzeWork({
    runsDir: L.runsDir,
    outDir: L.analysisDir,
    cfg,
    baselinePath: cfg.load.ab ? null : baselinePath,
    lenientBaseline: true,
    historyDir: cfg.baseline.update ? await resolveBaselinePath(cfg.baseline.history_dir) : null,
    writeBaselinePath: cfg.baseline.update ? baselinePath : null,
    skipUncleanBaseline: true,
    log,
  });
  files.push(...analysis.files);

  // Plots (plots/*.vl.json|svg|png, report.html), then SUMMARY.md — both read analysis/ when analyze ran above.
  const title = cfg.name ?? 'llmbench run';
  const generatedAt = new Date().toISOString();
  const plotted = await runPlot({ workdir, log, title, generatedAt });
  files.push(...plotted.files);
  const summaryMd = await writeSummary({ workdir, log, title, generatedAt });
  files.push(summaryMd.file);
  return { workdir, summaries, files, verdict: analysis.verdict.verdict, exitCode: analysis.exitCode };
}

type Layout = ReturnType<typeof workdirLayout>;
type Deps = { log: Logger; signal?: AbortSignal };
type CfgBackend = ResolvedConfig['backends'][number];

/** A simulator for a backend without an endpoint (its own process: it must not share the load generator's loop). */
async function serverFor(cfg: ResolvedConfig, b: CfgBackend, log: Logger): Promise<{ url: string; sim?: SimProcess }> {
  if (b.endpoint) return { url: b.endpoint };
  const sim = await spawnSimulator({
    backend: b.kind,
    model: b.model ?? cfg.model.served_name,
    gpu: b.sim?.gpu ?? cfg.gpu_profile,
    modelProfile: b.sim?.model,
    seed: b.sim?.seed ?? cfg.load.seed,
    timeScale: b.sim?.time_scale,
    faults: b.sim?.faults,
  });
  log.info(`simulated ${b.kind} listening on ${sim.url}`);
  return { url: sim.url, sim };
}

function targetFor(cfg: ResolvedConfig, b: CfgBackend, L: Layout, url: string, sim?: SimProcess): SweepTarget {
  return {
    backend: b.id,
    kind: b.kind,
    url,
    model: b.model ?? cfg.model.served_name,
    outDir: L.runDir(b.id),
    api: b.api,
    headers: b.headers,
    // The simulator may run N× faster; samples record it and metrics are scaled back to simulated time.
    timeScale: sim ? (b.sim?.time_scale ?? 1) : 1,
    simulated: !!sim,
    provenance: sim
      ? { gpu: `${b.sim?.gpu ?? cfg.gpu_profile} (simulated)`, server: `llmbench sim (${b.kind} dialect)` }
      : undefined,
  };
}

/** The plan (one source of defaults, steps/sweep/plan.ts) and, when it is sequential, the gate. */
export function planned(
  cfg: ResolvedConfig,
  ref: { mode: 'ab' } | { mode: 'baseline'; baseline?: BaselineBackend },
  deps: Deps,
) {
  // A nightly update (baseline.update) fills the history with full fixed-trial runs; the gate is for PRs.
  const comparable = !cfg.baseline.update && (ref.mode === 'ab' || !!ref.baseline);
  const { sequential, ...plan } = sweepPlan(cfg, {}, { comparable });
  const gate = sequential
    ? sequentialGate({ design: sequential, regression: cfg.regression, slo: cfg.slo, reference: ref })
    : undefined;
  return { ...plan, gate, env: process.env, log: deps.log, signal: deps.signal };
}

/** One backend after another, each gated against its baseline entry when there is one. */
async function sweepEach(
  cfg: ResolvedConfig,
  L: Layout,
  baseline: Baseline | undefined,
  deps: Deps,
): Promise<SweepSummary[]> {
  const out: SweepSummary[] = [];
  for (const b of cfg.backends) {
    const { url, sim } = await serverFor(cfg, b, deps.log);
    try {
      // The gate compares with the baseline entry only when it measured this very workload.
      const fp = await planFingerprint(sweepPlan(cfg), process.cwd());
      const design = cfg.baseline.update ? null : designOf(cfg.regression);
      const { entry, why } = gateBaselineEntry(design, cfg.regression, baseline?.backends, b.id, fp);
      if (why) deps.log.info(`${why}: fixed trials, no sequential gate`);
      out.push(
        await runSweep({
          ...targetFor(cfg, b, L, url, sim),
          ...planned(cfg, { mode: 'baseline', baseline: entry }, deps),
        }),
      );
    } finally {
      await sim?.close();
    }
  }
  return out;
}

/** load.ab: the first backend is arm a (reference), the second arm b (candidate), their trials interleaved. */
async function sweepAb(cfg: ResolvedConfig, L: Layout, deps: Deps): Promise<SweepSummary[]> {
  const [ba, bb] = cfg.backends;
  const a = await serverFor(cfg, ba, deps.log);
  try {
    const b = await serverFor(cfg, bb, deps.log);
    try {
      return await runAbSweep({
        ...targetFor(cfg, ba, L, a.url, a.sim),
        ...planned(cfg, { mode: 'ab' }, deps),
        ab: targetFor(cfg, bb, L, b.url, b.sim),
      });
    } finally {
      await b.sim?.close();
    }
  } finally {
    await a.sim?.close();
  }
}
