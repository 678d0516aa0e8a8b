/**
 * The one module that turns raw samples into metrics (README.md "Metric definitions", vLLM's definitions).
 * Nothing else in the code base computes TTFT, ITL, TPOT, E2E or throughput.
 */
import type { Sample } from '../core/types/sample.js';
import type { Stats } from '../core/types/stats.js';
import type { Metrics, SweepSummary } from '../core/types/sweep-summary.js';

export type { Sample, Stats, Metrics };
export type Point = SweepSummary['points'][number];
/** Why a point is not valid: a code from steps/core/findings.ts and the numbers behind it (analyze reads the code). */
export type InvalidReason = Exclude<NonNullable<Point['invalid_reasons']>[number], string>;

/** Percentile with linear interpolation between closest ranks (numpy's default). `sorted` ascending. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (q / 100) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  if (lo === hi) return sorted[lo];
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function stats(values: ArrayLike<number>): Stats {
  const n = values.length;
  if (n === 0)
    return { n: 0, mean: null, stddev: null, min: null, max: null, p50: null, p90: null, p95: null, p99: null };
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (sorted[i] - mean) ** 2;
  return {
    n,
    mean,
    stddev: n > 1 ? Math.sqrt(ss / (n - 1)) : null,
    min: sorted[0],
    max: sorted[n - 1],
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
  };
}

/** Output tokens of a request: the server's count when it gave one, else the client tokenizer's, else the chunks'. */
export function outputTokens(s: Sample): number {
  if (s.output_tokens.server != null) return s.output_tokens.server;
  if (s.output_tokens.client != null) return s.output_tokens.client;
  let t = 0;
  for (const k of s.chunk_tokens) t += k;
  return t;
}

export function inputTokens(s: Sample): number {
  return s.input_tokens.server ?? s.input_tokens.client ?? s.input_tokens.requested ?? 0;
}

export interface RequestMetrics {
  ttft_ms: number | null;
  e2e_ms: number | null;
  /** (E2E − TTFT)/(N − 1), only for N ≥ 2. */
  tpot_ms: number | null;
  /** One gap per pair of successive output events (chunks carrying a generated token). */
  itl_ms: number[];
  /** A chunk of k tokens contributes k gaps of gap/k. */
  itl_token_ms: number[];
  queue_ms: number;
  ttft_from_intended_ms: number | null;
  e2e_from_intended_ms: number | null;
  output_tokens: number;
}

/** Simulated seconds per real second of the sample's target (design: time-scaled simulator runs). */
export const timeScale = (s: Sample): number => s.time_scale ?? 1;

/**
 * Per-request metrics. Timestamps are stored as measured; every interval is multiplied by the sample's
 * time_scale so a simulator run N× faster reports simulated time (honest: the summary states the factor).
 */
export function requestMetrics(s: Sample): RequestMetrics {
  const n = outputTokens(s);
  const k = timeScale(s);
  const chunks = s.chunk_ms;
  const first = chunks.length ? chunks[0] : null;
  const last = chunks.length ? chunks[chunks.length - 1] : null;
  const ttft = first === null ? null : (first - s.sent_ms) * k;
  const e2e = last === null ? null : (last - s.sent_ms) * k;
  const itl: number[] = [];
  const itlTok: number[] = [];
  for (let i = 1; i < chunks.length; i++) {
    const gap = (chunks[i] - chunks[i - 1]) * k;
    itl.push(gap);
    const toks = Math.max(1, s.chunk_tokens[i] ?? 1);
    for (let j = 0; j < toks; j++) itlTok.push(gap / toks);
  }
  return {
    ttft_ms: ttft,
    e2e_ms: e2e,
    tpot_ms: ttft !== null && e2e !== null && n >= 2 ? (e2e - ttft) / (n - 1) : null,
    itl_ms: itl,
    itl_token_ms: itlTok,
    queue_ms: (s.sent_ms - s.intended_send_ms) * k,
    ttft_from_intended_ms: first === null ? null : (first - s.intended_send_ms) * k,
    e2e_from_intended_ms: last === null ? null : (last - s.intended_send_ms) * k,
    output_tokens: n,
  };
}

export interface SloSpec {
  ttft_ms?: number;
  tpot_ms?: number;
  itl_ms?: number;
  e2e_ms?: number;
}

export function meetsSlo(m: RequestMetrics, slo: SloSpec): boolean {
  if (slo.ttft_ms !== undefined && (m.ttft_ms === null || m.ttft_ms > slo.ttft_ms)) return false;
  if (slo.e2e_ms !== undefined && (m.e2e_ms === null || m.e2e_ms > slo.e2e_ms)) return false;
  if (slo.tpot_ms !== undefined && m.tpot_ms !== null && m.tpot_ms > slo.tpot_ms) return false;
  if (slo.itl_ms !== undefined && m.itl_ms.some((g) => g > slo.itl_ms!)) return false;
  return true;
}

export interface SummarizeOptions {
  slo?: SloSpec;
}

/**
 * Metrics of a set of samples (warmup samples are ignored). Latency statistics use successful requests only;
 * counts and the error rate use all. Throughput = Σ output tokens of successful requests / measurement window.
 */
export function summarize(all: Sample[], opts: SummarizeOptions = {}): Metrics {
  const samples = all.filter((s) => !s.warmup);
  const ok = samples.filter((s) => s.ok);
  const failed = samples.length - ok.length;
  const errorsByCategory: Record<string, number> = {};
  for (const s of samples)
    if (!s.ok && s.error) errorsByCategory[s.error.category] = (errorsByCategory[s.error.category] ?? 0) + 1;

  const durationS = measurementWindowS(samples);
  const lat = emptySeries();
  const tally = emptyTally();
  let good = 0;
  for (const s of ok) {
    const m = requestMetrics(s);
    addLatencies(lat, m);
    addTokens(tally, s, m);
    if (opts.slo && meetsSlo(m, opts.slo)) good++;
  }
  const { outTotal, inTotal, serverCounted, clientCounted, mismatched, shortfall, inMismatched } = tally;
  const { ttft, e2e, tpot, itl, itlTok, queue, ttftI, e2eI } = lat;
  const per = (x: number) => (durationS > 0 ? x / durationS : 0);
  const hasSlo = !!opts.slo && Object.keys(opts.slo).length > 0;
  return {
    completed: ok.length,
    failed,
    error_rate: samples.length ? failed / samples.length : 0,
    errors_by_category: errorsByCategory,
    duration_s: durationS,
    input_tokens_total: inTotal,
    output_tokens_total: outTotal,
    output_tokens_per_s: per(outTotal),
    total_tokens_per_s: per(inTotal + outTotal),
    requests_per_s: per(ok.length),
    goodput_requests_per_s: hasSlo ? per(good) : null,
    ttft_ms: stats(ttft),
    itl_ms: stats(itl),
    itl_token_ms: stats(itlTok),
    tpot_ms: stats(tpot),
    e2e_ms: stats(e2e),
    queue_ms: stats(queue),
    ttft_from_intended_ms: stats(ttftI),
    e2e_from_intended_ms: stats(e2eI),
    time_scale: samples.length ? timeScale(samples[0]) : 1,
    tokens: {
      server_counted: serverCounted,
      client_counted: clientCounted,
      mismatched,
      shortfall,
      input_mismatched: inMismatched,
      mean_output_tokens: ok.length ? outTotal / ok.length : null,
    },
  };
}

/** Per-request latency values of the successful requests, pooled per metric. */
interface LatencySeries {
  ttft: number[];
  e2e: number[];
  tpot: number[];
  itl: number[];
  itlTok: number[];
  queue: number[];
  ttftI: number[];
  e2eI: number[];
}

const emptySeries = (): LatencySeries => ({
  ttft: [],
  e2e: [],
  tpot: [],
  itl: [],
  itlTok: [],
  queue: [],
  ttftI: [],
  e2eI: [],
});

function addLatencies(x: LatencySeries, m: RequestMetrics): void {
  if (m.ttft_ms !== null) x.ttft.push(m.ttft_ms);
  if (m.e2e_ms !== null) x.e2e.push(m.e2e_ms);
  if (m.tpot_ms !== null) x.tpot.push(m.tpot_ms);
  for (const g of m.itl_ms) x.itl.push(g);
  for (const g of m.itl_token_ms) x.itlTok.push(g);
  x.queue.push(m.queue_ms);
  if (m.ttft_from_intended_ms !== null) x.ttftI.push(m.ttft_from_intended_ms);
  if (m.e2e_from_intended_ms !== null) x.e2eI.push(m.e2e_from_intended_ms);
}

/** Token totals and the token-count checks (who counted, do the counts agree, did the server stop short). */
interface TokenTally {
  outTotal: number;
  inTotal: number;
  serverCounted: number;
  clientCounted: number;
  mismatched: number;
  shortfall: number;
  inMismatched: number;
}

const emptyTally = (): TokenTally => ({
  outTotal: 0,
  inTotal: 0,
  serverCounted: 0,
  clientCounted: 0,
  mismatched: 0,
  shortfall: 0,
  inMismatched: 0,
});

function addTokens(t: TokenTally, s: Sample, m: RequestMetrics): void {
  t.outTotal += m.output_tokens;
  t.inTotal += inputTokens(s);
  if (s.output_tokens.server != null) t.serverCounted++;
  if (s.output_tokens.client != null) t.clientCounted++;
  if (
    s.output_tokens.server != null &&
    s.output_tokens.client != null &&
    Math.abs(s.output_tokens.server - s.output_tokens.client) > 1
  )
    t.mismatched++;
  if (s.output_tokens.requested != null && m.output_tokens < s.output_tokens.requested) t.shortfall++;
  // Prompt length truth: the server's count vs ours (±1 for BOS); chat templates add tokens, so skip chat.
  const it = s.input_tokens;
  if (
    s.api !== 'chat' &&
    s.api !== 'openai' &&
    it.server != null &&
    it.client != null &&
    Math.abs(it.server - it.client) > 1
  )
    t.inMismatched++;
}

/**
 * Measurement window, seconds (simulated time): first measured send to last measured end. A resumed sweep
 * continues a trial in a new process (new run_id); each process's stretch counts once, so the time the sweep
 * lay dead between kill and resume is not in the window.
 */
export function measurementWindowS(samples: Sample[]): number {
  const segs = new Map<string, { start: number; end: number; k: number }>();
  for (const s of samples) {
    const end = Math.max(s.end_ms ?? s.sent_ms, s.chunk_ms.length ? s.chunk_ms[s.chunk_ms.length - 1] : -Infinity);
    const g = segs.get(s.run_id);
    if (!g) segs.set(s.run_id, { start: s.sent_ms, end, k: timeScale(s) });
    else {
      g.start = Math.min(g.start, s.sent_ms);
      g.end = Math.max(g.end, end);
    }
  }
  let ms = 0;
  for (const g of segs.values()) if (g.end > g.start) ms += (g.end - g.start) * g.k;
  return ms / 1000;
}

export const pointKey = (s: { concurrency: number | null; rate: number | null }) =>
  `${s.concurrency ?? ''}|${s.rate ?? ''}`;

/**
 * Groups samples by load point (and trial) and summarizes each. Throughput of a point pooled over trials is the
 * sum of tokens over the sum of trial windows (trials run one after another, so windows do not overlap).
 */
export function summarizePoints(samples: Sample[], opts: SummarizeOptions & { minSamples?: number } = {}): Point[] {
  const byPoint = new Map<string, Sample[]>();
  for (const s of samples) {
    const k = pointKey(s);
    let arr = byPoint.get(k);
    if (!arr) byPoint.set(k, (arr = []));
    arr.push(s);
  }
  const points: Point[] = [];
  for (const group of byPoint.values()) {
    const byTrial = new Map<number, Sample[]>();
    for (const s of group) {
      let arr = byTrial.get(s.trial);
      if (!arr) byTrial.set(s.trial, (arr = []));
      arr.push(s);
    }
    const trials = [...byTrial.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([trial, ss]) => ({ trial, ...summarize(ss, opts) }));
    const pooled = summarize(group, opts);
    const window = trials.reduce((a, t) => a + (t.duration_s ?? 0), 0);
    if (window > 0) {
      pooled.duration_s = window;
      pooled.output_tokens_per_s = pooled.output_tokens_total / window;
      pooled.total_tokens_per_s = ((pooled.input_tokens_total ?? 0) + pooled.output_tokens_total) / window;
      pooled.requests_per_s = pooled.completed / window;
      if (pooled.goodput_requests_per_s != null) {
        pooled.goodput_requests_per_s =
          trials.reduce((a, t) => a + (t.goodput_requests_per_s ?? 0) * (t.duration_s ?? 0), 0) / window;
      }
    }
    const reasons: InvalidReason[] = [];
    if (opts.minSamples && pooled.completed < opts.minSamples)
      reasons.push({
        code: 'too-few-samples',
        message: `only ${pooled.completed} successful requests (minimum ${opts.minSamples} for p99)`,
        value: pooled.completed,
        limit: opts.minSamples,
      });
    points.push({
      concurrency: group[0].concurrency,
      rate: group[0].rate,
      ...pooled,
      valid: reasons.length === 0,
      invalid_reasons: reasons,
      trials,
    });
  }
  return points.sort((a, b) => (a.concurrency ?? 0) - (b.concurrency ?? 0) || (a.rate ?? 0) - (b.rate ?? 0));
}
