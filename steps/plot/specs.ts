/**
 * One Vega-Lite spec per chart, built purely from PlotData (data inlined as values so each .vl.json stands
 * alone and report.html needs no fetches). Charts with nothing to show are omitted, not drawn empty.
 */
import type { PlotData } from './data.js';

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
export const FONT = 'DejaVu Sans';

export interface ChartSpec {
  /** File stem under plots/. */
  name: string;
  title: string;
  spec: Record<string, unknown>;
}

/** The headline chart (also the one embedded at the top of the PR comment). */
export const HEADLINE_CHART = 'throughput';

const CONFIG = {
  font: FONT,
  background: 'white',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 14, anchor: 'start' },
};

function base(title: string, subtitle: string, data: unknown[]): Record<string, unknown> {
  return { $schema: VEGA_LITE_SCHEMA, title: { text: title, subtitle }, config: CONFIG, data: { values: data } };
}

const loadTitle = (d: PlotData) =>
  d.mode === 'concurrency' ? 'concurrency (in-flight requests)' : 'request rate (req/s)';
const loadScale = (d: PlotData) =>
  d.mode === 'concurrency' ? { type: 'log', base: 2 } : { type: 'linear', zero: true };
const backendColor = { field: 'backend', type: 'nominal', title: 'backend', scale: { scheme: 'tableau10' } };

type Axis = Record<string, unknown>;

/** The load axis shared by the line charts: one tick per measured load level. */
function loadAxis(d: PlotData): Axis {
  return {
    field: 'load',
    type: 'quantitative',
    title: loadTitle(d),
    scale: loadScale(d),
    axis: { values: [...new Set(d.points.map((p) => p.load))].sort((a, b) => a - b) },
  };
}

const throughputPoints = (d: PlotData) => d.points.filter((p) => p.output_tokens_per_s !== null);

/** Charts with nothing to show are left out, so each builder returns null (or no chart) for empty data. */
export function buildSpecs(d: PlotData): ChartSpec[] {
  const x = loadAxis(d);
  return [
    throughputChart(d, x),
    latencyChart(d, x),
    ...distributionCharts(d),
    heatmapChart(d),
    scalingChart(d, x),
    deltasChart(d),
    serverTimelineChart(d),
  ].filter((c): c is ChartSpec => c !== null);
}

function throughputChart(d: PlotData, x: Axis): ChartSpec | null {
  const thr = throughputPoints(d);
  if (!thr.length) return null;
  return {
    name: HEADLINE_CHART,
    title: `Output throughput vs ${d.mode}`,
    spec: {
      ...base(
        `Output throughput vs ${d.mode}`,
        'tokens/s of successful requests (median over trials; dots: single trials)',
        [],
      ),
      width: 520,
      height: 320,
      layer: [
        {
          data: {
            values: thr.map((p) => ({
              backend: p.backend,
              load: p.load,
              output_tokens_per_s: p.output_tokens_per_s,
            })),
          },
          mark: { type: 'line', point: { size: 60 } },
          encoding: {
            x,
            y: { field: 'output_tokens_per_s', type: 'quantitative', title: 'output tokens/s' },
            color: backendColor,
            tooltip: [
              { field: 'backend' },
              { field: 'load', title: d.mode },
              { field: 'output_tokens_per_s', title: 'tokens/s', format: '.1f' },
            ],
          },
        },
        {
          data: { values: d.trialThroughput },
          mark: { type: 'point', opacity: 0.45, size: 25, filled: true },
          encoding: {
            x,
            y: { field: 'output_tokens_per_s', type: 'quantitative' },
            color: backendColor,
            tooltip: [
              { field: 'backend' },
              { field: 'load', title: d.mode },
              { field: 'trial' },
              { field: 'output_tokens_per_s', format: '.1f' },
            ],
          },
        },
      ],
    },
  };
}

function latencyChart(d: PlotData, x: Axis): ChartSpec | null {
  const lat = d.points.flatMap((p) => p.latency.map((l) => ({ backend: p.backend, load: p.load, ...l })));
  if (!lat.length) return null;
  return {
    name: 'latency',
    title: 'Latency percentiles per load point (TTFT, ITL, E2E)',
    spec: {
      ...base('Latency percentiles per load point', 'solid p50 · dashed p90 · dotted p99; pooled over trials', lat),
      facet: { column: { field: 'metric', type: 'nominal', title: null, sort: ['TTFT', 'ITL', 'E2E'] } },
      resolve: { scale: { y: 'independent' } },
      spec: {
        width: 230,
        height: 240,
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'ms', type: 'quantitative', title: 'ms', scale: { type: 'log' } },
          color: backendColor,
          strokeDash: {
            field: 'percentile',
            type: 'nominal',
            title: 'percentile',
            sort: ['p50', 'p90', 'p99'],
            // With only symbolStrokeColor, Vega-Lite drew these symbols with a black fill and no stroke (a line
            // shows no fill): give them a transparent fill, a stroke width and a length a dash pattern can be read at.
            legend: {
              symbolType: 'stroke',
              symbolSize: 400,
              symbolStrokeWidth: 2,
              symbolStrokeColor: '#333',
              symbolFillColor: 'transparent',
            },
            scale: {
              domain: ['p50', 'p90', 'p99'],
              range: [
                [1, 0],
                [6, 3],
                [2, 2],
              ],
            },
          },
          detail: { field: 'percentile' },
          tooltip: [
            { field: 'backend' },
            { field: 'metric' },
            { field: 'percentile' },
            { field: 'load', title: d.mode },
            { field: 'ms', format: '.1f' },
          ],
        },
      },
    },
  };
}

/** One empirical-CDF chart per metric, faceted by load level. */
function distributionCharts(d: PlotData): ChartSpec[] {
  const out: ChartSpec[] = [];
  for (const metric of ['TTFT', 'ITL'] as const) {
    const rows = d.distributions.filter((r) => r.metric === metric);
    if (!rows.length) continue;
    out.push({
      name: `${metric.toLowerCase()}-distribution`,
      title: `${metric} distribution (empirical CDF per load point)`,
      spec: {
        ...base(
          `${metric} distribution`,
          `empirical CDF per ${d.mode} level, successful requests${metric === 'ITL' ? ', one gap per chunk' : ''}`,
          rows,
        ),
        facet: { column: { field: 'load', type: 'ordinal', title: loadTitle(d) } },
        spec: {
          width: 170,
          height: 200,
          mark: { type: 'line', interpolate: 'step-after' },
          encoding: {
            x: { field: 'ms', type: 'quantitative', title: `${metric} ms`, scale: { type: 'log' } },
            y: { field: 'q', type: 'quantitative', title: 'fraction of requests ≤ x', axis: { format: '%' } },
            color: backendColor,
            tooltip: [
              { field: 'backend' },
              { field: 'load', title: d.mode },
              { field: 'q', title: 'quantile', format: '.2f' },
              { field: 'ms', format: '.1f' },
            ],
          },
        },
      },
    });
  }
  return out;
}

function heatmapChart(d: PlotData): ChartSpec | null {
  const thr = throughputPoints(d);
  if (!thr.length) return null;
  return {
    name: 'heatmap',
    title: `Backend × ${d.mode} heatmap (output tokens/s)`,
    spec: {
      ...base(
        `Backend × ${d.mode}: output tokens/s`,
        'darker is faster; cell text is tokens/s',
        thr.map((p) => ({
          backend: p.backend,
          load: p.load,
          output_tokens_per_s: p.output_tokens_per_s,
          error_rate: p.error_rate,
        })),
      ),
      width: { step: 70 },
      height: { step: 40 },
      encoding: {
        x: {
          field: 'load',
          type: 'ordinal',
          title: loadTitle(d),
          sort: 'ascending',
          axis: { labelAngle: 0, grid: false },
        },
        y: { field: 'backend', type: 'nominal', title: 'backend', axis: { grid: false } },
      },
      layer: [
        {
          mark: 'rect',
          encoding: {
            color: {
              field: 'output_tokens_per_s',
              type: 'quantitative',
              title: 'tokens/s',
              scale: { scheme: 'blues' },
            },
            tooltip: [
              { field: 'backend' },
              { field: 'load', title: d.mode },
              { field: 'output_tokens_per_s', format: '.1f' },
              { field: 'error_rate', format: '.1%' },
            ],
          },
        },
        {
          mark: { type: 'text', fontSize: 11 },
          encoding: {
            text: { field: 'output_tokens_per_s', type: 'quantitative', format: '.0f' },
            // White text on the darkest cells keeps labels readable.
            color: {
              condition: {
                test: `datum.output_tokens_per_s > ${Math.max(...thr.map((p) => p.output_tokens_per_s ?? 0)) * 0.6}`,
                value: 'white',
              },
              value: 'black',
            },
          },
        },
      ],
    },
  };
}

function scalingChart(d: PlotData, x: Axis): ChartSpec | null {
  const eff = d.points.filter((p) => p.scaling_efficiency !== null);
  if (!eff.length) return null;
  return {
    name: 'scaling-efficiency',
    title: 'Scaling efficiency',
    spec: {
      ...base('Scaling efficiency', 'throughput(c) / (c × throughput(1)); 1.0 = perfectly linear', []),
      width: 520,
      height: 280,
      layer: [
        {
          data: {
            values: eff.map((p) => ({ backend: p.backend, load: p.load, scaling_efficiency: p.scaling_efficiency })),
          },
          mark: { type: 'line', point: true },
          encoding: {
            x,
            y: {
              field: 'scaling_efficiency',
              type: 'quantitative',
              title: 'efficiency',
              axis: { format: '%' },
              scale: { domainMin: 0 },
            },
            color: backendColor,
            tooltip: [
              { field: 'backend' },
              { field: 'load', title: d.mode },
              { field: 'scaling_efficiency', format: '.1%' },
            ],
          },
        },
        {
          data: { values: [{ y: 1 }] },
          mark: { type: 'rule', strokeDash: [4, 4], color: '#888' },
          encoding: { y: { field: 'y', type: 'quantitative' } },
        },
      ],
    },
  };
}

/** Baseline vs candidate: one row per compared point and metric. */
function deltasChart(d: PlotData): ChartSpec | null {
  const cmp = d.comparisons
    .filter((c) => c.delta_pct !== null && c.delta_pct !== undefined)
    .map((c) => ({
      row: `${c.backend} ${c.concurrency != null ? `c=${c.concurrency}` : c.rate != null ? `${c.rate} req/s` : ''} ${c.metric}`,
      backend: c.backend,
      metric: c.metric,
      delta_pct: c.delta_pct,
      lo: c.ci_pct?.[0] ?? c.delta_pct,
      hi: c.ci_pct?.[1] ?? c.delta_pct,
      verdict: c.verdict,
      tolerance_pct: c.tolerance_pct ?? null,
    }));
  if (!cmp.length) return null;
  const rowY = {
    field: 'row',
    type: 'nominal',
    title: null,
    sort: { field: 'delta_pct', order: 'ascending' },
    axis: { labelLimit: 320 },
  };
  return {
    name: 'deltas',
    title: 'Baseline vs candidate: Δ % with confidence intervals',
    spec: {
      ...base(
        'Baseline vs candidate: Δ %',
        'point = change of the central value; bar = confidence interval; colour = verdict',
        cmp,
      ),
      width: 520,
      height: { step: 14 },
      layer: [
        {
          mark: { type: 'rule' },
          encoding: {
            y: rowY,
            x: { field: 'lo', type: 'quantitative', title: 'Δ % (candidate vs baseline)' },
            x2: { field: 'hi' },
            color: { field: 'verdict', type: 'nominal', scale: VERDICT_SCALE },
          },
        },
        {
          mark: { type: 'point', filled: true, size: 45 },
          encoding: {
            y: rowY,
            x: { field: 'delta_pct', type: 'quantitative' },
            color: { field: 'verdict', type: 'nominal', title: 'verdict', scale: VERDICT_SCALE },
            tooltip: [
              { field: 'row', title: 'comparison' },
              { field: 'delta_pct', title: 'Δ %', format: '+.2f' },
              { field: 'lo', title: 'CI low', format: '+.2f' },
              { field: 'hi', title: 'CI high', format: '+.2f' },
              { field: 'verdict' },
            ],
          },
        },
        {
          data: { values: [{ x: 0 }] },
          mark: { type: 'rule', color: '#888' },
          encoding: { x: { field: 'x', type: 'quantitative' } },
        },
      ],
    },
  };
}

function serverTimelineChart(d: PlotData): ChartSpec | null {
  if (!d.serverSeries.length) return null;
  return {
    name: 'server-timeline',
    title: 'Server KV-cache and queue timeline (scraped)',
    spec: {
      ...base(
        'Server KV-cache and queue timeline',
        'scraped from the server\u2019s Prometheus metrics during the sweep',
        d.serverSeries,
      ),
      facet: { row: { field: 'series', type: 'nominal', title: null } },
      resolve: { scale: { y: 'independent' } },
      spec: {
        width: 520,
        height: 110,
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: {
          x: { field: 't_s', type: 'quantitative', title: 'seconds since first scrape' },
          y: { field: 'value', type: 'quantitative', title: null },
          color: backendColor,
          tooltip: [
            { field: 'backend' },
            { field: 'series' },
            { field: 't_s', format: '.1f' },
            { field: 'value', format: '.3~f' },
          ],
        },
      },
    },
  };
}

const VERDICT_SCALE = {
  domain: ['regression', 'improvement', 'unchanged', 'inconclusive'],
  range: ['#d62728', '#2ca02c', '#7f7f7f', '#ff7f0e'],
};
