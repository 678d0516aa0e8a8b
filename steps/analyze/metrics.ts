/** The metrics analyze compares, with their direction and whether they gate by default. */
import type { Metrics } from '../metrics/derive.js';
import type { Direction } from '../stats/decide.js';

export interface MetricDef {
  key: string;
  direction: Direction;
  /** Gates by default (p99 gates only when regression.gate_p99 or a per-metric gate says so). */
  gate: boolean;
  p99: boolean;
  /** Percentile it rests on, for the too-few-samples rule; null for rates. */
  percentile: number | null;
  get(m: Metrics): number | null;
}

const stat = (name: 'ttft_ms' | 'tpot_ms' | 'e2e_ms' | 'itl_ms', q: 'p50' | 'p99') => (m: Metrics) => {
  const s = m[name];
  return s && s.n > 0 ? (s[q] ?? null) : null;
};

/**
 * Gated by default: throughput plus median TTFT and TPOT. E2E and ITL medians are largely implied by those
 * (E2E ≈ TTFT + (N−1)·TPOT), and every extra gated metric adds its own false-alarm chance to the verdict.
 */
export const METRICS: MetricDef[] = [
  {
    key: 'output_tokens_per_s',
    direction: 'higher-is-better',
    gate: true,
    p99: false,
    percentile: null,
    get: (m) => (m.completed > 0 ? m.output_tokens_per_s : null),
  },
  {
    key: 'requests_per_s',
    direction: 'higher-is-better',
    gate: false,
    p99: false,
    percentile: null,
    get: (m) => (m.completed > 0 ? m.requests_per_s : null),
  },
  {
    key: 'goodput_requests_per_s',
    direction: 'higher-is-better',
    gate: false,
    p99: false,
    percentile: null,
    get: (m) => m.goodput_requests_per_s ?? null,
  },
  {
    key: 'ttft_ms.p50',
    direction: 'lower-is-better',
    gate: true,
    p99: false,
    percentile: 50,
    get: stat('ttft_ms', 'p50'),
  },
  {
    key: 'tpot_ms.p50',
    direction: 'lower-is-better',
    gate: true,
    p99: false,
    percentile: 50,
    get: stat('tpot_ms', 'p50'),
  },
  {
    key: 'e2e_ms.p50',
    direction: 'lower-is-better',
    gate: false,
    p99: false,
    percentile: 50,
    get: stat('e2e_ms', 'p50'),
  },
  {
    key: 'itl_ms.p50',
    direction: 'lower-is-better',
    gate: false,
    p99: false,
    percentile: 50,
    get: stat('itl_ms', 'p50'),
  },
  {
    key: 'ttft_ms.p99',
    direction: 'lower-is-better',
    gate: false,
    p99: true,
    percentile: 99,
    get: stat('ttft_ms', 'p99'),
  },
  {
    key: 'tpot_ms.p99',
    direction: 'lower-is-better',
    gate: false,
    p99: true,
    percentile: 99,
    get: stat('tpot_ms', 'p99'),
  },
  {
    key: 'e2e_ms.p99',
    direction: 'lower-is-better',
    gate: false,
    p99: true,
    percentile: 99,
    get: stat('e2e_ms', 'p99'),
  },
  {
    key: 'itl_ms.p99',
    direction: 'lower-is-better',
    gate: false,
    p99: true,
    percentile: 99,
    get: stat('itl_ms', 'p99'),
  },
];

export interface RegressionSettings {
  tolerance_pct: number;
  alpha: number;
  max_error_rate: number;
  gate_p99: boolean;
  metrics: Record<string, { tolerance_pct?: number; gate?: boolean; detectable_pct?: number }>;
}

export function isGated(d: MetricDef, r: RegressionSettings): boolean {
  const o = r.metrics[d.key]?.gate;
  if (o !== undefined) return o;
  return d.p99 ? r.gate_p99 : d.gate;
}

export function toleranceOf(d: MetricDef, r: RegressionSettings): number {
  return r.metrics[d.key]?.tolerance_pct ?? r.tolerance_pct;
}
