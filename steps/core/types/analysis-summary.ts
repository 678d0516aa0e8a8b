/* Generated from schemas/analysis-summary.schema.json by `npm run gen:types`. Do not edit: change the schema and regenerate. */

/**
 * analysis/summary.json: per backend × load point aggregation over trials (danfojs DataFrames), with derived efficiency and cost. Input to plot and report.
 */
export interface AnalysisSummary {
  schema_version: 1;
  generated_at?: string;
  /**
   * The sweep outputs that were analyzed.
   */
  runs?: {
    backend: string;
    path?: string;
    fingerprint?: string | null;
    provenance?: {};
    samples?: number;
    corrupt_lines?: number;
  }[];
  rows: {
    backend: string;
    concurrency: number | null;
    rate: number | null;
    trials: number;
    completed: number;
    failed: number;
    error_rate?: number;
    /**
     * Median over trials, tokens/s.
     */
    output_tokens_per_s: number | null;
    requests_per_s?: number | null;
    goodput_requests_per_s?: number | null;
    /**
     * Pooled over trials.
     */
    ttft_ms?: Stats;
    itl_ms?: Stats;
    tpot_ms?: Stats;
    e2e_ms?: Stats;
    /**
     * throughput(c) / (c × throughput(1)); null without a c=1 point.
     */
    scaling_efficiency?: number | null;
    /**
     * GPU-hour price / (tokens/s × 3600) × 1e6, USD.
     */
    cost_per_1m_output_tokens_usd?: number | null;
    /**
     * Per-trial values of each compared metric.
     */
    metrics?: {
      [k: string]: TrialMetric;
    };
  }[];
}
/**
 * Distribution summary of one metric over a set of samples. Percentiles use linear interpolation between closest ranks (numpy's default). Every field is null when n is 0. The unit is given by the property that holds this object (e.g. ttft_ms is milliseconds).
 */
export interface Stats {
  /**
   * Number of values the statistics rest on.
   */
  n: number;
  /**
   * Arithmetic mean.
   */
  mean: number | null;
  /**
   * Sample standard deviation (n-1); null when n < 2.
   */
  stddev?: number | null;
  min: number | null;
  max: number | null;
  /**
   * Median.
   */
  p50: number | null;
  p90: number | null;
  p95: number | null;
  /**
   * 99th percentile. Meaningful only when n is at least the configured minimum (a too-few-samples finding says otherwise).
   */
  p99: number | null;
}
/**
 * One metric over trials.
 */
export interface TrialMetric {
  /**
   * One value per trial, in trial order.
   */
  values: (number | null)[];
  /**
   * Central value over trials (median).
   */
  center: number | null;
  mean?: number | null;
  /**
   * Coefficient of variation over trials (stddev / mean).
   */
  cv?: number | null;
}
