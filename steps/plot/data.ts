/**
 * Gathers the tidy tables the charts draw from: per-point rows (analysis summary, or sweep summaries when
 * analyze did not run), per-trial throughput, latency distributions from samples.ndjson (per-request values come
 * only from steps/metrics/derive.ts), baseline-vs-candidate comparisons and scraped server series.
 */
import { readLines } from '../core/lines.js';
import { InvalidInputError } from '../core/errors.js';
import { PointCaps } from '../analyze/samples.js';
import type { Sample } from '../core/types/sample.js';
import type { Verdict } from '../core/types/verdict.js';
import { percentile, requestMetrics } from '../metrics/derive.js';
import { workdirLayout } from '../core/paths.js';
import type { Logger } from '../core/log.js';
import type { ReportData } from '../report/model.js';

export type LoadMode = 'concurrency' | 'rate';

export interface PointRow {
  backend: string;
  /** x value: concurrency or request rate. */
  load: number;
  output_tokens_per_s: number | null;
  requests_per_s: number | null;
  error_rate: number | null;
  scaling_efficiency: number | null;
  /** Long form for the latency chart: one entry per metric × percentile. */
  latency: { metric: 'TTFT' | 'ITL' | 'E2E'; percentile: 'p50' | 'p90' | 'p99'; ms: number }[];
}

export interface PlotData {
  mode: LoadMode;
  points: PointRow[];
  trialThroughput: { backend: string; load: number; trial: number; output_tokens_per_s: number }[];
  /** Empirical CDFs: `q` in [0, 1] and the value at that quantile, per backend × load. */
  distributions: { metric: 'TTFT' | 'ITL'; backend: string; load: number; q: number; ms: number }[];
  comparisons: Verdict['comparisons'];
  serverSeries: { backend: string; t_s: number; series: string; value: number }[];
}

/** Quantile grid for the distribution charts: 101 points per series keeps report.html small for any run size. */
const Q_GRID = Array.from({ length: 101 }, (_, i) => i / 100);

const loadOf = (mode: LoadMode, p: { concurrency?: number | null; rate?: number | null }): number | null =>
  mode === 'concurrency' ? (p.concurrency ?? null) : (p.rate ?? null);

function latencyRows(p: { ttft_ms?: StatsLike; itl_ms?: StatsLike; e2e_ms?: StatsLike }): PointRow['latency'] {
  const out: PointRow['latency'] = [];
  for (const [metric, s] of [
    ['TTFT', p.ttft_ms],
    ['ITL', p.itl_ms],
    ['E2E', p.e2e_ms],
  ] as const) {
    for (const q of ['p50', 'p90', 'p99'] as const) {
      const v = s?.[q];
      if (typeof v === 'number' && Number.isFinite(v)) out.push({ metric, percentile: q, ms: v });
    }
  }
  return out;
}
interface StatsLike {
  p50?: number | null;
  p90?: number | null;
  p99?: number | null;
}

/** Yields the lines of a file that may be missing (nothing then), each bounded (steps/core/lines.ts). */
async function* linesIfPresent(file: string): AsyncGenerator<{ no: number; text: string }> {
  try {
    yield* readLines(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/**
 * Reads samples.ndjson line by line, each line bounded; a torn or corrupt line is skipped (analyze reports
 * corrupt-samples), a line over the size bound or a point over the caps of steps/analyze/samples.ts is exit 2.
 */
export async function* readSamples(file: string): AsyncGenerator<Sample> {
  const caps = new PointCaps(file);
  for await (const { no, text } of linesIfPresent(file)) {
    if (!text.trim()) continue;
    let s: Sample;
    try {
      s = JSON.parse(text) as Sample;
    } catch {
      continue;
    }
    if (typeof s !== 'object' || s === null || !Array.isArray(s.chunk_ms)) continue;
    if (!s.warmup) caps.add(s, no);
    yield s;
  }
}

/** server-metrics.ndjson rows kept per backend: a scrape every second for a day is 86,400. */
export const MAX_SERVER_ROWS = 200_000;

/**
 * Parses runs/<backend>/server-metrics.ndjson tolerantly: a timestamp (ts_ms, t_ms, time_ms, ts, at) plus
 * numeric values either under `values`/`metrics`/`series` or at the top level. Only queue and KV-cache
 * series are kept (running, waiting, kv_cache_usage and similar names).
 */
export async function readServerSeries(file: string, backend: string): Promise<PlotData['serverSeries']> {
  const rows: { t: number; values: Record<string, number> }[] = [];
  for await (const { no, text: line } of linesIfPresent(file)) {
    if (!line.trim()) continue;
    if (rows.length >= MAX_SERVER_ROWS)
      throw new InvalidInputError(
        'server-metrics-cap',
        `${file}: line ${no} exceeds the cap of ${MAX_SERVER_ROWS} rows`,
        {
          problems: [{ path: '', message: `more than ${MAX_SERVER_ROWS} rows`, file, line: no }],
        },
      );
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line);
    } catch {
      continue;
    }
    const rawT = o.ts_ms ?? o.t_ms ?? o.time_ms ?? o.ts ?? o.at ?? o.time;
    const t = typeof rawT === 'number' ? rawT : typeof rawT === 'string' ? Date.parse(rawT) : NaN;
    if (!Number.isFinite(t)) continue;
    const src = (o.values ?? o.metrics ?? o.series ?? o) as Record<string, unknown>;
    const values: Record<string, number> = {};
    for (const [k, v] of Object.entries(src)) {
      if (typeof v === 'number' && Number.isFinite(v) && /kv|cache|waiting|running|queue|swapped|pending/i.test(k))
        values[k] = v;
    }
    if (Object.keys(values).length) rows.push({ t, values });
  }
  if (!rows.length) return [];
  const t0 = rows.reduce((a, r) => Math.min(a, r.t), Infinity); // spread of 200k args overflows the stack
  return rows.flatMap((r) =>
    Object.entries(r.values).map(([series, value]) => ({ backend, t_s: (r.t - t0) / 1000, series, value })),
  );
}

/** A growable Float64Array: pooled ITL gaps run to millions per point, plain arrays would double the memory. */
class F64 {
  private a = new Float64Array(1024);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  /** Sorted view (sorts in place; no copy). */
  sorted(): Float64Array {
    return this.a.subarray(0, this.n).sort();
  }
}

type AnalysisRow = NonNullable<ReportData['analysis']>['rows'][number];
type Sweep = ReportData['sweeps'][number];

/** The items measured on this chart's load axis, each with its load (items on the other axis are left out). */
function onAxis<T extends { concurrency?: number | null; rate?: number | null }>(
  mode: LoadMode,
  items: readonly T[],
): [T, number][] {
  const out: [T, number][] = [];
  for (const item of items) {
    const load = loadOf(mode, item);
    if (load !== null) out.push([item, load]);
  }
  return out;
}

type Derived = Pick<PointRow, 'requests_per_s' | 'error_rate' | 'scaling_efficiency'>;
type PointSource = Parameters<typeof latencyRows>[0] & { output_tokens_per_s: number | null };

function pointRow(backend: string, load: number, p: PointSource, derived: Derived): PointRow {
  return { backend, load, output_tokens_per_s: p.output_tokens_per_s, ...derived, latency: latencyRows(p) };
}

function analysisPoints(mode: LoadMode, rows: AnalysisRow[]): PointRow[] {
  return onAxis(mode, rows).map(([r, load]) =>
    pointRow(r.backend, load, r, {
      requests_per_s: r.requests_per_s ?? null,
      error_rate: r.error_rate ?? (r.completed + r.failed ? r.failed / (r.completed + r.failed) : null),
      scaling_efficiency: r.scaling_efficiency ?? null,
    }),
  );
}

function analysisTrials(mode: LoadMode, rows: AnalysisRow[]): PlotData['trialThroughput'] {
  const out: PlotData['trialThroughput'] = [];
  for (const [r, load] of onAxis(mode, rows))
    r.metrics?.output_tokens_per_s?.values.forEach((v, trial) => {
      if (v !== null) out.push({ backend: r.backend, load, trial, output_tokens_per_s: v });
    });
  return out;
}

/** Point rows from the sweep summaries, for when analyze did not run. */
function sweepPoints(mode: LoadMode, sweeps: Sweep[]): PointRow[] {
  return sweeps.flatMap((s) => {
    const base = s.points.find((p) => p.concurrency === 1)?.output_tokens_per_s;
    return onAxis(mode, s.points).map(([p, load]) =>
      pointRow(s.backend, load, p, {
        requests_per_s: p.requests_per_s,
        error_rate: p.error_rate ?? null,
        // Same definition as analysis-summary.schema.json: throughput(c) / (c × throughput(1)).
        scaling_efficiency:
          mode === 'concurrency' && base && p.concurrency ? p.output_tokens_per_s / (p.concurrency * base) : null,
      }),
    );
  });
}

function sweepTrials(mode: LoadMode, sweeps: Sweep[]): PlotData['trialThroughput'] {
  return sweeps.flatMap((s) =>
    onAxis(mode, s.points).flatMap(([p, load]) =>
      (p.trials ?? []).map((t) => ({
        backend: s.backend,
        load,
        trial: t.trial,
        output_tokens_per_s: t.output_tokens_per_s,
      })),
    ),
  );
}

/** Empirical CDFs of TTFT and ITL per load level from one backend's successful, non-warm-up samples. */
async function sampleDistributions(
  file: string,
  backend: string,
  mode: LoadMode,
  log: Logger,
): Promise<PlotData['distributions']> {
  const distributions: PlotData['distributions'] = [];
  const ttft = new Map<number, F64>();
  const itl = new Map<number, F64>();
  const buf = (m: Map<number, F64>, k: number) => m.get(k) ?? m.set(k, new F64()).get(k)!;
  let n = 0;
  for await (const s of readSamples(file)) {
    if (s.warmup || !s.ok) continue;
    const load = loadOf(mode, s);
    if (load === null) continue;
    const m = requestMetrics(s);
    n++;
    if (m.ttft_ms !== null) buf(ttft, load).push(m.ttft_ms);
    const arr = buf(itl, load);
    for (const g of m.itl_ms) arr.push(g);
  }
  for (const [metric, byLoad] of [
    ['TTFT', ttft],
    ['ITL', itl],
  ] as const) {
    for (const [load, values] of [...byLoad.entries()].sort((a, b) => a[0] - b[0])) {
      if (!values.n) continue;
      const sorted = values.sorted();
      for (const q of Q_GRID) distributions.push({ metric, backend, load, q, ms: percentile(sorted, q * 100) });
    }
  }
  if (n) log.debug('plot: read samples', { backend, samples: n });
  return distributions;
}

export async function collectPlotData(workdir: string, data: ReportData, log: Logger): Promise<PlotData> {
  const L = workdirLayout(workdir);
  const hasConcurrency = (data.analysis?.rows ?? data.sweeps.flatMap((s) => s.points)).some(
    (p) => p.concurrency != null,
  );
  const mode: LoadMode = hasConcurrency ? 'concurrency' : 'rate';

  const analysisRows = data.analysis?.rows.length ? data.analysis.rows : null;
  const points = analysisRows ? analysisPoints(mode, analysisRows) : sweepPoints(mode, data.sweeps);
  let trialThroughput = analysisRows ? analysisTrials(mode, analysisRows) : [];
  // Per-trial points come from the sweep summaries when analysis did not carry them.
  if (!trialThroughput.length) trialThroughput = sweepTrials(mode, data.sweeps);

  const distributions: PlotData['distributions'] = [];
  const serverSeries: PlotData['serverSeries'] = [];
  const backends = [...new Set([...data.sweeps.map((s) => s.backend), ...points.map((p) => p.backend)])].sort();
  for (const backend of backends) {
    distributions.push(...(await sampleDistributions(L.samples(backend), backend, mode, log)));
    serverSeries.push(...(await readServerSeries(L.serverMetrics(backend), backend)));
  }

  return { mode, points, trialThroughput, distributions, comparisons: data.verdict?.comparisons ?? [], serverSeries };
}
