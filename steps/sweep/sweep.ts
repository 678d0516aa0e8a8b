/**
 * The load generator core: runs a plan (load points × trials, warmup excluded) against one target, or against
 * two targets in interleaved A/B trials, through the protocol adapters. Every request becomes a sample appended
 * to samples.ndjson as it completes; metrics come only from steps/metrics/derive.ts. A killed sweep keeps every
 * finished request and `resume` continues it without repeating or losing one.
 */
import path from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { NdjsonAppender, refuseSymlink, writeJsonAtomic } from '../core/atomic.js';
import { InvalidInputError, problemCount } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { redactString } from '../core/redact.js';
import { resolveHeaderRefs, withoutCredentials } from '../core/targets.js';
import type { Sample } from '../core/types/sample.js';
import type { SweepSummary } from '../core/types/sweep-summary.js';
import { getAdapter, nowMs, resolveApi, type AdapterKind } from '../servers/adapters.js';
import {
  measurementWindowS,
  summarizePoints,
  timeScale,
  percentile,
  pointKey,
  type InvalidReason,
  type SloSpec,
  type Point,
} from '../metrics/derive.js';
import { buildWorkload, promptIndexFor, type Workload } from '../workload/workload.js';
import { arrivalGaps, type Arrival } from './arrivals.js';
import { collectGarbage } from './gc.js';
import { localExecutor, threadExecutor, type Executor } from './executor.js';
import { Scraper, seriesSummary, type ScraperStats } from './scrape.js';
import { getServer, metricsUrl } from '../servers/index.js';
import { noProgress, eventProgress, type Progress } from './progress.js';
import { loadState, readSamples, sampleKey, saveState, type SweepState } from './resume.js';
import type { LoopDelay } from './selfcheck.js';

export type LoadMode = 'concurrency' | 'rate' | 'max-throughput';

/** One server to measure. */
export interface SweepTarget {
  backend: string;
  kind: AdapterKind;
  url: string;
  model: string;
  api?: string;
  headers?: Record<string, string>;
  outDir: string;
  /** Simulated seconds per real second (llmbench's simulator run N× faster); 1 for real servers. */
  timeScale?: number;
  /** Prometheus URL to scrape during the sweep (true = the server's metrics URL, e.g. Triton's port 8002). */
  scrapeMetrics?: boolean | string;
  simulated?: boolean;
  /** What is being measured (GPU, server version, image digest): compared runs must agree on GPU, model, server. */
  provenance?: {
    gpu?: string | null;
    server?: string | null;
    image_digest?: string | null;
    commit_sha?: string | null;
  };
}

export interface SweepOptions extends SweepTarget {
  mode?: LoadMode;
  concurrency?: number[];
  rate?: number[];
  arrival?: Arrival;
  burstiness?: number;
  /** Measured requests per point per trial (warmup not included). */
  requests?: number | null;
  /** Or: measurement duration per point per trial, seconds (simulated time). */
  durationS?: number | null;
  trials: number;
  warmup: number;
  inputTokens: number;
  outputTokens: number;
  dataset?: string;
  prompts?: number;
  temperature?: number;
  ignoreEos?: boolean;
  timeoutS: number;
  stallTimeoutS?: number;
  seed: number;
  minSamples?: number;
  slo?: SloSpec;
  resume?: boolean;
  /** A/B mode: the candidate target; trials interleave A B A B on the same plan. */
  ab?: SweepTarget;
  scrapeIntervalS?: number;
  /** Worker threads that time requests (each its own event loop and connections); 1 = this thread. */
  clientThreads?: number;
  log: Logger;
  signal?: AbortSignal;
  progress?: Progress;
  /** Working directory for relative dataset paths. */
  cwd?: string;
  /** Environment for `${NAME}` header values (tokens); headers are used as given when omitted. */
  env?: NodeJS.ProcessEnv;
  /** Sequential gate (steps/analyze/gate.ts): consulted between trials; `trials` is then the maximum. */
  gate?: SweepGate;
}

/**
 * Consulted after each trial of a point (A/B: after each pair), with the measured samples of that trial per target:
 * run another trial, go to the next point, or stop the sweep. Recorded in the summary as plan.sequential.
 */
export interface SweepGate {
  describe: NonNullable<NonNullable<SweepSummary['plan']>['sequential']>;
  after(
    point: PointSpec,
    trial: number,
    arms: { backend: string; arm?: 'a' | 'b'; samples: Sample[] }[],
  ): 'continue' | 'next-point' | 'stop';
}

/** The measured samples of one trial of one point (the gate's input). */
function trialSamples(r: TargetRun, p: PointSpec, trial: number): Sample[] {
  const out: Sample[] = [];
  for (const s of r.samples.values())
    if (!s.warmup && s.trial === trial && s.concurrency === p.concurrency && s.rate === p.rate) out.push(s);
  return out;
}

export interface PointSpec {
  concurrency: number | null;
  rate: number | null;
}

/** Self-check limits: the client is the bottleneck when its own lag reaches this share of what it measures. */
export const SELF_CHECK = { minLagMs: 5, itlShare: 0.5 };

export function planPoints(o: Pick<SweepOptions, 'mode' | 'concurrency' | 'rate' | 'requests'>): PointSpec[] {
  const mode = o.mode ?? 'concurrency';
  if (mode === 'rate') return (o.rate ?? []).map((r) => ({ concurrency: null, rate: r }));
  if (mode === 'max-throughput') {
    // Every request arrives at once; in-flight capped by the largest concurrency given, else all of them.
    const cap = o.concurrency?.length ? Math.max(...o.concurrency) : (o.requests ?? 256);
    return [{ concurrency: cap, rate: null }];
  }
  return (o.concurrency ?? [1]).map((c) => ({ concurrency: c, rate: null }));
}

/** The parts of the options that define the work: a resumed sweep must match them exactly. */
function planIdentity(o: SweepOptions, w: Workload, arm: 'a' | 'b' | undefined): string {
  const p = {
    backend: o.backend,
    mode: o.mode ?? 'concurrency',
    points: planPoints(o),
    arrival: o.arrival ?? 'poisson',
    burstiness: o.burstiness ?? 1,
    requests: o.requests ?? null,
    duration: o.durationS ?? null,
    trials: o.trials,
    warmup: o.warmup,
    seed: o.seed,
    fingerprint: w.fingerprint,
    arm,
    // A resumed gated sweep must replay the same design (absent for fixed sweeps: their identity is unchanged).
    ...(o.gate ? { sequential: o.gate.describe } : {}),
  };
  return createHash('sha256').update(JSON.stringify(p)).digest('hex').slice(0, 16);
}

interface TargetRun {
  t: SweepTarget;
  arm?: 'a' | 'b';
  api: string;
  scale: number;
  out: NdjsonAppender;
  samples: Map<string, Sample>;
  state: SweepState;
  statePath: string;
  scraper?: Scraper;
  scraperStats?: ScraperStats;
  selfCheck: Map<string, { eld: number[]; eld90: number[]; eldMax: number[] }>;
  lastWrite: Promise<void>;
  startedAt: string;
}

export async function runSweep(o: SweepOptions): Promise<SweepSummary> {
  const res = await runSweepTargets(o);
  return res[0];
}

/** A/B mode: returns [baseline, candidate] summaries. */
export async function runAbSweep(o: SweepOptions & { ab: SweepTarget }): Promise<[SweepSummary, SweepSummary]> {
  const res = await runSweepTargets(o);
  return [res[0], res[1]];
}

async function runSweepTargets(o: SweepOptions): Promise<SweepSummary[]> {
  const mode = o.mode ?? 'concurrency';
  const points = planPoints(o);
  checkPlan(o, points);
  const workload = await buildWorkload(
    {
      dataset: o.dataset ?? 'synthetic',
      inputTokens: o.inputTokens,
      outputTokens: o.outputTokens,
      prompts: o.prompts,
      temperature: o.temperature ?? 0,
      ignoreEos: o.ignoreEos ?? true,
      seed: o.seed,
    },
    o.cwd,
  );
  const runId = randomUUID();
  const runs: TargetRun[] = [];
  // Validate and open every target before sending anything.
  for (const { t, arm } of sweepTargets(o)) runs.push(await openTarget(o, t, arm, workload));
  await runPlan(o, runs, points, { runId, mode, workload });
  const summaries: SweepSummary[] = [];
  for (const r of runs) {
    const summary = buildSummary(o, r, workload, runId, mode, points);
    await writeJsonAtomic(path.join(r.t.outDir, 'summary.json'), summary);
    summaries.push(summary);
  }
  return summaries;
}

/** Every plan problem at once (exit 2), before any file is opened. */
function checkPlan(o: SweepOptions, points: PointSpec[]): void {
  const problems = validatePlan(o, points);
  if (!problems.length) return;
  throw new InvalidInputError('sweep-plan-invalid', `invalid sweep plan (${problemCount(problems.length)})`, {
    problems,
    hint: 'See `llmbench sweep --help`.',
  });
}

/** The target (A/B: A then B), with `${NAME}` header values resolved from the environment. */
function sweepTargets(o: SweepOptions): { t: SweepTarget; arm?: 'a' | 'b' }[] {
  const withEnv = (t: SweepTarget): SweepTarget =>
    o.env && t.headers ? { ...t, headers: resolveHeaders(t.headers, o.env) } : t;
  return o.ab
    ? [
        { t: withEnv(o), arm: 'a' },
        { t: withEnv(o.ab), arm: 'b' },
      ]
    : [{ t: withEnv(o) }];
}

/**
 * Opens one target's output directory: refuses symlinks, a non-empty directory without --resume and a resume of a
 * different plan; keeps the samples already there; appends from now on.
 */
async function openTarget(
  o: SweepOptions,
  t: SweepTarget,
  arm: 'a' | 'b' | undefined,
  w: Workload,
): Promise<TargetRun> {
  const api = resolveApi(getAdapter(t.kind), t.api);
  const statePath = path.join(t.outDir, 'sweep-state.json');
  const samplesPath = path.join(t.outDir, 'samples.ndjson');
  const identity = planIdentity({ ...o, backend: t.backend }, w, arm);
  for (const f of [samplesPath, statePath, path.join(t.outDir, 'summary.json')]) refuseSymlink(f);
  const prev = await loadState(statePath);
  const existing = await readSamples(samplesPath);
  checkResumable(o, t, prev, existing.samples.length, identity);
  const samples = keptSamples(existing.samples);
  if (existing.torn)
    o.log.warn(`ignored ${existing.torn} torn line(s) in ${samplesPath} (a process was killed mid-write)`);
  const state: SweepState = prev ?? {
    plan_id: identity,
    fingerprint: w.fingerprint,
    backend: t.backend,
    resumes: 0,
    started_at: new Date().toISOString(),
  };
  if (prev) state.resumes++;
  const out = new NdjsonAppender(samplesPath);
  await out.open();
  await saveState(statePath, state);
  if (o.resume && existing.samples.length)
    o.log.info(`resuming ${t.backend}: ${samples.size} requests already done`, { out: t.outDir });
  return {
    t,
    arm,
    api,
    scale: t.timeScale ?? 1,
    out,
    samples,
    state,
    statePath,
    scraper: targetScraper(o, t),
    selfCheck: new Map(),
    startedAt: state.started_at,
    lastWrite: Promise.resolve(),
  };
}

/** Earlier results are never overwritten: a sweep already there needs --resume, and --resume the same plan. */
function checkResumable(o: SweepOptions, t: SweepTarget, prev: SweepState | null, had: number, identity: string): void {
  if (!o.resume && (had > 0 || prev)) {
    throw new InvalidInputError('out-not-empty', `${t.outDir} already holds a sweep (${had} samples)`, {
      problems: [{ path: '/out', message: 'output directory already holds samples.ndjson' }],
      hint: 'Use --resume to continue that sweep, or pick a new --out; earlier results are never overwritten.',
    });
  }
  if (o.resume && prev && prev.plan_id !== identity) {
    throw new InvalidInputError(
      'resume-mismatch',
      `cannot resume ${t.outDir}: the plan or workload differs from the interrupted sweep`,
      {
        problems: [
          {
            path: '/out',
            message: `plan ${identity} ≠ interrupted plan ${prev.plan_id} (workload ${prev.fingerprint})`,
          },
        ],
        hint: 'Resume with exactly the same flags (points, trials, warmup, requests/duration, seed, dataset, token lengths).',
      },
    );
  }
}

/** The samples a resume keeps, by sample key. */
function keptSamples(existing: Sample[]): Map<string, Sample> {
  const samples = new Map<string, Sample>();
  for (const s of existing) {
    const k = sampleKey(s);
    const had = samples.get(k);
    // A request cancelled by a stop is redone on resume; its cancelled sample gives way to the redo.
    if (!had || had.error?.category === 'cancelled' || s.error?.category !== 'cancelled') samples.set(k, s);
  }
  return samples;
}

function targetScraper(o: SweepOptions, t: SweepTarget): Scraper | undefined {
  if (!t.scrapeMetrics) return undefined;
  const url = typeof t.scrapeMetrics === 'string' ? t.scrapeMetrics : metricsUrl(t.kind, t.url);
  const file = path.join(t.outDir, 'server-metrics.ndjson');
  return new Scraper(url, file, (o.scrapeIntervalS ?? 1) * 1000, getServer(t.kind).metrics.names);
}

/** What every trial of the run shares besides the options. */
interface RunCtx {
  runId: string;
  mode: LoadMode;
  workload: Workload;
}

/** Sends the whole plan through one executor; scrapers and sample files are closed whatever happens. */
async function runPlan(o: SweepOptions, runs: TargetRun[], points: PointSpec[], run: RunCtx): Promise<void> {
  const log = o.log;
  // Every in-flight request listens on the stop signal; thousands of streams are expected, not a leak.
  if (o.signal) setMaxListeners(0, o.signal);
  const progress = o.progress ?? (log.json ? eventProgress(log) : noProgress);
  // Each trial collects between warmup and measurement (beginWindow); say once if this runtime cannot.
  if (!collectGarbage())
    log.warn(
      'cannot force a garbage collection between warmup and measurement; a collection may land inside a measured window',
    );
  const threads = o.clientThreads ?? 1;
  let exec: Executor | undefined;
  try {
    const w = run.workload;
    const client = { tokenizer: w.tokenizer, keepAliveTimeoutMs: 60_000, connectTimeoutMs: o.timeoutS * 1000 };
    const ex = threads > 1 ? await threadExecutor({ ...client, threads }) : localExecutor(client);
    exec = ex;
    if (threads > 1) log.info(`timing requests on ${threads} client threads`);
    for (const r of runs) await r.scraper?.start();
    await runPoints(o, runs, points, w, { exec: ex, progress, runId: run.runId, mode: run.mode });
  } finally {
    for (const r of runs) {
      r.scraperStats = await r.scraper?.stop();
      await r.out.close();
    }
    await exec?.close().catch(() => {});
  }
}

/** Points × trials; the sequential gate (when set) decides after each trial whether to go on. */
async function runPoints(
  o: SweepOptions,
  runs: TargetRun[],
  points: PointSpec[],
  w: Workload,
  ctx: TrialCtx,
): Promise<void> {
  points: for (const p of points) {
    for (let trial = 0; trial < o.trials; trial++) {
      // A/B: A then B within each trial, so both arms see the same drift (A B A B ...).
      for (const r of runs) {
        if (o.signal?.aborted) break;
        await runTrial({ o, r, p, trial, w, ctx });
      }
      if (!o.gate || o.signal?.aborted) continue;
      const arms = runs.map((r) => ({ backend: r.t.backend, arm: r.arm, samples: trialSamples(r, p, trial) }));
      const step = o.gate.after(p, trial, arms);
      if (step === 'next-point') break;
      if (step === 'stop') break points;
    }
  }
}

function validatePlan(o: SweepOptions, points: PointSpec[]) {
  const problems: { path: string; message: string }[] = [];
  const mode = o.mode ?? 'concurrency';
  if (!points.length) problems.push({ path: mode === 'rate' ? '/rate' : '/concurrency', message: 'no load points' });
  if (o.requests != null && o.durationS != null)
    problems.push({ path: '/requests', message: 'set either requests or duration, not both' });
  if (o.requests == null && o.durationS == null)
    problems.push({ path: '/requests', message: 'set requests or duration' });
  if (mode === 'rate' && (o.arrival ?? 'poisson') === 'gamma' && !(o.burstiness && o.burstiness > 0))
    problems.push({ path: '/burstiness', message: 'gamma arrivals need burstiness > 0' });
  if (mode === 'max-throughput' && o.durationS != null && !o.concurrency?.length)
    problems.push({ path: '/concurrency', message: 'max-throughput with a duration needs a concurrency cap' });
  if (o.ab && o.ab.outDir === o.outDir)
    problems.push({ path: '/ab', message: 'A and B need different output directories' });
  return problems;
}

interface TrialCtx {
  exec: Executor;
  progress: Progress;
  runId: string;
  mode: LoadMode;
}

/** Sends request `seq` (intended at a time on the sample clock) and appends its sample. */
type Issue = (seq: number, intended: number, warmup: boolean) => Promise<void>;

/** One trial of one point on one target, and what it runs with. */
interface Trial {
  o: SweepOptions;
  r: TargetRun;
  p: PointSpec;
  trial: number;
  w: Workload;
  ctx: TrialCtx;
}

/** One trial of one point on one target: warmup, then the measured window; skipped when a resume finds it done. */
async function runTrial(t: Trial): Promise<void> {
  const { o, r, p, trial, ctx } = t;
  const trialKey = `${pointKey(p)}|${trial}`;
  if (r.state.completed?.includes(trialKey)) return;
  const done = (seq: number) => {
    const s = r.samples.get(sampleKey({ ...p, trial, seq }));
    return !!s && s.error?.category !== 'cancelled';
  };
  const issuer = requestIssuer(t);
  beginTrial(t);

  // Warmup: closed loop at the point's concurrency (rate points: up to 4 in flight); excluded from every statistic.
  const warmupSeqs = Array.from({ length: o.warmup }, (_, i) => i).filter((s) => !done(s));
  await closedLoop(
    warmupSeqs,
    Math.min(p.concurrency ?? 4, Math.max(1, warmupSeqs.length)),
    (seq) => issuer.issue(seq, nowMs(), true),
    o.signal,
  );

  // No request is in flight between warmup and measurement: collect now rather than inside the measured window.
  await ctx.exec.beginWindow();
  await runMeasured(o, r, p, trial, ctx.mode, done, issuer.issue);
  const eld = await ctx.exec.endWindow();
  ctx.progress.end();
  await issuer.written();
  recordLoopDelay(r, p, eld);
  if (!o.signal?.aborted) {
    (r.state.completed ??= []).push(trialKey);
    await saveState(r.statePath, r.state);
  }
}

/** Tells the progress display and the scraper which trial is running. */
function beginTrial({ o, r, p, trial, ctx }: Trial): void {
  const point = p.concurrency != null ? `c=${p.concurrency}` : `rate=${p.rate}`;
  const label = `${r.t.backend}${r.arm ? `[${r.arm}]` : ''} ${point} t${trial}`;
  const totalSeqs = o.requests != null ? o.warmup + o.requests : null;
  ctx.progress.begin(label, totalSeqs, {
    backend: r.t.backend,
    arm: r.arm,
    concurrency: p.concurrency,
    rate: p.rate,
    trial,
  });
  if (r.scraper)
    r.scraper.label = { concurrency: p.concurrency, rate: p.rate, trial, ...(r.arm ? { arm: r.arm } : {}) };
}

/**
 * Issues requests of one trial through the executor; each sample is kept and appended as it completes. `written`
 * waits for the last append and rethrows the first write error.
 */
function requestIssuer({ o, r, p, trial, w, ctx }: Trial): { issue: Issue; written: () => Promise<void> } {
  const scale = r.scale;
  let writeErr: unknown;
  const issue: Issue = async (seq, intended, warmup) => {
    const pi = promptIndexFor(seq, trial, w.prompts.length);
    const prompt = w.prompts[pi];
    const s = await ctx.exec.execute(
      {
        kind: r.t.kind,
        api: r.api,
        url: r.t.url,
        req: {
          model: r.t.model,
          prompt: prompt.text,
          maxTokens: w.outputTokens,
          ignoreEos: w.ignoreEos,
          temperature: w.temperature,
        },
        base: {
          run_id: ctx.runId,
          backend: r.t.backend,
          arm: r.arm,
          concurrency: p.concurrency,
          rate: p.rate,
          trial,
          seq,
          prompt_index: pi,
          warmup,
          time_scale: scale,
          intended_send_ms: intended,
          input_tokens: { requested: w.inputTokens, client: prompt.tokens, server: null },
        },
        headers: r.t.headers,
        timeoutMs: (o.timeoutS * 1000) / scale,
        stallTimeoutMs: ((o.stallTimeoutS ?? o.timeoutS) * 1000) / scale,
      },
      o.signal,
    );
    r.samples.set(sampleKey({ ...p, trial, seq }), s);
    ctx.progress.tick(s.ok);
    // Appended as each request completes (one write of a whole line): a kill loses nothing that finished.
    r.lastWrite = r.out.append(s).catch((e) => {
      writeErr ??= e;
    });
  };
  const written = async () => {
    await r.lastWrite;
    if (writeErr) throw writeErr;
  };
  return { issue, written };
}

/**
 * The measured window: a fixed count of requests, or (duration mode) as many as fit in the time; a resumed trial
 * sends only what it still lacks.
 */
async function runMeasured(
  o: SweepOptions,
  r: TargetRun,
  p: PointSpec,
  trial: number,
  mode: LoadMode,
  done: (seq: number) => boolean,
  issue: Issue,
): Promise<void> {
  const W = o.warmup;
  if (o.requests != null) {
    const pending = Array.from({ length: o.requests }, (_, i) => W + i).filter((s) => !done(s));
    return driveLoad(o, p, trial, r.scale, mode, pending, issue);
  }
  // Duration mode: a resumed trial runs only the time it still lacks; seq continues after the last one issued.
  const prior = trialSamples(r, p, trial);
  const coveredS = measurementWindowS(prior);
  const remainingMs = Math.max(0, ((o.durationS as number) - coveredS) * 1000) / r.scale;
  let next = prior.reduce((m, s) => Math.max(m, s.seq + 1), W);
  const deadline = nowMs() + remainingMs;
  const gen = () => (nowMs() < deadline ? next++ : undefined);
  return driveLoad(o, p, trial, r.scale, mode, gen, issue, deadline);
}

/** Measured requests by load mode: open loop at the rate, all at once (max-throughput), or closed loop. */
async function driveLoad(
  o: SweepOptions,
  p: PointSpec,
  trial: number,
  scale: number,
  mode: LoadMode,
  src: SeqSource,
  issue: Issue,
  deadline?: number,
): Promise<void> {
  if (mode === 'rate')
    await openLoop(src, p.rate as number, o, trial, scale, (seq, t) => issue(seq, t, false), o.signal, deadline);
  else if (mode === 'max-throughput') {
    const t0 = nowMs();
    await closedLoop(src, p.concurrency as number, (seq) => issue(seq, t0, false), o.signal);
  } else await closedLoop(src, p.concurrency as number, (seq) => issue(seq, nowMs(), false), o.signal);
}

/** The trial's loop delay, kept per point for the self-check in the summary. */
function recordLoopDelay(r: TargetRun, p: PointSpec, eld: LoopDelay): void {
  const k = pointKey(p);
  const sc = r.selfCheck.get(k) ?? { eld: [], eld90: [], eldMax: [] };
  if (eld.p99_ms != null) sc.eld.push(eld.p99_ms);
  if (eld.p90_ms != null) sc.eld90.push(eld.p90_ms);
  if (eld.max_ms != null) sc.eldMax.push(eld.max_ms);
  r.selfCheck.set(k, sc);
}

type SeqSource = number[] | (() => number | undefined);
const nextOf = (src: SeqSource): (() => number | undefined) => {
  if (typeof src === 'function') return src;
  let i = 0;
  return () => (i < src.length ? src[i++] : undefined);
};

/** Fixed concurrency: c workers, each sends its next request when its previous one ends. */
async function closedLoop(
  src: SeqSource,
  c: number,
  send: (seq: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const next = nextOf(src);
  const worker = async () => {
    for (;;) {
      if (signal?.aborted) return;
      const seq = next();
      if (seq === undefined) return;
      await send(seq);
    }
  };
  const n = Array.isArray(src) ? Math.min(c, src.length) : c;
  await Promise.all(Array.from({ length: n }, worker));
}

/**
 * Open loop at a target rate: request i is due at t0 + Σ gaps (seeded), sent when due regardless of how many are
 * in flight. intended_send_ms is the due time, so any client lag shows as queue time (coordinated omission).
 */
async function openLoop(
  src: SeqSource,
  rate: number,
  o: SweepOptions,
  trial: number,
  scale: number,
  send: (seq: number, intended: number) => Promise<void>,
  signal?: AbortSignal,
  deadline = Infinity,
): Promise<void> {
  const next = nextOf(src);
  const gap = arrivalGaps(rate, o.arrival ?? 'poisson', o.burstiness ?? 1, o.seed * 1000 + trial);
  const inflight = new Set<Promise<void>>();
  // A send that rejects (an internal failure; request failures are samples) stops the loop and is rethrown.
  let failed: { e: unknown } | null = null;
  let due = nowMs();
  for (;;) {
    if (signal?.aborted || failed) break;
    due += (gap() * 1000) / scale;
    if (due >= deadline) break;
    const wait = due - nowMs();
    if (wait > 0) await sleep(wait, signal);
    if (signal?.aborted) break;
    const seq = next();
    if (seq === undefined) break;
    const pr: Promise<void> = send(seq, due)
      .catch((e) => void (failed ??= { e }))
      .finally(() => inflight.delete(pr));
    inflight.add(pr);
  }
  await Promise.all(inflight);
  if (failed) throw (failed as { e: unknown }).e;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** One point as summarized, with the client's own lag (the self-check) beside it. */
interface PointCheck {
  point: Point;
  bottleneck: boolean;
  eldP99: number | null;
  eldP90: number | null;
  lagP99: number | null;
}

function buildSummary(
  o: SweepOptions,
  r: TargetRun,
  w: Workload,
  runId: string,
  mode: LoadMode,
  points: PointSpec[],
): SweepSummary {
  const samples = [...r.samples.values()];
  const wanted = new Set(points.map(pointKey));
  const checks = summarizePoints(samples, { slo: o.slo, minSamples: o.minSamples })
    .filter((pt) => wanted.has(pointKey(pt)))
    .map((pt) => checkPoint(r, pt, samples, mode));
  const worstOf = (k: 'eldP99' | 'eldP90' | 'lagP99') =>
    checks.reduce<number | null>((m, c) => (c[k] != null ? Math.max(m ?? 0, c[k]) : m), null);
  return {
    schema_version: 1,
    backend: r.t.backend,
    adapter: r.t.kind,
    api: r.api,
    model: r.t.model,
    endpoint: redactString(withoutCredentials(r.t.url)),
    run_id: runId,
    started_at: r.startedAt,
    finished_at: new Date().toISOString(),
    plan: summaryPlan(o, r, mode, points),
    workload: {
      fingerprint: w.fingerprint,
      dataset: w.dataset,
      prompts: w.prompts.length,
      input_tokens: w.inputTokens,
      output_tokens: w.outputTokens,
      tokenizer: w.tokenizer,
      sampling: { temperature: w.temperature, ignore_eos: w.ignoreEos, max_tokens: w.outputTokens },
    },
    provenance: { ...r.t.provenance, simulated: r.t.simulated ?? false, model: r.t.model },
    load_generator: {
      version: 'llmbench-sweep/1',
      node: process.version,
      client_threads: o.clientThreads ?? 1,
      event_loop_delay_p99_ms: worstOf('eldP99'),
      event_loop_delay_p90_ms: worstOf('eldP90'),
      send_lag_p99_ms: worstOf('lagP99'),
      client_bottleneck: checks.some((c) => c.bottleneck),
      thresholds: { min_ms: SELF_CHECK.minLagMs, itl_share: SELF_CHECK.itlShare },
    },
    server_metrics: serverMetrics(r.scraperStats),
    points: checks.map((c) => c.point),
  };
}

/** A point's summary plus the self-check: the client's lag, and whether it invalidates the point. */
function checkPoint(r: TargetRun, pt: Point, samples: Sample[], mode: LoadMode): PointCheck {
  const sc = r.selfCheck.get(pointKey(pt));
  const mine = samples.filter((s) => !s.warmup && s.concurrency === pt.concurrency && s.rate === pt.rate);
  // Send lag = actual − intended send in real ms; only meaningful in open-loop (rate) mode.
  const lags =
    mode === 'rate' ? Float64Array.from(mine.map((s) => s.sent_ms - s.intended_send_ms)).sort() : new Float64Array();
  const lagP99 = lags.length ? percentile(lags, 99) : null;
  const eldP99 = sc?.eld.length ? Math.max(...sc.eld) : null;
  const eldP90 = sc?.eld90.length ? Math.max(...sc.eld90) : null;
  const eldMax = sc?.eldMax.length ? Math.max(...sc.eldMax) : null;
  const scale = mine.length ? timeScale(mine[0]) : r.scale;
  const lagReasons = bottleneckReasons(pt, eldP90, lagP99, scale);
  const reasons = [...(pt.invalid_reasons ?? []), ...lagReasons];
  const server = r.scraper
    ? seriesSummary(r.scraper.lines.filter((l) => l.concurrency === pt.concurrency && l.rate === pt.rate))
    : undefined;
  const point: Point = {
    ...pt,
    ...(r.arm ? { arm: r.arm } : {}),
    valid: reasons.length === 0,
    invalid_reasons: reasons,
    load_generator: {
      event_loop_delay_p99_ms: eldP99,
      event_loop_delay_p90_ms: eldP90,
      event_loop_delay_max_ms: eldMax,
      send_lag_p99_ms: lagP99,
      achieved_rate: mode === 'rate' ? achievedRate(mine, scale) : null,
    },
    ...(server ? { server } : {}),
  };
  return { point, bottleneck: lagReasons.length > 0, eldP99, eldP90, lagP99 };
}

/**
 * The client is the bottleneck when its lag is large relative to what it measures: half the median ITL (at least
 * 5 ms), in the same (simulated) time as the metrics.
 */
function bottleneckReasons(pt: Point, eldP90: number | null, lagP99: number | null, scale: number): InvalidReason[] {
  const itlP50 = pt.itl_ms.p50 ?? null;
  const limit = Math.max(SELF_CHECK.minLagMs, itlP50 != null ? SELF_CHECK.itlShare * itlP50 : SELF_CHECK.minLagMs);
  // A bottleneck is systematic lateness (p90). Tail jitter (p99: GC pauses, OS scheduling on a shared host) only
  // touches p99 latencies, which are reported with the p99 delay beside them and do not gate by default;
  // invalidating points on it made an idle 2-core machine fail ~1 point in 12 at 4x simulated time.
  const lag = (what: string, ms: number): InvalidReason => ({
    code: 'client-bottleneck' as const,
    message: `client bottleneck: ${what} ${ms.toFixed(1)} ms > ${limit.toFixed(1)} ms`,
    value: ms,
    limit,
  });
  const reasons: InvalidReason[] = [];
  if (eldP90 != null && eldP90 * scale > limit) reasons.push(lag('event-loop delay p90', eldP90 * scale));
  if (lagP99 != null && lagP99 * scale > limit) reasons.push(lag('send lag p99', lagP99 * scale));
  return reasons;
}

/** Requests per (simulated) second actually sent in rate mode; null with fewer than two. */
function achievedRate(mine: Sample[], scale: number): number | null {
  if (mine.length <= 1) return null;
  const first = Math.min(...mine.map((s) => s.intended_send_ms));
  const last = Math.max(...mine.map((s) => s.sent_ms));
  return last > first ? ((mine.length - 1) / ((last - first) * scale)) * 1000 : null;
}

/** The plan as run, recorded in the summary (A/B: with the peer's backend and redacted endpoint). */
function summaryPlan(o: SweepOptions, r: TargetRun, mode: LoadMode, points: PointSpec[]): SweepSummary['plan'] {
  const peer = o.ab ? (r.arm === 'a' ? o.ab : o) : undefined;
  return {
    mode,
    concurrency: mode === 'rate' ? null : points.map((p) => p.concurrency as number),
    rate: mode === 'rate' ? points.map((p) => p.rate as number) : null,
    trials: o.trials,
    warmup: o.warmup,
    requests: o.requests ?? null,
    duration_s: o.durationS ?? null,
    arrival: mode === 'rate' ? (o.arrival ?? 'poisson') : null,
    burstiness: mode === 'rate' ? (o.burstiness ?? 1) : null,
    seed: o.seed,
    timeout_s: o.timeoutS,
    stall_timeout_s: o.stallTimeoutS ?? o.timeoutS,
    ...(o.minSamples ? { min_samples: o.minSamples } : {}),
    time_scale: r.scale,
    ab:
      peer && r.arm
        ? { arm: r.arm, peer_backend: peer.backend, peer_endpoint: redactString(withoutCredentials(peer.url)) }
        : null,
    sequential: o.gate?.describe ?? null,
    resumed: r.state.resumes,
  };
}

function serverMetrics(st: ScraperStats | undefined): SweepSummary['server_metrics'] {
  return st
    ? {
        url: st.url,
        file: 'server-metrics.ndjson',
        scrapes: st.scrapes,
        errors: st.errors,
        series: st.series,
        unavailable: st.unavailable,
      }
    : null;
}

/** `${NAME}` references in header values from the environment (for tokens); never logged. */
export function resolveHeaders(
  h: Record<string, string> | undefined,
  env: NodeJS.ProcessEnv,
): Record<string, string> | undefined {
  return h ? resolveHeaderRefs(h, env) : undefined;
}
