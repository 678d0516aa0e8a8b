/* Generated from schemas/baseline.schema.json by `npm run gen:types`. Do not edit: change the schema and regenerate. */

/**
 * results/baselines/<name>.json: the reference a candidate is compared against. Written by `analyze --write-baseline` only from a valid run; holds per-trial values so the comparison can test significance.
 */
export interface Baseline {
  /**
   * Baselines of another version are refused with a clear error.
   */
  schema_version: 1;
  created_at: string;
  commit_sha?: string | null;
  /**
   * Where it came from (run id, history window).
   */
  source?: string;
  backends: {
    backend: string;
    /**
     * Workload fingerprint the baseline was measured with.
     */
    fingerprint: string;
    /**
     * GPU, model, server version, image digest.
     */
    provenance?: {};
    points: {
      concurrency: number | null;
      rate: number | null;
      /**
       * Metric key → one value per trial.
       */
      metrics: {
        [k: string]: number[];
      };
    }[];
  }[];
}
