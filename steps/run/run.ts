/**
 * `llmbench run`: the whole chain locally. Pure core: takes a resolved config and a work directory, returns what
 * it wrote. Each stage is a step's own core function, so deepening a step never means rewriting this file.
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import type { ResolvedConfig } from '../core/config.js';
import { withHeartbeat, type Logger } from '../core/log.js';
import { writeJsonAtomic } from '../core/atomic.js';
import { workdirLayout } from '../core/paths.js';
import { InvalidInputError } from '../core/errors.js';
import type { SweepSummary } from '../core/types/sweep-summary.js';
import { noProgress, type MultiProgress } from '../sweep/progress.js';
import { isSimulated, progressPlan, sweepBackend } from './backend.js';
import { sweepInWorker } from './parallel.js';
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

export interface RunDeps {
  log: Logger;
  signal?: AbortSignal;
  /** Progress of the sweeps (bars on a TTY, JSON events under CI); none when omitted. */
  progress?: MultiProgress;
  /** Sweep simulated backends one after another instead of at once (as on shared hardware). */
  sequential?: boolean;
}

/**
 * Sweeps every backend. Simulated ones run at once (each its own server process and sweep thread): the chain's
 * wall time is then the slowest backend's, not the sum. Endpoints run one after another, after them.
 */
async function sweepAll(cfg: ResolvedConfig, workdir: string, deps: RunDeps): Promise<SweepSummary[]> {
  const { log } = deps;
  const plan = progressPlan(cfg);
  const progress = (id: string) => deps.progress?.sweep(id, plan) ?? noProgress;
  const out = new Map<string, SweepSummary>();
  // A/B (load.ab) interleaves its two arms' trials in one sweep: never split into independent parallel sweeps.
  const sims = cfg.backends.map((b, i) => ({ b, i })).filter(({ b }) => isSimulated(b));
  const parallel = !deps.sequential && !cfg.load.ab && sims.length > 1 ? sims : [];
  if (parallel.length) {
    log.info(`sweeping ${parallel.map(({ b }) => b.id).join(', ')} at once (simulated; --sequential for one by one)`);
    const ac = new AbortController();
    const stop = () => ac.abort(deps.signal?.reason);
    deps.signal?.addEventListener('abort', stop, { once: true });
    if (deps.signal?.aborted) stop();
    try {
      const settled = await Promise.allSettled(
        parallel.map(({ b, i }) =>
          sweepInWorker(cfg, i, workdir, { log, signal: ac.signal, progress: progress(b.id) }).then(
            (s) => void out.set(b.id, s),
            (e: unknown) => {
              // One failed sweep stops the others (each keeps what it wrote and closes its server).
              ac.abort(e);
              throw e;
            },
          ),
        ),
      );
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      deps.signal?.removeEventListener('abort', stop);
    }
  }
  for (const b of cfg.backends) {
    if (out.has(b.id)) continue;
    out.set(b.id, await sweepBackend(cfg, b, workdir, { log, signal: deps.signal, progress: progress(b.id) }));
  }
  return cfg.backends.map((b) => out.get(b.id) as SweepSummary);
}

/**
 * analyze, plot and report, imported when needed: a run's start-up loads only what the sweeps need. Their modules
 * (danfo/TensorFlow.js, Vega: seconds of CPU) load after the sweeps, not during them — loading them while the last
 * sweeps ran put a CPU burst into those sweeps' c=16 windows, and the self-check flagged the points.
 */
async function loadLaterStages() {
  const [pipeline, plot, report] = await Promise.all([
    import('../analyze/pipeline.js'),
    import('../plot/plot.js'),
    import('../report/report.js'),
  ]);
  return {
    analyzeWork: pipeline.analyzeWork,
    resolveBaselinePath: pipeline.resolveBaselinePath,
    runPlot: plot.runPlot,
    writeSummary: report.writeSummary,
  };
}

export async function runPipeline(cfg: ResolvedConfig, workdir: string, deps: RunDeps): Promise<RunResult> {
  const { log } = deps;
  const L = workdirLayout(workdir);
  await assertFreshWorkdir(workdir);
  await fs.mkdir(workdir, { recursive: true });
  const files: string[] = [];
  await writeJsonAtomic(L.config, cfg);
  files.push(L.config);

  const t0 = performance.now();
  const lap = (stage: string, since: number) =>
    log.info(`${stage}: done in ${((performance.now() - since) / 1000).toFixed(1)} s`, { stage });
  let summaries: SweepSummary[];
  try {
    summaries = await sweepAll(cfg, workdir, deps);
  } finally {
    deps.progress?.stop();
  }
  for (const b of cfg.backends) files.push(L.samples(b.id), L.sweepSummary(b.id));
  lap('sweep', t0);

  // Analysis against the configured baseline; a missing or other-version baseline is an inconclusive finding here
  // (the sweeps are done), not an error. Nightly (baseline.update): record history, rebuild from a clean window.
  const t1 = performance.now();
  const { analyzeWork, resolveBaselinePath, runPlot, writeSummary } = await loadLaterStages();
  const baselinePath = await resolveBaselinePath(cfg.baseline.path);
  const historyDir = cfg.baseline.update ? await resolveBaselinePath(cfg.baseline.history_dir) : null;
  const analysis = await withHeartbeat(log, { step: 'analyze' }, () =>
    analyzeWork({
      runsDir: L.runsDir,
      outDir: L.analysisDir,
      cfg,
      baselinePath,
      lenientBaseline: true,
      historyDir,
      writeBaselinePath: cfg.baseline.update ? baselinePath : null,
      skipUncleanBaseline: true,
      log,
    }),
  );
  files.push(...analysis.files);
  lap('analyze', t1);

  // Plots (plots/*.vl.json|svg|png, report.html), then SUMMARY.md — both read analysis/ when analyze ran above.
  const t2 = performance.now();
  const title = cfg.name ?? 'llmbench run';
  const generatedAt = new Date().toISOString();
  const plotted = await runPlot({ workdir, log, title, generatedAt });
  files.push(...plotted.files);
  const summaryMd = await writeSummary({ workdir, log, title, generatedAt });
  files.push(summaryMd.file);
  lap('plot and report', t2);
  return { workdir, summaries, files, verdict: analysis.verdict.verdict, exitCode: analysis.exitCode };
}
