/* Generated from schemas/sweep-summary.schema.json by `npm run gen:types`. Do not edit: change the schema and regenerate. */

/**
 * runs/<backend>/summary.json: per load point metrics of one sweep of one backend, derived from samples.ndjson by steps/metrics. Metric names follow vLLM's definitions (README.md "Metric definitions"): TTFT = first output event (a chunk carrying a generated token, EOS included) − sent; E2E = last output event (a chunk carrying a generated token, EOS included) − sent; TPOT = (E2E − TTFT)/(output tokens − 1) for requests with ≥ 2 tokens; itl_ms pools one gap per chunk, itl_token_ms gives a chunk of k tokens k gaps of gap/k.
 */
export interface SweepSummary {
  schema_version: 1;
  /**
   * Backend id (a server name such as vllm, or a configured id).
   */
  backend: string;
  /**
   * Protocol adapter used: a registered server name (steps/servers/<name>/).
   */
  adapter?: string;
  /**
   * Wire API used by the adapter, e.g. completions, chat, generate_stream, openai.
   */
  api?: string;
  /**
   * Model name sent to the server.
   */
  model?: string | null;
  /**
   * Base URL measured, credentials removed.
   */
  endpoint?: string | null;
  /**
   * Identifier of the sweep process.
   */
  run_id?: string;
  started_at?: string;
  finished_at?: string;
  /**
   * The load plan as executed.
   */
  plan?: {
    mode?: 'concurrency' | 'rate' | 'max-throughput';
    trials?: number;
    /**
     * Warmup requests per point and trial.
     */
    warmup?: number;
    /**
     * Measured requests per point per trial.
     */
    requests?: number | null;
    /**
     * Measurement duration per point per trial, seconds.
     */
    duration_s?: number | null;
    arrival?: 'poisson' | 'gamma' | 'constant' | null;
    /**
     * Gamma shape (1 = Poisson; < 1 burstier).
     */
    burstiness?: number | null;
    seed?: number;
    timeout_s?: number;
    /**
     * Minimum successful measured requests per point for p99 to be reported as meaningful.
     */
    min_samples?: number;
    /**
     * Simulated seconds per real second of the target (1 = real time). Every latency, window and rate in this file is in simulated time: measured intervals multiplied by this factor.
     */
    time_scale?: number;
    /**
     * Concurrency levels swept (concurrency and max-throughput modes).
     */
    concurrency?: number[] | null;
    /**
     * Arrival rates swept, requests/s (rate mode).
     */
    rate?: number[] | null;
    /**
     * No output event for this long failed as stalled, seconds (before the first event: the TTFT deadline).
     */
    stall_timeout_s?: number;
    /**
     * A/B mode: this run is one arm of interleaved trials A B A B on the same plan.
     */
    ab?: {
      arm?: 'a' | 'b';
      peer_backend?: string;
      peer_endpoint?: string | null;
    } | null;
    /**
     * How many times this sweep was resumed (--resume).
     */
    resumed?: number;
    /**
     * The sequential gate consulted between trials (null: fixed trials). Points may then hold fewer trials than plan.trials (the maximum), and a regression stops the sweep before later points.
     */
    sequential?: {
      /**
       * A group-sequential error-spending design (steps/stats/sequential.ts): regression stop at one-sided level alpha, pass stop ruling out detectable_pct at beta, looks from min_trials to max_trials trials per side.
       */
      design: {
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
      };
      /**
       * What the gate compared with: arm a of this run, or a baseline file.
       */
      reference: 'ab' | 'baseline';
    } | null;
  };
  /**
   * What was asked: its fingerprint must match for two runs to be compared.
   */
  workload?: {
    /**
     * sha256 over prompts (in order), token lengths and sampling parameters.
     */
    fingerprint: string;
    /**
     * synthetic, builtin, or the dataset file name.
     */
    dataset?: string;
    prompts?: number;
    /**
     * Requested prompt length, tokens.
     */
    input_tokens?: number | null;
    /**
     * Requested output length, tokens.
     */
    output_tokens?: number | null;
    tokenizer?: string;
    /**
     * Sampling parameters sent (temperature, ignore_eos, …).
     */
    sampling?: {};
  };
  /**
   * What was measured: compared runs must agree on these.
   */
  provenance?: {
    /**
     * Server kind and version as reported (e.g. vllm 0.11.0).
     */
    server?: string | null;
    model?: string | null;
    /**
     * GPU product or simulator profile.
     */
    gpu?: string | null;
    image_digest?: string | null;
    /**
     * True when the target was llmbench's simulator.
     */
    simulated?: boolean;
    commit_sha?: string | null;
  };
  /**
   * Self-check of the client: if it lagged, the point is invalid.
   */
  load_generator?: {
    version?: string;
    node?: string;
    /**
     * Threads that timed requests (--client-threads); event-loop delays are the worst over them and the sweep thread.
     */
    client_threads?: number;
    /**
     * Worst per-point event-loop delay p99 of the client, real (unscaled) ms.
     */
    event_loop_delay_p99_ms?: number | null;
    /**
     * Worst per-point event-loop delay p90 of the client, real (unscaled) ms; a point is a client bottleneck when this exceeds half its median ITL (at least 5 ms).
     */
    event_loop_delay_p90_ms?: number | null;
    /**
     * Worst per-point p99 of actual − intended send in rate mode, real (unscaled) ms.
     */
    send_lag_p99_ms?: number | null;
    /**
     * True when any point was marked invalid because the client lagged.
     */
    client_bottleneck?: boolean;
    /**
     * Self-check rule: a point is invalid when its event-loop delay p90 (systematic lateness; p99 is reported, not gating) or send-lag p99, scaled to the metrics' time, exceeds max(min_ms, itl_share × the point's median ITL).
     */
    thresholds?: {
      min_ms?: number;
      itl_share?: number;
    };
  };
  points: (Metrics & {
    /**
     * In-flight requests for this point; null in rate mode.
     */
    concurrency: number | null;
    /**
     * Target arrival rate, requests/s; null in concurrency mode.
     */
    rate: number | null;
    /**
     * False when the point cannot be trusted (client bottleneck, too few samples).
     */
    valid?: boolean;
    /**
     * Why the point is not valid, as structured reasons (code from steps/core/findings.ts; analyze turns each into a finding). Plain strings are read from sweeps written before reasons had codes.
     */
    invalid_reasons?: (
      | {
          code: 'too-few-samples' | 'client-bottleneck' | 'point-invalid';
          message: string;
          /**
           * The measured quantity (samples, ms).
           */
          value?: number;
          /**
           * The limit it broke.
           */
          limit?: number;
        }
      | string
    )[];
    /**
     * The same metrics for each trial of the point (analysis replicates over trials).
     */
    trials?: (Metrics & {
      trial: number;
    })[];
    /**
     * Client self-check during this point (real, unscaled ms).
     */
    load_generator?: {
      event_loop_delay_p99_ms?: number | null;
      /**
       * Worst per-trial event-loop delay p90, real ms: systematic lateness, the self-check's bottleneck criterion.
       */
      event_loop_delay_p90_ms?: number | null;
      event_loop_delay_max_ms?: number | null;
      send_lag_p99_ms?: number | null;
      /**
       * Measured requests issued per second (rate mode), simulated time.
       */
      achieved_rate?: number | null;
    };
    /**
     * Normalized server metrics over this point (mean / max of scraped values), when scraped.
     */
    server?: {
      [k: string]: {
        mean?: number | null;
        max?: number | null;
      };
    };
    /**
     * A/B mode arm of this summary.
     */
    arm?: 'a' | 'b';
  })[];
  /**
   * Prometheus scrape of the server during the sweep (runs/<backend>/server-metrics.ndjson), when enabled.
   */
  server_metrics?: {
    url?: string;
    file?: string;
    scrapes?: number;
    errors?: number;
    /**
     * Normalized series seen (running, waiting, kv_cache_usage, ...).
     */
    series?: string[];
    /**
     * Normalized series the server does not export (or never did during the sweep): unavailable, not 0.
     */
    unavailable?: string[];
  } | null;
}
/**
 * Metrics of a set of samples (a whole point or one trial). Latency statistics cover successful, non-warmup requests only; counts cover all non-warmup requests.
 */
export interface Metrics {
  /**
   * Successful measured requests.
   */
  completed: number;
  /**
   * Failed measured requests (each is a sample with an error category).
   */
  failed: number;
  /**
   * failed / (completed + failed); 0 when there were no requests.
   */
  error_rate?: number;
  /**
   * Failed request count per error category.
   */
  errors_by_category?: {
    [k: string]: number;
  };
  /**
   * Measurement window in seconds: first measured send to last measured end (warmup excluded).
   */
  duration_s?: number;
  /**
   * Σ prompt tokens of successful requests (server count when reported, else client count).
   */
  input_tokens_total?: number;
  /**
   * Σ output tokens of successful requests (server count when reported, else client count).
   */
  output_tokens_total: number;
  /**
   * Output token throughput, tokens/s: output_tokens_total / duration_s.
   */
  output_tokens_per_s: number;
  /**
   * (input + output tokens) / duration_s, tokens/s.
   */
  total_tokens_per_s?: number;
  /**
   * Successful requests / duration_s.
   */
  requests_per_s: number;
  /**
   * Successful requests meeting every configured SLO / duration_s; null when no SLO is configured.
   */
  goodput_requests_per_s?: number | null;
  /**
   * Time to first token, ms, from the actual send.
   */
  ttft_ms: Stats;
  /**
   * Inter-chunk latency, ms: one gap per pair of successive output event (a chunk carrying a generated token, EOS included)s, pooled over requests (vLLM's ITL).
   */
  itl_ms: Stats;
  /**
   * Per-token inter-token latency, ms: a chunk carrying k tokens contributes k gaps of gap/k.
   */
  itl_token_ms?: Stats;
  /**
   * Time per output token after the first, ms: (E2E − TTFT)/(N − 1), requests with N ≥ 2.
   */
  tpot_ms: Stats;
  /**
   * End-to-end latency, ms: last output event (a chunk carrying a generated token, EOS included) − actual send.
   */
  e2e_ms: Stats;
  /**
   * Client-side wait, ms: actual send − intended send.
   */
  queue_ms?: Stats;
  /**
   * TTFT measured from the intended send time, ms (corrects for coordinated omission).
   */
  ttft_from_intended_ms?: Stats;
  /**
   * E2E measured from the intended send time, ms.
   */
  e2e_from_intended_ms?: Stats;
  /**
   * Token truth: where counts came from and where they disagree.
   */
  tokens?: {
    /**
     * Successful requests whose output tokens the server counted.
     */
    server_counted?: number;
    /**
     * Successful requests whose output tokens the client tokenizer counted.
     */
    client_counted?: number;
    /**
     * Requests where server and client counts differ by more than 1 token.
     */
    mismatched?: number;
    /**
     * Requests that produced fewer output tokens than requested.
     */
    shortfall?: number;
    /**
     * Mean output tokens per successful request.
     */
    mean_output_tokens?: number | null;
    /**
     * Requests whose server-reported prompt tokens differ from the client tokenizer's count by more than 1 (BOS). Chat APIs are not compared: their template adds tokens.
     */
    input_mismatched?: number;
  };
  /**
   * Simulated seconds per real second the metrics were scaled by (1 = real time).
   */
  time_scale?: number;
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
