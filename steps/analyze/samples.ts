/**
 * Streams runs/<backend>/samples.ndjson line by line and re-derives the metrics of every trial with
 * steps/metrics (`summarize`). Samples of one trial are held only until the next trial starts (sweeps write
 * trials one after another), so memory is bounded by one trial, not the file.
 *
 * Distributions pooled over a point's trials (shown in the summary, never used for the verdict) are taken from
 * the sweep's summary.json when every re-derived trial agrees with it — both come from the same steps/metrics
 * code. Otherwise (edited or foreign summary, interleaved samples from merged shards or A/B arms) the file is read
 * again holding whole points and everything is re-derived with `summarizePoints`: slower, still exact.
 */
import { statSync } from 'node:fs';
import os from 'node:os';
import { InvalidInputError } from '../core/errors.js';
import { readLines } from '../core/lines.js';
import { pointKey, summarize, summarizePoints, type Point, type Sample, type SloSpec } from '../metrics/derive.js';

/**
 * Documented caps (steps/analyze/README.md) that bound analyze's and plot's memory whatever the input. A load point is
 * the most either step holds at once; measured here (npm run bench:hostile-files) a held sample costs ~1.2 KiB and a
 * chunk stamp ~110 bytes at the peak of summarizing (1.73 GiB peak RSS at 15.2 M stamps, 1.66 GiB at 900 k samples),
 * so a point may weigh at most 750,000 samples, where each chunk stamp counts 1/16 of a sample, and hold at most
 * 12,000,000 stamps: ≈ 1.4 GiB either way, under the 2 GiB target. Beyond: exit 2 naming the cap.
 */
export const MAX_SAMPLES_PER_POINT = Number(process.env.LLMBENCH_MAX_SAMPLES_PER_POINT ?? 750_000);
export const MAX_STAMPS_PER_POINT = Number(process.env.LLMBENCH_MAX_STAMPS_PER_POINT ?? 12_000_000);
/** Chunk stamps that weigh as much as one sample in the per-point cap. */
export const STAMPS_PER_SAMPLE = 16;
/** Distinct load point × trial groups in one file (each costs a summary of its own). */
export const MAX_TRIAL_GROUPS = 100_000;
/** More corrupt lines than this is not a damaged file but a wrong one: exit 2 instead of a finding per line. */
export const MAX_CORRUPT_LINES = 10_000;
/** A server's output-token count above this multiple of the output events seen contradicts the stream. */
export const TOKENS_PER_EVENT_MAX = 16;

/** Counts per load point that enforce the caps; shared by analyze (samples.ts) and plot (steps/plot/data.ts). */
export class PointCaps {
  private counts = new Map<string, { n: number; stamps: number }>();
  private groups = new Set<string>();
  /** `whole`: every sample is held at once (interleaved points), so the caps apply to the whole file. */
  constructor(
    readonly file: string,
    readonly whole = false,
  ) {}
  add(s: { concurrency: number | null; rate: number | null; trial: number; chunk_ms: unknown[] }, line: number): void {
    const g = `${pointKey(s)}#${s.trial}`;
    if (!this.groups.has(g)) {
      this.groups.add(g);
      if (this.groups.size > MAX_TRIAL_GROUPS)
        throw capError(this.file, line, `${MAX_TRIAL_GROUPS} load point × trial groups per file`);
    }
    const k = this.whole ? '*' : pointKey(s);
    let c = this.counts.get(k);
    if (!c) this.counts.set(k, (c = { n: 0, stamps: 0 }));
    c.n++;
    c.stamps += s.chunk_ms.length;
    if (c.stamps > MAX_STAMPS_PER_POINT)
      throw capError(this.file, line, `${MAX_STAMPS_PER_POINT} chunk stamps per load point`);
    if (c.n + c.stamps / STAMPS_PER_SAMPLE > MAX_SAMPLES_PER_POINT)
      throw capError(
        this.file,
        line,
        `${MAX_SAMPLES_PER_POINT} samples per load point (each chunk stamp counts 1/${STAMPS_PER_SAMPLE} of a sample)`,
      );
  }
}

function capError(file: string, line: number, cap: string): InvalidInputError {
  return new InvalidInputError('samples-cap', `${file}: line ${line} exceeds the cap of ${cap}`, {
    hint: 'analyze and plot hold at most one load point in memory, bounded by LLMBENCH_MAX_SAMPLES_PER_POINT and LLMBENCH_MAX_STAMPS_PER_POINT (steps/analyze/README.md); split the sweep into more points or shorter outputs.',
    problems: [{ path: '', message: `exceeds the cap of ${cap}`, file, line }],
  });
}

export function tooManyCorrupt(file: string, first: CorruptLine): InvalidInputError {
  return new InvalidInputError(
    'samples-corrupt',
    `${file}: more than ${MAX_CORRUPT_LINES} corrupt lines (first at line ${first.line}: ${first.message})`,
    {
      hint: 'This is not a damaged samples.ndjson but another file; point analyze at a sweep output.',
      problems: [{ path: '', message: first.message, file, line: first.line }],
    },
  );
}

/** A sample whose server-reported token counts contradict its stream (item: token-count-implausible). */
export interface ImplausibleTokens {
  concurrency: number | null;
  rate: number | null;
  count: number;
  /** First offending line and why. */
  line: number;
  message: string;
}

/** Why a sample's server token counts cannot be true, or null: negative, or more than 16× the output events seen. */
export function implausibleTokens(s: Sample): string | null {
  const o = s.output_tokens.server,
    i = s.input_tokens.server;
  if (typeof o === 'number' && o < 0) return `negative output token count ${o}`;
  if (typeof i === 'number' && i < 0) return `negative input token count ${i}`;
  for (const t of s.chunk_tokens) if (t < 0) return `negative chunk token count ${t}`;
  const events = s.chunk_ms.length;
  if (typeof o === 'number' && o > TOKENS_PER_EVENT_MAX * Math.max(1, events))
    return `server counted ${o} output tokens in ${events} output event(s) (more than ${TOKENS_PER_EVENT_MAX} a event)`;
  return null;
}

/** Collects implausible-token samples per point (bounded: one entry per point). */
export class ImplausibleCollector {
  private byPoint = new Map<string, ImplausibleTokens>();
  add(s: Sample, line: number): void {
    const why = implausibleTokens(s);
    if (!why) return;
    const k = pointKey(s);
    const e = this.byPoint.get(k);
    if (e) e.count++;
    else this.byPoint.set(k, { concurrency: s.concurrency, rate: s.rate, count: 1, line, message: why });
  }
  merge(list: ImplausibleTokens[]): void {
    for (const x of list) {
      const k = pointKey(x);
      const e = this.byPoint.get(k);
      if (!e) this.byPoint.set(k, { ...x });
      else {
        e.count += x.count;
        if (x.line < e.line) Object.assign(e, { line: x.line, message: x.message });
      }
    }
  }
  list(): ImplausibleTokens[] {
    return [...this.byPoint.values()];
  }
}

export interface CorruptLine {
  line: number;
  message: string;
}

export interface SampleRead {
  points: Point[];
  /** Measured (non-warmup) samples read. */
  samples: number;
  warmup: number;
  corrupt: CorruptLine[];
  /** The last line was cut short (a killed writer); it is dropped, not counted as corruption. */
  tornLastLine: boolean;
  runIds: string[];
  backends: string[];
  interleaved: boolean;
  /** Where pooled point distributions came from. */
  pooled: 'summary' | 'samples';
  /** Points holding samples whose server token counts contradict the stream (token-count-implausible). */
  implausible: ImplausibleTokens[];
}

/** Structural check of one parsed line: enough to derive metrics without throwing. Returns a problem or null. */
export function sampleProblem(x: unknown): string | null {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return 'not a JSON object';
  const s = x as Record<string, unknown>;
  if (s.v !== 1) return `unknown sample version ${JSON.stringify(s.v)}`;
  if (!Number.isFinite(s.sent_ms) || !Number.isFinite(s.intended_send_ms))
    return 'sent_ms/intended_send_ms missing or not finite';
  if (!Array.isArray(s.chunk_ms) || !Array.isArray(s.chunk_tokens) || s.chunk_ms.length !== s.chunk_tokens.length)
    return 'chunk_ms/chunk_tokens missing or of different lengths';
  if (typeof s.ok !== 'boolean' || typeof s.warmup !== 'boolean') return 'ok/warmup missing';
  if (!Number.isInteger(s.trial)) return 'trial missing';
  if (!(s.concurrency === null || Number.isInteger(s.concurrency)) || !(s.rate === null || Number.isFinite(s.rate)))
    return 'concurrency/rate missing';
  if (s.concurrency === null && s.rate === null) return 'neither concurrency nor rate set';
  const o = s.output_tokens as Record<string, unknown> | undefined,
    i = s.input_tokens as Record<string, unknown> | undefined;
  if (typeof o !== 'object' || o === null || typeof i !== 'object' || i === null)
    return 'input_tokens/output_tokens missing';
  // JSON has no Infinity, but JSON.parse reads 1e400 as one: every number must be finite.
  for (const k of s.chunk_ms as unknown[]) if (!Number.isFinite(k)) return 'chunk_ms holds a non-finite number';
  for (const k of s.chunk_tokens as unknown[]) if (!Number.isFinite(k)) return 'chunk_tokens holds a non-finite number';
  const maybeNum = (v: unknown) => v === null || v === undefined || Number.isFinite(v);
  if (
    !maybeNum(o.server) ||
    !maybeNum(o.client) ||
    !maybeNum(o.requested) ||
    !maybeNum(i.server) ||
    !maybeNum(i.client) ||
    !maybeNum(i.requested)
  )
    return 'token counts must be finite numbers or null';
  if (!maybeNum(s.end_ms) || !maybeNum(s.headers_ms) || !maybeNum(s.time_scale))
    return 'end_ms/headers_ms/time_scale must be finite numbers or null';
  if (
    !s.ok &&
    !(
      s.error === null ||
      (typeof s.error === 'object' && typeof (s.error as Record<string, unknown>).category === 'string')
    )
  )
    return 'error must carry a category';
  return null;
}

/** One line as a sample, or why it is not one: not JSON (perhaps a torn last line), or not a valid sample. */
export function parseSampleLine(line: string): { sample: Sample } | { bad: string; json: boolean } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (e) {
    return { bad: `not JSON: ${(e as Error).message.slice(0, 120)}`, json: false };
  }
  const problem = sampleProblem(parsed);
  return problem ? { bad: problem, json: true } : { sample: parsed as Sample };
}

/** The distinct run ids and backends a file's samples name, at most `cap` of each. */
export class SampleOrigins {
  readonly runIds = new Set<string>();
  readonly backends = new Set<string>();
  constructor(private cap = Infinity) {}
  note(s: Sample): void {
    if (typeof s.run_id === 'string' && this.runIds.size < this.cap) this.runIds.add(s.run_id);
    if (typeof s.backend === 'string' && this.backends.size < this.cap) this.backends.add(s.backend);
  }
}

type TrialMetrics = NonNullable<Point['trials']>[number];

const close = (a: number, b: number | undefined) =>
  b !== undefined && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a));

/** A summary point agrees with the re-derived trials when every trial's counts and throughput match. */
function agrees(sp: Point | undefined, trials: TrialMetrics[]): boolean {
  if (!sp?.trials || sp.trials.length !== trials.length) return false;
  const byTrial = new Map(sp.trials.map((t) => [t.trial, t]));
  return trials.every((t) => {
    const s = byTrial.get(t.trial);
    return (
      !!s &&
      s.completed === t.completed &&
      s.failed === t.failed &&
      close(t.output_tokens_per_s, s.output_tokens_per_s) &&
      close(t.duration_s ?? 0, s.duration_s) &&
      close(t.goodput_requests_per_s ?? -1, s.goodput_requests_per_s ?? -1)
    );
  });
}

/**
 * Points from re-derived trials, with pooled distributions from the sweep's summary — only when every trial agrees
 * with it. Null when they do not (the caller must then re-derive whole points).
 */
export function assemble(trials: Map<string, TrialMetrics[]>, summaryPoints: Point[] | undefined): Point[] | null {
  const sps = new Map((summaryPoints ?? []).map((p) => [pointKey(p), p]));
  const points: Point[] = [];
  for (const [k, ts] of trials) {
    const sp = sps.get(k);
    if (!agrees(sp, ts)) return null;
    points.push({ ...sp!, trials: ts });
  }
  return sortPoints(points);
}

export async function readSamples(
  file: string,
  opts: { slo?: SloSpec; summaryPoints?: Point[] } = {},
): Promise<SampleRead> {
  const { trials, ...first } = await pass(file, opts, 'trials');
  if (!first.interleaved) {
    const points = assemble(trials, opts.summaryPoints);
    if (points) return { ...first, points, pooled: 'summary' };
  }
  let all = first.interleaved ? null : await pass(file, opts, 'points');
  if (!all || all.interleaved) all = { ...(await pass(file, opts, 'all')), interleaved: true };
  const { trials: _unused, ...rest } = all;
  return { ...rest, pooled: 'samples' };
}

const sortPoints = (ps: Point[]) =>
  ps.sort((a, b) => (a.concurrency ?? 0) - (b.concurrency ?? 0) || (a.rate ?? 0) - (b.rate ?? 0));

type PassMode = 'trials' | 'points' | 'all';

/**
 * Groups a file's measured samples as they stream past: by trial ('trials': summarized per trial), by point
 * ('points': summarized when the next point starts), or all held until the end ('all': interleaved files).
 */
class Grouper {
  readonly trials = new Map<string, TrialMetrics[]>();
  readonly points: Point[] = [];
  interleaved = false;
  private open = new Map<string, Sample[]>();
  private closed = new Set<string>();
  private current: string | null = null;

  constructor(
    private mode: PassMode,
    private slo: SloSpec | undefined,
  ) {}

  private flushTrial(k: string): void {
    const group = this.open.get(k);
    this.open.delete(k);
    this.closed.add(k);
    if (!group?.length) return;
    const pk = pointKey(group[0]);
    let arr = this.trials.get(pk);
    if (!arr) this.trials.set(pk, (arr = []));
    arr.push({ trial: group[0].trial, ...summarize(group, { slo: this.slo }) });
  }

  /** Adds a measured sample; false when the pass must stop (a closed trial or point seen again, except in 'all'). */
  add(s: Sample): boolean {
    const k = this.mode === 'trials' ? `${pointKey(s)}#${s.trial}` : pointKey(s);
    if (k !== this.current) {
      if (this.closed.has(k)) this.interleaved = true;
      if (this.mode !== 'all' && this.interleaved) return false;
      if (this.mode === 'trials') {
        if (this.current !== null) this.flushTrial(this.current);
      } else if (this.mode === 'points' && this.current !== null) {
        this.points.push(...summarizePoints(this.open.get(this.current) ?? [], { slo: this.slo }));
        this.open.delete(this.current);
        this.closed.add(this.current);
      }
      this.current = k;
    }
    let arr = this.open.get(k);
    if (!arr) this.open.set(k, (arr = []));
    arr.push(s);
    return true;
  }

  /** Summarizes what is still open at the end of the file. */
  finish(): void {
    if (this.mode === 'trials') {
      for (const k of [...this.open.keys()]) this.flushTrial(k);
      for (const arr of this.trials.values()) arr.sort((a, b) => a.trial - b.trial);
    } else if (!this.interleaved) {
      // 'points': the last point; 'all': every point, held because they were interleaved
      this.points.push(...summarizePoints([...this.open.values()].flat(), { slo: this.slo }));
    }
  }
}

async function pass(
  file: string,
  opts: { slo?: SloSpec },
  mode: PassMode,
): Promise<Omit<SampleRead, 'pooled'> & { trials: Map<string, TrialMetrics[]> }> {
  const caps = new PointCaps(file, mode === 'all');
  const implausible = new ImplausibleCollector();
  const grouper = new Grouper(mode, opts.slo);
  const corrupt: CorruptLine[] = [];
  const origins = new SampleOrigins(1000); // bounded: a hostile file may name a new run on every line
  let samples = 0,
    warmup = 0,
    lineNo = 0;
  let pendingBad: CorruptLine | null = null;

  for await (const l of readLines(file)) {
    const line = l.text;
    lineNo = l.no;
    if (pendingBad) corrupt.push(pendingBad);
    pendingBad = null;
    if (corrupt.length > MAX_CORRUPT_LINES) throw tooManyCorrupt(file, corrupt[0]);
    if (!line.trim()) continue;
    const r = parseSampleLine(line);
    if ('bad' in r) {
      // Not JSON may be a torn final line: counted as corrupt only once another line follows.
      if (r.json) corrupt.push({ line: lineNo, message: r.bad });
      else pendingBad = { line: lineNo, message: r.bad };
      continue;
    }
    const s = r.sample;
    origins.note(s);
    if (s.warmup) {
      warmup++;
      continue; // summarize ignores warmup samples: drop them now to save memory
    }
    caps.add(s, lineNo);
    implausible.add(s, lineNo);
    samples++;
    if (s.error) s.error.message = ''; // the bulk of a failed line; metrics need only the category
    if (!grouper.add(s)) break;
  }
  // A bad final line is a torn write (the writer was killed mid-line), not corruption.
  const tornLastLine = pendingBad !== null;
  grouper.finish();
  return {
    points: sortPoints(grouper.points),
    trials: grouper.trials,
    samples,
    warmup,
    corrupt,
    tornLastLine,
    runIds: [...origins.runIds],
    backends: [...origins.backends],
    interleaved: grouper.interleaved,
    implausible: implausible.list(),
  };
}

/** Total sample bytes from which parsing and summarizing are spread over worker threads (2+ cores). */
export const WORKER_MIN_BYTES = Number(process.env.LLMBENCH_ANALYZE_WORKER_MIN_BYTES ?? 64 * 2 ** 20);

/**
 * Reads several sample files: in-process when they are small or there is one core; otherwise every file is cut
 * into trials that worker threads summarize in parallel (parallel.ts). Falls back to in-process if workers
 * cannot start (e.g. from compiled JavaScript without tsx).
 */
export async function readSampleFiles(
  jobs: { file: string; opts: Parameters<typeof readSamples>[1] }[],
): Promise<SampleRead[]> {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const bytes = jobs.reduce((a, j) => a + statSync(j.file).size, 0);
  if (cores >= 2 && bytes >= WORKER_MIN_BYTES && import.meta.url.endsWith('.ts')) {
    try {
      const { readSamplesParallel } = await import('./parallel.js');
      return await readSamplesParallel(
        jobs.map((j) => ({ file: j.file, opts: j.opts ?? {} })),
        Math.min(cores, 4),
      );
    } catch {
      /* fall through to the in-process path */
    }
  }
  const out: SampleRead[] = [];
  for (const j of jobs) out.push(await readSamples(j.file, j.opts));
  return out;
}
