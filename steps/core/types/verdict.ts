/* Generated from schemas/verdict.schema.json by `npm run gen:types`. Do not edit: change the schema and regenerate. */

/**
 * analysis/verdict.json: the decision against the baseline, per backend × load point × metric, plus validity and fairness findings. Exit code of analyze follows `verdict`.
 */
export interface Verdict {
  schema_version: 1;
  /**
   * pass: nothing regressed and everything gated was decidable; regression: at least one gated metric regressed; inconclusive: not enough valid data to decide (never a pass).
   */
  verdict: 'pass' | 'regression' | 'inconclusive';
  generated_at?: string;
  /**
   * The decision rule, stated in every verdict.
   */
  rule?: {
    /**
     * Statistical test used, e.g. welch-t-log.
     */
    test?: string;
    /**
     * Significance level (two-sided).
     */
    alpha?: number;
    /**
     * Confidence level of reported intervals (1 − alpha).
     */
    confidence?: number;
    /**
     * Trials needed on each side for a comparison to be decidable.
     */
    min_trials?: number;
    /**
     * Per-metric tolerance, percent: a regression must be significant and larger than this.
     */
    tolerance_pct?: {
      [k: string]: number;
    };
    gated_metrics?: string[];
    /**
     * The rule in one sentence, for humans.
     */
    text?: string;
    /**
     * Trials per side at which the rule reaches its power target (5 % drop detected ≥ 95 % at 3 % noise, A/A false alarms ≤ 1 %).
     */
    recommended_trials?: number;
  };
  /**
   * Identity of the baseline compared against; null when none.
   */
  baseline?: {
    path?: string;
    created_at?: string;
    commit_sha?: string | null;
  } | null;
  /**
   * Identity of the candidate run.
   */
  candidate?: {
    commit_sha?: string | null;
    runs?: string[];
  };
  comparisons: {
    backend: string;
    concurrency?: number | null;
    rate?: number | null;
    /**
     * Metric key, e.g. output_tokens_per_s, ttft_ms.p50, e2e_ms.p99.
     */
    metric: string;
    direction?: 'higher-is-better' | 'lower-is-better';
    /**
     * Baseline value: geometric mean over trials (what the test compares).
     */
    baseline: number | null;
    /**
     * Candidate value: geometric mean over trials.
     */
    candidate: number | null;
    /**
     * (candidate − baseline) / baseline × 100, from the geometric means over trials (the ratio Welch's t on log values tests).
     */
    delta_pct: number | null;
    /**
     * Confidence interval of delta_pct, percent [low, high].
     *
     * @minItems 2
     * @maxItems 2
     */
    ci_pct?: [number, number] | null;
    p_value?: number | null;
    trials?: {
      baseline?: number;
      candidate?: number;
    };
    tolerance_pct?: number | null;
    /**
     * Whether this comparison can fail the run.
     */
    gated?: boolean;
    verdict: 'regression' | 'improvement' | 'unchanged' | 'inconclusive';
    /**
     * Why, in particular for inconclusive.
     */
    reason?: string;
  }[];
  findings: Finding[];
  /**
   * Cross-backend ranking, stated only when the comparison is fair.
   */
  ranking?: {
    fair?: boolean;
    statement?: string;
    reasons?: string[];
  } | null;
  /**
   * Change points detected in the nightly history.
   */
  change_points?: {
    backend: string;
    concurrency?: number | null;
    metric: string;
    /**
     * History run id where the shift begins.
     */
    run: string;
    index?: number;
    p_value?: number;
    before?: number;
    after?: number;
    rate?: number | null;
  }[];
}
export interface Finding {
  /**
   * Stable finding code. Known codes: token-count-unverified (output tokens not counted by the server or a tokenizer), requests-failed, output-shortfall (fewer output tokens than requested), too-few-samples (a reported percentile rests on too few requests), workload-mismatch (fingerprints differ where compared), token-count-mismatch (server and client counts disagree), token-count-implausible (server token counts negative or more than 16× the output events seen; the point is invalid), provenance-mismatch (GPU/model/server differ from baseline), client-bottleneck (the load generator lagged), no-baseline, insufficient-trials, unfair-comparison, change-point, baseline-schema-mismatch, corrupt-samples.
   */
  code: string;
  /**
   * error findings make the affected comparison inconclusive.
   */
  severity: 'info' | 'warning' | 'error';
  message: string;
  backend?: string;
  concurrency?: number | null;
  rate?: number | null;
  metric?: string;
  /**
   * How many requests or items the finding concerns.
   */
  count?: number;
}
