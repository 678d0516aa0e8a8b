/**
 * One source of defaults: a resolved config plus command-line flags → the sweep plan. `llmbench run`, `llmbench
 * sweep` (and through it the Tekton sweep task) all call this, so a default is written once (steps/sweep/plan.test.ts
 * compares them; test/defaults.test.ts the Tekton params). Flags win over the config, the config over CONFIG_DEFAULTS.
 */
import { CONFIG_DEFAULTS, type ResolvedConfig } from '../core/config.js';
import type { SequentialDesign } from '../stats/sequential.js';
import { designOf } from '../analyze/gate.js';
import type { LoadMode, SweepOptions } from './sweep.js';
import { buildWorkload } from '../workload/workload.js';

/** Flags already parsed to numbers (undefined = not given). */
export interface PlanFlags {
  mode?: LoadMode;
  concurrency?: number[];
  rate?: number[];
  arrival?: SweepOptions['arrival'];
  burstiness?: number;
  requests?: number;
  durationS?: number;
  trials?: number;
  warmup?: number;
  minSamples?: number;
  inputTokens?: number;
  outputTokens?: number;
  prompts?: number;
  dataset?: string;
  seed?: number;
  timeoutS?: number;
  stallTimeoutS?: number;
  /** --sequential / --no-sequential; undefined = the config's regression.sequential.enabled. */
  sequential?: boolean;
  maxTrials?: number;
}

export type SweepPlan = Required<
  Pick<
    SweepOptions,
    | 'mode'
    | 'arrival'
    | 'burstiness'
    | 'trials'
    | 'warmup'
    | 'inputTokens'
    | 'outputTokens'
    | 'dataset'
    | 'prompts'
    | 'temperature'
    | 'ignoreEos'
    | 'timeoutS'
    | 'stallTimeoutS'
    | 'seed'
    | 'minSamples'
  >
> &
  Pick<SweepOptions, 'concurrency' | 'rate' | 'slo'> & {
    requests: number | null;
    durationS: number | null;
    /** The sequential design the sweep consults between trials (trials is then its maximum), or null. */
    sequential: SequentialDesign | null;
  };

/**
 * Default measured requests per point and trial: enough that the largest concurrency is really reached (every
 * worker has a request), and that the trials together reach min_samples for p99.
 */
export function defaultRequests(concurrency: number[] | undefined, minSamples: number, trials: number): number {
  return Math.max(...(concurrency ?? [1]), Math.ceil(minSamples / trials));
}

/**
 * `comparable`: the sweep has a reference to gate against (A/B, or a baseline file for this backend). Without one the
 * sequential gate cannot decide between trials, so the fixed `load.trials` are run. An explicit --trials asks for a
 * fixed count and turns the gate off; --max-trials caps it.
 */
export function sweepPlan(
  cfg: ResolvedConfig,
  f: PlanFlags = {},
  o: { comparable: boolean } = { comparable: false },
): SweepPlan {
  const L = cfg.load;
  const W = cfg.workload;
  const mode: LoadMode = f.mode ?? (f.rate ? 'rate' : f.concurrency ? 'concurrency' : L.mode);
  const concurrency =
    f.concurrency ?? (mode !== 'rate' ? (L.concurrency ?? CONFIG_DEFAULTS.load.concurrency) : undefined);
  const minSamples = f.minSamples ?? L.min_samples;
  const fixedTrials = f.trials ?? L.trials;
  const wanted = f.sequential ?? (f.trials === undefined && cfg.regression.sequential.enabled);
  const design =
    wanted && o.comparable ? designOf({ sequential: { ...cfg.regression.sequential, enabled: true } }) : null;
  const sequential = design && f.maxTrials !== undefined ? { ...design, max_trials: f.maxTrials } : design;
  const durationS = f.durationS ?? (f.requests === undefined ? (L.duration_s ?? null) : null);
  const requests =
    durationS !== null ? null : (f.requests ?? L.requests ?? defaultRequests(concurrency, minSamples, fixedTrials));
  return {
    mode,
    concurrency,
    rate: f.rate ?? (mode === 'rate' ? L.rate : undefined),
    arrival: f.arrival ?? L.arrival,
    burstiness: f.burstiness ?? L.burstiness,
    requests,
    durationS,
    trials: sequential ? sequential.max_trials : fixedTrials,
    warmup: f.warmup ?? L.warmup,
    inputTokens: f.inputTokens ?? W.input_tokens,
    outputTokens: f.outputTokens ?? W.output_tokens,
    dataset: f.dataset ?? W.dataset,
    prompts: f.prompts ?? W.prompts,
    temperature: W.temperature,
    ignoreEos: W.ignore_eos,
    timeoutS: f.timeoutS ?? L.timeout_s,
    stallTimeoutS: f.stallTimeoutS ?? L.stall_timeout_s,
    seed: f.seed ?? L.seed,
    minSamples,
    slo: cfg.slo,
    sequential,
  };
}

/**
 * The workload fingerprint a plan will record (the same function the sweep uses). The gate may compare with a
 * baseline entry only when it measured this very workload; otherwise the sweep runs its fixed trials.
 */
export async function planFingerprint(plan: SweepPlan, cwd?: string): Promise<string> {
  const w = await buildWorkload(
    {
      dataset: plan.dataset,
      inputTokens: plan.inputTokens,
      outputTokens: plan.outputTokens,
      prompts: plan.prompts,
      temperature: plan.temperature,
      ignoreEos: plan.ignoreEos,
      seed: plan.seed,
    },
    cwd,
  );
  return w.fingerprint;
}
