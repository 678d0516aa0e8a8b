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
    /**
     * The sequential gate, when the candidate was run with it (null: the fixed rule).
     */
    sequential?: {
      /**
       * group-sequential-t-log: error-spending group-sequential t test on log trial values (Lan & DeMets 1983; Hwang, Shih & DeCani 1990; Jennison & Turnbull 2000).
       */
      name: string;
      design: Design;
      reference: 'ab' | 'baseline';
    } | null;
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
    /**
     * Sequential gate: the looks taken (one per added trial) and why it stopped.
     */
    sequential?: {
      /**
       * regression: significant at the look's spending boundary and worse than the tolerance; pass: the worsening of detectable_pct is ruled out by the one-sided bound; max-trials: the maximum was reached without either (worse_bound_pct says what was ruled out); trials-ended: the trials ended before a stop (an interrupted or fixed-count sweep).
       */
      stop: 'regression' | 'pass' | 'max-trials' | 'trials-ended';
      detectable_pct?: number;
      /**
       * Upper one-sided bound on the worsening at the last look, percent (the pass stop needs it below detectable_pct).
       */
      worse_bound_pct?: number | null;
      looks: {
        baseline_trials: number;
        candidate_trials: number;
        /**
         * Information fraction of the look.
         */
        fraction?: number;
        delta_pct: number;
        /**
         * One-sided p-value that the candidate is worse.
         */
        p_worse: number;
        /**
         * Level p_worse had to reach at this look (regression stop).
         */
        alpha_nominal: number;
        /**
         * Level of the pass test at this look.
         */
        beta_nominal: number;
        worse_bound_pct: number;
        decision: 'regression' | 'pass' | 'continue';
      }[];
    } | null;
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
/**
 * A group-sequential error-spending design (steps/stats/sequential.ts): regression stop at one-sided level alpha, pass stop ruling out detectable_pct at beta, looks from min_trials to max_trials trials per side.
 */
export interface Design {
  /**
   * One-sided level of the regression stop over all looks.
   */
  alpha: number;
  /**
   * Probability of a pass stop at a worsening of exactly detectable_pct, over all looks.
   */
  beta: number;
  /**
   * Worsening, percent, that a pass rules out (per-metric overrides in the config).
   */
  detectable_pct: number;
  /**
   * First look, trials per side.
   */
  min_trials: number;
  /**
   * Last look, candidate trials.
   */
  max_trials: number;
  /**
   * Spending function of the regression stop: pocock, obrien-fleming or hsd(gamma).
   */
  alpha_spending: string;
  /**
   * Spending function of the pass stop.
   */
  beta_spending: string;
  /**
   * Trial noise (CV, percent) the design is built for.
   */
  noise_pct: number;
  /**
   * Degrees of freedom of the variance prior at noise_pct (0: Welch's t alone).
   */
  prior_df: number;
  /**
   * Detection target at detectable_pct within max_trials.
   */
  power: number;
}
export interface Finding {
  /**
   * Stable finding code, generated from steps/core/findings.ts (severity, what it blocks, whether it keeps a run out of baselines, message template): corrupt-samples (Corrupt samples), token-count-implausible (Implausible token counts), torn-last-line (Torn last line), samples-mixed (Samples of several backends), mixed-runs (Resumed or sharded sweep), empty-run (Empty run), workload-unknown (Workload unknown), summary-samples-mismatch (Summary and samples disagree), workload-mixed (Different workloads in one run), requests-failed (Failed requests), point-invalid (Invalid load point), client-bottleneck (Load generator lagged), too-few-samples (Too few samples), token-count-unverified (Output tokens unverified), token-count-mismatch (Server and client token counts differ), output-shortfall (Fewer output tokens than requested), no-baseline (No baseline), baseline-invalid (Baseline unreadable), baseline-schema-mismatch (Baseline of another format), workload-mismatch (Workload differs from the baseline), provenance-mismatch (GPU, model or server differs from the baseline), backend-missing (Backend not measured), insufficient-trials (Fewer trials than the fixed rule needs), noise-above-design (Trials noisier than the sequential design), change-point (Change point in the history), claim-contradiction (Imported file contradicts itself), ttft-not-measured (TTFT not measured by the source), load-point-inferred (Load point inferred), run-cancelled (Source run cancelled), duplicate-input (Duplicate input file), model-mismatch (Models differ within one import), backend-mismatch (Servers differ within one import), load-point-capped (Load point capped by the tool), incomplete-requests (Requests cut off by the run limit), strategy-skipped (Benchmark strategy not imported), all-failed (Every request failed), throughput-inferred (Throughput derived from other fields), failed-inferred (Failures derived from counts), count-inferred (Request count derived from rates), summary-only (Summary statistics only), records-selected (Records chosen with --select), metadata-differs (Run labels differ between load points), import-finding (Other import finding).
   */
  code:
    | 'corrupt-samples'
    | 'token-count-implausible'
    | 'torn-last-line'
    | 'samples-mixed'
    | 'mixed-runs'
    | 'empty-run'
    | 'workload-unknown'
    | 'summary-samples-mismatch'
    | 'workload-mixed'
    | 'requests-failed'
    | 'point-invalid'
    | 'client-bottleneck'
    | 'too-few-samples'
    | 'token-count-unverified'
    | 'token-count-mismatch'
    | 'output-shortfall'
    | 'no-baseline'
    | 'baseline-invalid'
    | 'baseline-schema-mismatch'
    | 'workload-mismatch'
    | 'provenance-mismatch'
    | 'backend-missing'
    | 'insufficient-trials'
    | 'noise-above-design'
    | 'change-point'
    | 'claim-contradiction'
    | 'ttft-not-measured'
    | 'load-point-inferred'
    | 'run-cancelled'
    | 'duplicate-input'
    | 'model-mismatch'
    | 'backend-mismatch'
    | 'load-point-capped'
    | 'incomplete-requests'
    | 'strategy-skipped'
    | 'all-failed'
    | 'throughput-inferred'
    | 'failed-inferred'
    | 'count-inferred'
    | 'summary-only'
    | 'records-selected'
    | 'metadata-differs'
    | 'import-finding';
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
