/* Generated from schemas/history-entry.schema.json by `npm run gen:types`. Do not edit: change the schema and regenerate. */

export type Backends = {
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

/**
 * results/history/<created_at>-<run_id>.json: one analyzed run (nightly), kept so change points can be found over time and baselines rebuilt from clean windows. Same per-trial layout as a baseline, plus whether the run was clean.
 */
export interface HistoryEntry {
  schema_version: 1;
  /**
   * Identifier of the run (the sweeps' run ids joined, or given).
   */
  run_id: string;
  created_at: string;
  commit_sha?: string | null;
  /**
   * False when the run had error findings (failed requests over allowance, invalid points, corrupt samples, mismatched workloads): such runs never enter a baseline window.
   */
  clean: boolean;
  /**
   * Why the run is not clean.
   */
  problems?: string[];
  backends: Backends;
}
