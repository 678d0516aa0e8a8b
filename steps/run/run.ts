/**
 * `llmbench run`: the whole chain locally. Pure core: takes a resolved config and a work directory, returns what
 * it wrote. Each stage is a step's own core function, so deepening a step never means rewriting this file.
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import type { ResolvedConfig } from '../core/config.js';
import { withHeartbeat, type Logger } from '../core/log.js';
import { writeFileAtomic, writeJsonAtomic } from '../core/atomic.js';
import { workdirLayout } from '../core/paths.js';
import { EnvironmentError, InvalidInputError, type Problem } from '../core/errors.js';
import {
  datasetProblems,
  endpointProblems,
  headerProblems,
  maskUrl,
  resolveEnvRefs,
  withoutCredentials,
} from '../core/targets.js';
import type { SweepSummary } from '../core/types/sweep-summary.js';
import { noProgress, type MultiProgress } from '../sweep/progress.js';
import { gateEntry, isSimulated, progressPlan, sweepAb, sweepBackend } from './backend.js';
import type { BaselineBackend } from '../analyze/baseline.js';
import { sweepInWorker } from './parallel.js';
import type { Baseline } from '../core/types/baseline.js';
import { ExitCode, type ExitCodeValue } from '../core/exit-codes.js';
import { escapeMarkdown } from '../core/markup.js';

export interface RunResult {
  workdir: string;
  summaries: SweepSummary[];
  files: string[];
  /** The analysis verdict against the configured baseline, and the exit code it maps to. */
  verdict?: 'pass' | 'regression' | 'inconclusive';
  exitCode?: ExitCodeValue;
  /** Set when the first SIGINT/SIGTERM stopped the run: what it was doing (nothing new started after it). */
  interrupted?: string;
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
  /** Environment for ${NAME} references in endpoints and headers (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Directory relative dataset paths resolve against (default process.cwd()). */
  cwd?: string;
}

/** The baseline for the gate; unreadable or absent: none (fixed trials; analyze reports the baseline problem). */
async function gateBaseline(cfg: ResolvedConfig): Promise<Baseline | undefined> {
  if (cfg.baseline.update || !cfg.regression.sequential.enabled) return undefined;
  const { readBaseline, resolveBaselinePath } = await import('../analyze/baseline.js');
  return readBaseline(await resolveBaselinePath(cfg.baseline.path)).catch(() => undefined);
}

/**
 * Sweeps every backend. Simulated ones run at once (each its own server process and sweep thread): the chain's
 * wall time is then the slowest backend's, not the sum. Endpoints run one after another, after them.
 */
async function sweepAll(
  cfg: ResolvedConfig,
  workdir: string,
  deps: RunDeps & { baseline?: Baseline },
): Promise<SweepSummary[]> {
  const { log } = deps;
  // Which backends the gate compares with their baseline entry (the rest run fixed trials), decided up front.
  const entries = new Map<string, BaselineBackend | undefined>();
  for (const b of cfg.backends)
    entries.set(b.id, await gateEntry(cfg, b, { log, baseline: deps.baseline, cwd: deps.cwd }));
  const progress = (id: string) =>
    deps.progress?.sweep(id, progressPlan(cfg, entries.get(id) !== undefined)) ?? noProgress;
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
          sweepInWorker(cfg, i, workdir, {
            log,
            signal: ac.signal,
            progress: progress(b.id),
            entry: entries.get(b.id),
          }).then(
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
    if (deps.signal?.aborted) break; // the first signal: start nothing new
    if (out.has(b.id)) continue;
    out.set(
      b.id,
      await sweepBackend(cfg, b, workdir, {
        log,
        signal: deps.signal,
        progress: progress(b.id),
        env: deps.env,
        cwd: deps.cwd,
        entry: entries.get(b.id),
      }),
    );
  }
  return cfg.backends.flatMap((b) => out.get(b.id) ?? []);
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

/** Every backend's endpoint and headers and the dataset, as `sweep` validates them (exit 2, all problems). */
export async function assertTargets(cfg: ResolvedConfig, env: NodeJS.ProcessEnv, cwd: string): Promise<void> {
  const problems: Problem[] = [];
  cfg.backends.forEach((b, i) => {
    if (b.endpoint !== undefined) problems.push(...endpointProblems(b.endpoint, `/backends/${i}/endpoint`, env));
    problems.push(...headerProblems(b.headers ?? {}, `/backends/${i}/headers`, env));
  });
  problems.push(...(await datasetProblems(cfg.workload.dataset, '/workload/dataset', cwd)));
  if (problems.length)
    throw new InvalidInputError('run-targets-invalid', `invalid endpoints, headers or dataset (${problems.length})`, {
      problems,
      hint: 'Nothing was written. Endpoints are absolute http(s) URLs; ${NAME} references need the variable set.',
    });
}

export async function runPipeline(cfg: ResolvedConfig, workdir: string, deps: RunDeps): Promise<RunResult> {
  const { log } = deps;
  const env = deps.env ?? process.env;
  const L = workdirLayout(workdir);
  // Endpoints, headers and datasets are checked exactly as `sweep` checks them, before anything is written.
  await assertTargets(cfg, env, deps.cwd ?? process.cwd());
  await assertFreshWorkdir(workdir);
  await fs.mkdir(workdir, { recursive: true });
  const files: string[] = [];
  // The config as given: ${NAME} references kept (so it re-runs), literal URL passwords masked.
  await writeJsonAtomic(L.config, {
    ...cfg,
    backends: cfg.backends.map((b) => (b.endpoint ? { ...b, endpoint: maskUrl(b.endpoint) } : b)),
  });
  files.push(L.config);

  const t0 = performance.now();
  const lap = (stage: string, since: number) =>
    log.info(`${stage}: done in ${((performance.now() - since) / 1000).toFixed(1)} s`, { stage });
  let summaries: SweepSummary[];
  try {
    // The baseline is read once, before the sweeps: a sequential gate compares each trial with its entry.
    const baseline = cfg.load.ab ? undefined : await gateBaseline(cfg);
    const d = { ...deps, baseline };
    summaries = cfg.load.ab
      ? await sweepAb(cfg, workdir, {
          ...d,
          progress: deps.progress?.sweep(cfg.backends.map((b) => b.id).join(' vs '), progressPlan(cfg)),
        })
      : await sweepAll(cfg, workdir, d);
  } finally {
    deps.progress?.stop();
  }
  for (const s of summaries) files.push(L.samples(s.backend), L.sweepSummary(s.backend));
  lap('sweep', t0);
  // After the sweeps: each stage starts only if no signal came; one that a signal ends makes the run "interrupted".
  const stopped = (stage: string) => interruptedRun(cfg, workdir, summaries, files, deps.signal!, stage);
  if (deps.signal?.aborted) return await stopped('the sweeps');
  assertSomeSucceeded(cfg, summaries, deps.env ?? process.env);
  try {
    return await laterStages(cfg, workdir, files, summaries, deps, lap, stopped);
  } catch (e) {
    if (deps.signal?.aborted) return stopped('the analysis, plots or summary');
    throw e;
  }
}

/** As with `llmbench sweep`: a backend against which no request succeeded is an environment failure (exit 3). */
function assertSomeSucceeded(cfg: ResolvedConfig, summaries: SweepSummary[], env: NodeJS.ProcessEnv): void {
  for (const s of summaries) {
    if (!s.points.every((p) => p.completed === 0)) continue;
    const b = cfg.backends.find((x) => x.id === s.backend);
    const where = b?.endpoint ? ` (${withoutCredentials(resolveEnvRefs(b.endpoint, env))})` : '';
    throw new EnvironmentError(
      'no-successful-requests',
      `no request succeeded against backend '${s.backend}'${where}`,
      {
        hint: 'As with `llmbench sweep`: check the endpoint, the model name and that the server is ready.',
      },
    );
  }
}

/** analyze, plot and SUMMARY.md; a stage starts only if no signal came before it. */
async function laterStages(
  cfg: ResolvedConfig,
  workdir: string,
  files: string[],
  summaries: SweepSummary[],
  deps: RunDeps,
  lap: (stage: string, since: number) => void,
  stopped: (stage: string) => Promise<RunResult>,
): Promise<RunResult> {
  const { log } = deps;
  const L = workdirLayout(workdir);
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
      // A/B: arm b against arm a, not against the baseline file.
      baselinePath: cfg.load.ab ? null : baselinePath,
      lenientBaseline: true,
      historyDir,
      writeBaselinePath: cfg.baseline.update ? baselinePath : null,
      skipUncleanBaseline: true,
      log,
    }),
  );
  files.push(...analysis.files);
  lap('analyze', t1);
  if (deps.signal?.aborted) return await stopped('the analysis');

  // Plots (plots/*.vl.json|svg|png, report.html), then SUMMARY.md — both read analysis/ when analyze ran above.
  const t2 = performance.now();
  const title = cfg.name ?? 'llmbench run';
  const generatedAt = new Date().toISOString();
  const plotted = await runPlot({ workdir, log, title, generatedAt });
  files.push(...plotted.files);
  if (deps.signal?.aborted) return await stopped('the plots');
  const summaryMd = await writeSummary({ workdir, log, title, generatedAt });
  files.push(summaryMd.file);
  lap('plot and report', t2);
  return { workdir, summaries, files, verdict: analysis.verdict.verdict, exitCode: analysis.exitCode };
}

/**
 * The first signal stopped the run during `stage`: nothing after it is started (no verdict); SUMMARY.md says the run
 * was interrupted and which backends it reached, and the exit code is 130.
 */
async function interruptedRun(
  cfg: ResolvedConfig,
  workdir: string,
  summaries: SweepSummary[],
  files: string[],
  signal: AbortSignal,
  stage: string,
): Promise<RunResult> {
  const L = workdirLayout(workdir);
  const why = signal.reason instanceof Error ? signal.reason.message : 'received a stop signal';
  const swept = new Set(summaries.map((s) => s.backend));
  const md = [
    `# ${escapeMarkdown(cfg.name ?? 'llmbench run')}`,
    '',
    `## ⏹ Interrupted — no verdict`,
    '',
    `The run was stopped (${escapeMarkdown(why)}) during ${stage}: nothing new was started after the signal, so there is no verdict. Files written until then are kept (samples under \`runs/\`).`,
    '',
    '| backend | sweep |',
    '|---|---|',
    ...cfg.backends.map(
      (b) =>
        `| ${escapeMarkdown(b.id)} | ${swept.has(b.id) ? 'stopped early or finished (partial samples kept)' : 'not started'} |`,
    ),
    '',
  ].join('\n');
  await writeFileAtomic(L.summaryMd, md);
  files.push(L.summaryMd);
  return { workdir, summaries, files, interrupted: why, exitCode: ExitCode.INTERRUPTED };
}
