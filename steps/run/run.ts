/**
 * `llmbench run`: the whole chain locally. Pure core: takes a resolved config and a work directory, returns what
 * it wrote. Each stage is a step's own core function, so deepening a step never means rewriting this file.
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import type { ResolvedConfig } from '../core/config.js';
import type { Logger } from '../core/log.js';
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
import { spawnSimulator, type SimProcess } from '../sim/process.js';
import { runSweep } from '../sweep/sweep.js';
import { runPlot } from '../plot/plot.js';
import { writeSummary } from '../report/report.js';
import { analyzeWork, resolveBaselinePath } from '../analyze/pipeline.js';
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

export async function runPipeline(
  cfg: ResolvedConfig,
  workdir: string,
  deps: { log: Logger; signal?: AbortSignal; env?: NodeJS.ProcessEnv; cwd?: string },
): Promise<RunResult> {
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

  const summaries: SweepSummary[] = [];
  for (const b of cfg.backends) {
    if (deps.signal?.aborted) break; // the first signal: start nothing new
    let sim: SimProcess | undefined;
    let url = b.endpoint === undefined ? undefined : resolveEnvRefs(b.endpoint, env);
    const model = b.model ?? cfg.model.served_name;
    if (!url) {
      // Its own process: the simulated server must not share the load generator's event loop.
      sim = await spawnSimulator({
        backend: b.kind,
        model,
        gpu: b.sim?.gpu ?? cfg.gpu_profile,
        modelProfile: b.sim?.model,
        seed: b.sim?.seed ?? cfg.load.seed,
        timeScale: b.sim?.time_scale,
        faults: b.sim?.faults,
      });
      url = sim.url;
      log.info(`simulated ${b.kind} listening on ${url}`);
    }
    try {
      const summary = await runSweep({
        backend: b.id,
        kind: b.kind,
        url,
        model,
        outDir: L.runDir(b.id),
        api: b.api,
        headers: b.headers,
        env,
        // The simulator may run N× faster; samples record it and metrics are scaled back to simulated time.
        timeScale: sim ? (b.sim?.time_scale ?? 1) : 1,
        simulated: !!sim,
        provenance: sim
          ? { gpu: `${b.sim?.gpu ?? cfg.gpu_profile} (simulated)`, server: `llmbench sim (${b.kind} dialect)` }
          : undefined,
        mode: cfg.load.mode,
        concurrency: cfg.load.concurrency ?? [1],
        rate: cfg.load.rate,
        arrival: cfg.load.arrival,
        burstiness: cfg.load.burstiness,
        requests: cfg.load.duration_s !== undefined ? null : (cfg.load.requests ?? 24),
        durationS: cfg.load.duration_s ?? null,
        trials: cfg.load.trials,
        warmup: cfg.load.warmup,
        inputTokens: cfg.workload.input_tokens,
        outputTokens: cfg.workload.output_tokens,
        dataset: cfg.workload.dataset,
        prompts: cfg.workload.prompts,
        temperature: cfg.workload.temperature,
        ignoreEos: cfg.workload.ignore_eos,
        timeoutS: cfg.load.timeout_s,
        stallTimeoutS: cfg.load.stall_timeout_s,
        seed: cfg.load.seed,
        minSamples: cfg.load.min_samples,
        slo: cfg.slo,
        log,
        signal: deps.signal,
        cwd: deps.cwd,
      });
      summaries.push(summary);
      files.push(L.samples(b.id), L.sweepSummary(b.id));
      if (!deps.signal?.aborted && summary.points.every((p) => p.completed === 0))
        throw new EnvironmentError(
          'no-successful-requests',
          `no request succeeded against backend '${b.id}' (${withoutCredentials(url)})`,
          { hint: 'As with `llmbench sweep`: check the endpoint, the model name and that the server is ready.' },
        );
    } finally {
      await sim?.close();
    }
  }

  // After the sweeps: each stage starts only if no signal came; one that a signal ends makes the run "interrupted".
  const stopped = (stage: string) => interruptedRun(cfg, workdir, summaries, files, deps.signal!, stage);
  try {
    if (deps.signal?.aborted) return await stopped('the sweeps');
    // Analysis against the configured baseline; a missing or other-version baseline is an inconclusive finding here
    // (the sweeps are done), not an error. Nightly (baseline.update): record history, rebuild from a clean window.
    const baselinePath = await resolveBaselinePath(cfg.baseline.path);
    const analysis = await analyzeWork({
      runsDir: L.runsDir,
      outDir: L.analysisDir,
      cfg,
      baselinePath,
      lenientBaseline: true,
      historyDir: cfg.baseline.update ? await resolveBaselinePath(cfg.baseline.history_dir) : null,
      writeBaselinePath: cfg.baseline.update ? baselinePath : null,
      skipUncleanBaseline: true,
      log,
    });
    files.push(...analysis.files);
    if (deps.signal?.aborted) return await stopped('the analysis');

    // Plots (plots/*.vl.json|svg|png, report.html), then SUMMARY.md — both read analysis/ when analyze ran above.
    const title = cfg.name ?? 'llmbench run';
    const generatedAt = new Date().toISOString();
    const plotted = await runPlot({ workdir, log, title, generatedAt });
    files.push(...plotted.files);
    if (deps.signal?.aborted) return await stopped('the plots');
    const summaryMd = await writeSummary({ workdir, log, title, generatedAt });
    files.push(summaryMd.file);
    return { workdir, summaries, files, verdict: analysis.verdict.verdict, exitCode: analysis.exitCode };
  } catch (e) {
    if (deps.signal?.aborted) return stopped('the analysis, plots or summary');
    throw e;
  }
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
