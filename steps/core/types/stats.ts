/* Generated from schemas/stats.schema.json by `npm run gen:types`. Do not edit: change the schema and regenerate. */

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
