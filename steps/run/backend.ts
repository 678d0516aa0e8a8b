/**
 * One backend of `llmbench run`: start its simulated server when it has no endpoint, sweep it, stop the server.
 * The same function runs on the run's own thread (sequential) or in a worker thread (simulated backends in
 * parallel, steps/run/parallel.ts), so both paths measure exactly the same plan.
 */
import type { ResolvedConfig } from '../core/config.js';
import type { Logger } from '../core/log.js';
import { workdirLayout } from '../core/paths.js';
import type { SweepSummary } from '../core/types/sweep-summary.js';
import { spawnSimulator, type SimProcess } from '../simulator/process.js';
import { resolveEnvRefs } from '../core/targets.js';
import { planPoints, runSweep, type SweepOptions } from '../sweep/sweep.js';
import type { Progress, ProgressPlan } from '../sweep/progress.js';

type RunBackend = ResolvedConfig['backends'][number];

/** The sweep plan of one backend (everything but the target, which needs the server's URL). */
export function sweepPlan(
  cfg: ResolvedConfig,
): Omit<SweepOptions, keyof import('../sweep/sweep.js').SweepTarget | 'log'> {
  return {
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
  };
}

/** What the progress display needs to know of the plan (point order, trials, sizes) for "trial j/k" and the ETA. */
export function progressPlan(cfg: ResolvedConfig): ProgressPlan {
  const p = sweepPlan(cfg);
  return {
    points: planPoints(p),
    trials: p.trials,
    warmup: p.warmup,
    requests: p.requests ?? null,
    durationS: p.durationS ?? null,
  };
}

/** Backends without an endpoint run on the embedded simulator (each in its own process). */
export const isSimulated = (b: RunBackend): boolean => !b.endpoint;

export async function sweepBackend(
  cfg: ResolvedConfig,
  b: RunBackend,
  workdir: string,
  deps: { log: Logger; signal?: AbortSignal; progress?: Progress; env?: NodeJS.ProcessEnv; cwd?: string },
): Promise<SweepSummary> {
  const { log } = deps;
  const L = workdirLayout(workdir);
  let sim: SimProcess | undefined;
  const env = deps.env ?? process.env;
  // ${NAME} references are resolved only here, for the requests; the config keeps the reference.
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
    return await runSweep({
      ...sweepPlan(cfg),
      backend: b.id,
      kind: b.kind,
      url,
      model,
      outDir: L.runDir(b.id),
      api: b.api,
      headers: b.headers,
      env,
      cwd: deps.cwd,
      // The simulator may run N× faster; samples record it and metrics are scaled back to simulated time.
      timeScale: sim ? (b.sim?.time_scale ?? 1) : 1,
      simulated: !!sim,
      provenance: sim
        ? { gpu: `${b.sim?.gpu ?? cfg.gpu_profile} (simulated)`, server: `llmbench sim (${b.kind} dialect)` }
        : undefined,
      log,
      signal: deps.signal,
      progress: deps.progress,
    });
  } finally {
    await sim?.close();
  }
}
