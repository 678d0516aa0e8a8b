/**
 * One backend of `llmbench run`: start its simulated server when it has no endpoint, sweep it, stop the server.
 * The same function runs on the run's own thread (sequential) or in a worker thread (simulated backends in
 * parallel, steps/run/parallel.ts), so both paths measure exactly the same plan. The plan comes from the one source
 * of defaults (steps/sweep/plan.ts); when it is sequential, the gate (steps/analyze/gate.ts) is consulted between
 * trials against the backend's baseline entry, or between the A/B arms' trials.
 */
import type { ResolvedConfig } from '../core/config.js';
import type { Logger } from '../core/log.js';
import { workdirLayout } from '../core/paths.js';
import { resolveEnvRefs } from '../core/targets.js';
import type { Baseline } from '../core/types/baseline.js';
import type { SweepSummary } from '../core/types/sweep-summary.js';
import type { BaselineBackend } from '../analyze/baseline.js';
import { designOf, gateBaselineEntry, sequentialGate } from '../analyze/gate.js';
import { spawnSimulator, type SimProcess } from '../simulator/process.js';
import { planFingerprint, sweepPlan } from '../sweep/plan.js';
import { planPoints, runAbSweep, runSweep, type SweepTarget } from '../sweep/sweep.js';
import type { Progress, ProgressPlan } from '../sweep/progress.js';

type RunBackend = ResolvedConfig['backends'][number];
type Layout = ReturnType<typeof workdirLayout>;

export interface BackendDeps {
  log: Logger;
  signal?: AbortSignal;
  progress?: Progress;
  /** Environment for ${NAME} references in endpoints and headers (default process.env). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The baseline the gate compares each trial with (read once by the run; absent: fixed trials). */
  baseline?: Baseline;
  /** This backend's baseline entry the gate compares with (from gateEntry; absent: fixed trials). */
  entry?: BaselineBackend;
}

/** What the progress display needs to know of the plan (point order, trials, sizes) for "trial j/k" and the ETA. */
export function progressPlan(cfg: ResolvedConfig, gated = !!cfg.load.ab): ProgressPlan {
  // A gated sweep plans up to the design's maximum trials (it may stop earlier); otherwise the fixed trials.
  const p = sweepPlan(cfg, {}, { comparable: gated && !cfg.baseline.update });
  return {
    points: planPoints(p),
    trials: p.trials,
    warmup: p.warmup,
    requests: p.requests ?? null,
    durationS: p.durationS ?? null,
    arms: cfg.load.ab ? 2 : 1,
  };
}

/** Backends without an endpoint run on the embedded simulator (each in its own process). */
export const isSimulated = (b: RunBackend): boolean => !b.endpoint;

/** A simulator for a backend without an endpoint (its own process: it must not share the load generator's loop). */
async function serverFor(
  cfg: ResolvedConfig,
  b: RunBackend,
  deps: BackendDeps,
): Promise<{ url: string; sim?: SimProcess }> {
  // ${NAME} references are resolved only here, for the requests; the config keeps the reference.
  if (b.endpoint) return { url: resolveEnvRefs(b.endpoint, deps.env ?? process.env) };
  const sim = await spawnSimulator({
    backend: b.kind,
    model: b.model ?? cfg.model.served_name,
    gpu: b.sim?.gpu ?? cfg.gpu_profile,
    modelProfile: b.sim?.model,
    seed: b.sim?.seed ?? cfg.load.seed,
    timeScale: b.sim?.time_scale,
    faults: b.sim?.faults,
  });
  deps.log.info(`simulated ${b.kind} listening on ${sim.url}`);
  return { url: sim.url, sim };
}

function targetFor(cfg: ResolvedConfig, b: RunBackend, L: Layout, url: string, sim?: SimProcess): SweepTarget {
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
  deps: BackendDeps,
) {
  // A nightly update (baseline.update) fills the history with full fixed-trial runs; the gate is for PRs.
  const comparable = !cfg.baseline.update && (ref.mode === 'ab' || !!ref.baseline);
  const { sequential, ...plan } = sweepPlan(cfg, {}, { comparable });
  const gate = sequential
    ? sequentialGate({ design: sequential, regression: cfg.regression, slo: cfg.slo, reference: ref })
    : undefined;
  return {
    ...plan,
    gate,
    env: deps.env ?? process.env,
    cwd: deps.cwd,
    log: deps.log,
    signal: deps.signal,
    progress: deps.progress,
  };
}

/** The baseline entry the gate may compare with: only one that measured this very workload. */
export async function gateEntry(
  cfg: ResolvedConfig,
  b: RunBackend,
  deps: BackendDeps,
): Promise<BaselineBackend | undefined> {
  if (!deps.baseline || cfg.baseline.update) return undefined;
  const fp = await planFingerprint(sweepPlan(cfg), deps.cwd ?? process.cwd());
  const { entry, why } = gateBaselineEntry(designOf(cfg.regression), cfg.regression, deps.baseline.backends, b.id, fp);
  if (why) deps.log.info(`${b.id}: ${why}: fixed trials, no sequential gate`);
  return entry;
}

export async function sweepBackend(
  cfg: ResolvedConfig,
  b: RunBackend,
  workdir: string,
  deps: BackendDeps,
): Promise<SweepSummary> {
  const L = workdirLayout(workdir);
  const { url, sim } = await serverFor(cfg, b, deps);
  try {
    return await runSweep({
      ...targetFor(cfg, b, L, url, sim),
      ...planned(cfg, { mode: 'baseline', baseline: deps.entry }, deps),
    });
  } finally {
    await sim?.close();
  }
}

/** load.ab: the first backend is arm a (reference), the second arm b (candidate), their trials interleaved. */
export async function sweepAb(cfg: ResolvedConfig, workdir: string, deps: BackendDeps): Promise<SweepSummary[]> {
  const L = workdirLayout(workdir);
  const [ba, bb] = cfg.backends;
  const a = await serverFor(cfg, ba, deps);
  try {
    const b = await serverFor(cfg, bb, deps);
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
