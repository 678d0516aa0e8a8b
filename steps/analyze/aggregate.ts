/**
 * Per backend × load point × trial table as a danfo DataFrame, grouped over trials into the analysis summary
 * rows (median center, mean, CV), with error rate, scaling efficiency and cost per 1M output tokens computed as
 * DataFrame column operations. Distributions (TTFT etc.) pooled over trials come from steps/metrics.
 */
import type * as Dfd from 'danfojs-node';

/** danfo loads TensorFlow.js (~1–2 s): start loading it early, while samples are still being read. */
let danfo: Promise<typeof Dfd> | undefined;
export const loadDanfo = (): Promise<typeof Dfd> => (danfo ??= import('danfojs-node') as Promise<typeof Dfd>);
import type { AnalysisSummary } from '../core/types/analysis-summary.js';
import { pointKey, type Metrics, type Point } from '../metrics/derive.js';
import { mean, median } from '../stats/stats.js';
import { METRICS } from './metrics.js';
import type { LoadedRun } from './load.js';

export type Row = AnalysisSummary['rows'][number];
export type TrialMetrics = Metrics & { trial: number };

/** The trials of a point; a point without per-trial data (some imports) is one trial. */
export function trialsOf(p: Point): TrialMetrics[] {
  return p.trials?.length ? (p.trials as TrialMetrics[]) : [{ ...p, trial: 0 }];
}

/** Metric key → one value per trial (null where the trial did not measure it). */
export function trialValues(p: Point): Record<string, (number | null)[]> {
  const out: Record<string, (number | null)[]> = {};
  const trials = trialsOf(p);
  for (const d of METRICS) out[d.key] = trials.map((t) => d.get(t));
  return out;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

type Keyed = Map<string, { backend: string; p: Point }>;

/** One row per backend × point × trial, keyed by backend and point; the points by the same key. */
function trialTable(runs: LoadedRun[]): { trialRows: Record<string, string | number>[]; points: Keyed } {
  const trialRows: Record<string, string | number>[] = [];
  const points: Keyed = new Map();
  for (const r of runs) {
    for (const p of r.points) {
      const key = `${r.backend}#${pointKey(p)}`;
      points.set(key, { backend: r.backend, p });
      for (const t of trialsOf(p)) {
        trialRows.push({
          key,
          backend: r.backend,
          trial: t.trial,
          concurrency: p.concurrency ?? 0,
          completed: t.completed,
          failed: t.failed,
          output_tokens_per_s: t.output_tokens_per_s,
          requests_per_s: t.requests_per_s,
        });
      }
    }
  }
  return { trialRows, points };
}

/** Grouped over trials (median, mean, std, count; sums), plus error rate and cost as column operations. */
function groupOverTrials(
  dfd: typeof Dfd,
  trialRows: Record<string, string | number>[],
  gpuHourUsd: number,
): Record<string, unknown>[] {
  const df = new dfd.DataFrame(trialRows);
  const g = df.groupby(['key']).agg({
    output_tokens_per_s: ['median', 'mean', 'std', 'count'],
    requests_per_s: ['median'],
    completed: ['sum'],
    failed: ['sum'],
  }) as Dfd.DataFrame;
  // Derived columns as DataFrame operations: error rate, cost per 1M output tokens.
  const total = (g['completed_sum'] as Dfd.Series).add(g['failed_sum'] as Dfd.Series) as Dfd.Series;
  g.addColumn(
    'error_rate',
    (g['failed_sum'] as Dfd.Series).div(total.values.map((v) => (Number(v) > 0 ? Number(v) : 1))) as Dfd.Series,
    { inplace: true },
  );
  const tps = (g['output_tokens_per_s_median'] as Dfd.Series).values.map((v) => Number(v));
  g.addColumn(
    'cost_per_1m',
    tps.map((v) => (v > 0 ? (gpuHourUsd / (v * 3600)) * 1e6 : NaN)),
    { inplace: true },
  );
  return dfd.toJSON(g) as Record<string, unknown>[];
}

/** Metric key → its per-trial values, median center, mean and coefficient of variation. */
function trialStats(p: Point): NonNullable<Row['metrics']> {
  const metrics: NonNullable<Row['metrics']> = {};
  for (const [k, vals] of Object.entries(trialValues(p))) {
    const present = vals.filter((v): v is number => v !== null);
    if (!present.length) continue;
    const m = mean(present);
    const sd =
      present.length > 1 ? Math.sqrt(present.reduce((a, v) => a + (v - m) ** 2, 0) / (present.length - 1)) : null;
    metrics[k] = { values: vals, center: median(present), mean: m, cv: sd !== null && m !== 0 ? sd / m : null };
  }
  return metrics;
}

function summaryRow(t: Record<string, unknown>, backend: string, p: Point, c1: number | undefined): Row {
  const center = num(t.output_tokens_per_s_median);
  return {
    backend,
    concurrency: p.concurrency,
    rate: p.rate,
    trials: trialsOf(p).length,
    completed: Number(t.completed_sum),
    failed: Number(t.failed_sum),
    error_rate: num(t.error_rate) ?? 0,
    output_tokens_per_s: center,
    requests_per_s: num(t.requests_per_s_median),
    goodput_requests_per_s: p.goodput_requests_per_s ?? null,
    ttft_ms: p.ttft_ms,
    itl_ms: p.itl_ms,
    tpot_ms: p.tpot_ms,
    e2e_ms: p.e2e_ms,
    scaling_efficiency:
      c1 && center !== null && p.concurrency && p.rate === null ? center / (p.concurrency * c1) : null,
    cost_per_1m_output_tokens_usd: num(t.cost_per_1m),
    metrics: trialStats(p),
  };
}

export async function aggregate(runs: LoadedRun[], opts: { gpuHourUsd: number }): Promise<Row[]> {
  const dfd = await loadDanfo();
  const { trialRows, points } = trialTable(runs);
  if (!trialRows.length) return [];
  const table = groupOverTrials(dfd, trialRows, opts.gpuHourUsd);

  // Scaling efficiency needs each backend's c = 1 throughput.
  const single = new Map<string, number>();
  for (const t of table) {
    const pt = points.get(String(t.key))!;
    if (pt.p.concurrency === 1 && pt.p.rate === null) single.set(pt.backend, Number(t.output_tokens_per_s_median));
  }
  const rows = table.map((t) => {
    const { backend, p } = points.get(String(t.key))!;
    return summaryRow(t, backend, p, single.get(backend));
  });
  return rows.sort(
    (a, b) =>
      a.backend.localeCompare(b.backend) ||
      (a.concurrency ?? 0) - (b.concurrency ?? 0) ||
      (a.rate ?? 0) - (b.rate ?? 0),
  );
}
