/* Generated from schemas/bench-config.schema.json by `npm run gen:types`. Do not edit: change the schema and regenerate. */

/**
 * Protocol adapter / server kind (steps/servers/<name>/).
 */
export type BackendKind = 'vllm' | 'tgi' | 'triton' | 'sglang';

/**
 * The bench config (YAML or JSON) that drives `llmbench run` and every step. Unknown keys are errors, so typos never pass silently.
 */
export interface BenchConfig {
  /**
   * Config format version.
   */
  version: 1;
  /**
   * Human name of this benchmark.
   */
  name?: string;
  model?: {
    /**
     * Model id, e.g. mistralai/Mistral-7B-Instruct-v0.2.
     */
    name?: string;
    /**
     * Name the servers serve it under (default: mistral, as in the original manifests).
     */
    served_name?: string;
    /**
     * Client tokenizer (from npm) used for prompts and the client-side token count.
     */
    tokenizer?: 'mistral';
  };
  /**
   * Servers to benchmark, in order.
   *
   * @minItems 1
   */
  backends: [Backend, ...Backend[]];
  load?: {
    /**
     * Fixed concurrency sweep, request-rate sweep, or one max-throughput point.
     */
    mode?: 'concurrency' | 'rate' | 'max-throughput';
    /**
     * Concurrency levels (in-flight requests).
     *
     * @minItems 1
     */
    concurrency?: [number, ...number[]];
    /**
     * Arrival rates, requests/s: at least 0.001 (a mean gap of 1,000 s, far inside what a timer holds) and at most 100,000 (a 10 µs mean gap, the clock's practical resolution).
     *
     * @minItems 1
     */
    rate?: [number, ...number[]];
    /**
     * Inter-arrival distribution in rate mode.
     */
    arrival?: 'poisson' | 'gamma' | 'constant';
    /**
     * Gamma shape; 1 = Poisson, < 1 burstier (0.01 to 100: beyond, gaps overflow timers or collapse to a constant).
     */
    burstiness?: number;
    /**
     * Measured requests per point per trial (warmup not included); at most 1,000,000 (analyze caps a load point at 750,000 samples over all its trials: steps/analyze/README.md).
     */
    requests?: number;
    /**
     * Measurement duration per point per trial, seconds (at most 2^31-1 ms, a Node timer's range).
     */
    duration_s?: number;
    /**
     * Fixed trials per point (the unit of replication for verdicts), run when the sequential gate is off or has nothing to compare with during the sweep; with the gate, regression.sequential.max_trials is the maximum.
     */
    trials?: number;
    /**
     * Warmup requests per point and trial, excluded from statistics.
     */
    warmup?: number;
    /**
     * Per-request deadline, seconds (1 ms to 2^31-1 ms: a larger value overflows Node's timer, which then fires after 1 ms).
     */
    timeout_s?: number;
    /**
     * No output event for this long is a stalled failure, seconds (keep-alive comments and other bytes do not count; before the first event it is the TTFT deadline); 1 ms to 2^31-1 ms, a Node timer's range.
     */
    stall_timeout_s?: number;
    /**
     * Minimum successful measured requests per point for its p99 to count.
     */
    min_samples?: number;
    /**
     * Seed for arrivals and synthetic prompts (32-bit).
     */
    seed?: number;
    /**
     * A/B mode: interleave trials of the first two backends (baseline, candidate).
     */
    ab?: boolean;
  };
  workload?: {
    /**
     * synthetic (exact token lengths), builtin (fixed prompt set), or a path to a .jsonl / ShareGPT .json file.
     */
    dataset?: string;
    /**
     * Prompt length for synthetic prompts, tokens.
     */
    input_tokens?: number;
    /**
     * Requested output length, tokens (max_tokens / max_new_tokens).
     */
    output_tokens?: number;
    /**
     * Number of distinct prompts to draw.
     */
    prompts?: number;
    temperature?: number;
    /**
     * Ask servers to ignore EOS so every request produces output_tokens (TGI cannot; shortfall is flagged).
     */
    ignore_eos?: boolean;
  };
  slo?: Slo;
  regression?: {
    /**
     * Default tolerance, percent: smaller changes are never regressions.
     */
    tolerance_pct?: number;
    /**
     * Per-metric overrides: metric key (e.g. output_tokens_per_s, ttft_ms.p50) → { tolerance_pct, gate }.
     */
    metrics?: {
      [k: string]: {
        tolerance_pct?: number;
        /**
         * Sequential gate: the worsening this metric's pass stop rules out (default regression.sequential.detectable_pct); must exceed its tolerance.
         */
        detectable_pct?: number;
        /**
         * Whether the metric can fail the run (p99 defaults to false).
         */
        gate?: boolean;
      };
    };
    /**
     * Two-sided significance level.
     */
    alpha?: number;
    /**
     * Error-rate allowance; above it a point is inconclusive.
     */
    max_error_rate?: number;
    /**
     * Gate on p99 latencies too (reported regardless).
     */
    gate_p99?: boolean;
    /**
     * The sequential gate (default on): after each added trial (A/B: each pair; against a baseline file: each candidate trial) a group-sequential error-spending design decides regression, pass, or one more trial, up to max_trials. Applies when the sweep has something to compare with (A/B or a baseline file); otherwise load.trials fixed trials are run. steps/analyze/README.md describes the design.
     */
    sequential?: {
      /**
       * Run the sequential gate (default true). false: load.trials fixed trials and the fixed Welch rule.
       */
      enabled?: boolean;
      /**
       * The worsening, percent, a pass rules out (default 5).
       */
      detectable_pct?: number;
      /**
       * Trials per side at which the gate stops without a decision (default 16).
       */
      max_trials?: number;
      /**
       * First look, trials per side (default 3).
       */
      min_trials?: number;
      /**
       * One-sided level of the regression stop over all looks (default 0.015).
       */
      alpha?: number;
      /**
       * Probability of a pass stop when the worsening is exactly detectable_pct, over all looks (default 0.04).
       */
      beta?: number;
      /**
       * Detection target at detectable_pct and noise_pct within max_trials (default 0.95); a design that cannot reach it is refused.
       */
      power?: number;
      /**
       * Trial-to-trial noise (coefficient of variation, percent) the design is built for (default 3).
       */
      noise_pct?: number;
      /**
       * Degrees of freedom of the variance prior at noise_pct (default 10); 0 = Welch's t on the data alone.
       */
      prior_df?: number;
      /**
       * Error-spending function of the regression stop: pocock, obrien-fleming (Lan–DeMets types) or hsd(γ) (Hwang–Shih–DeCani; default hsd(-1)).
       */
      alpha_spending?: string;
      /**
       * Error-spending function of the pass stop (default hsd(2)).
       */
      beta_spending?: string;
    };
  };
  baseline?: {
    /**
     * Baseline file to compare against (default results/baselines/default.json).
     */
    path?: string;
    /**
     * Directory of nightly summaries, one file per run.
     */
    history_dir?: string;
    /**
     * Nightly: append this run to the history and rebuild the baseline from a clean window.
     */
    update?: boolean;
  };
  github?: {
    /**
     * owner/name.
     */
    repo?: string;
    pr?: number;
    sha?: string;
    /**
     * GitHub Enterprise API base, e.g. https://ghe.example.com/api/v3.
     */
    api_url?: string;
    /**
     * Commit status (default) or check run (needs a GitHub App token).
     */
    check?: 'status' | 'check-run';
    /**
     * Where plots are published so the comment can link them.
     */
    assets?: {
      /**
       * Push plots to this branch through the Git Data API.
       */
      branch?: string;
      /**
       * Or: plots are served under this URL prefix.
       */
      url_prefix?: string;
    };
  };
  cluster?: {
    /**
     * Apply to a namespace directly, or through an ACM ManifestWork on the hub.
     */
    mode?: 'direct' | 'acm';
    /**
     * Namespace for the workloads (default llm-bench).
     */
    namespace?: string;
    /**
     * ACM managed cluster name (mode acm).
     */
    managed_cluster?: string;
    /**
     * Path to a kubeconfig; default in-cluster service account or $KUBECONFIG.
     */
    kubeconfig?: string;
    /**
     * Create an OpenShift Route (default false: the benchmark reaches the Service from inside the cluster).
     */
    route?: boolean;
    /**
     * Opt in to binding the privileged SCC (not needed with restricted-v2 images).
     */
    privileged_scc?: boolean;
    ready_timeout_s?: number;
  };
  /**
   * GPU profile id for rendering manifests and the simulator, e.g. a100-mig-3g.20gb.
   */
  gpu_profile?: string;
  cost?: {
    /**
     * Price of the GPU (or slice) per hour, USD, for cost per 1M output tokens.
     */
    gpu_hour_usd?: number;
  };
}
export interface Backend {
  kind: BackendKind;
  /**
   * Name used in outputs (runs/<id>/); defaults to kind. Must be unique.
   */
  id?: string;
  /**
   * Base URL of a running server (absolute http(s), checked with the WHATWG URL parser). ${ENV_NAME} references anywhere in it are read from the environment when requests are sent and are kept as written in bench-config.json; literal credentials are masked wherever the endpoint is printed or written. Omit to use the embedded simulator (local run) or the deploy report (pipeline).
   */
  endpoint?: string;
  /**
   * Wire API: vllm completions|chat (default completions); tgi generate_stream|openai (default generate_stream); triton generate_stream; sglang completions|chat|generate (default completions).
   */
  api?: 'completions' | 'chat' | 'generate_stream' | 'openai' | 'generate';
  /**
   * Model name as served (overrides model.served_name for this backend).
   */
  model?: string;
  /**
   * Extra request headers (names are RFC 9110 tokens; values hold no CR/LF). ${ENV_NAME} references anywhere in a value (e.g. 'Bearer ${API_TOKEN}') are read from the environment when requests are sent; the config keeps the reference.
   */
  headers?: {
    [k: string]: string;
  };
  /**
   * Server image for deployment (tag or digest).
   */
  image?: string;
  /**
   * Extra server arguments for deployment.
   */
  engine_args?: string[];
  /**
   * Embedded simulator settings for this backend.
   */
  sim?: {
    /**
     * Simulator GPU profile id (e.g. a100-mig-3g.20gb, h100-80gb).
     */
    gpu?: string;
    /**
     * Simulator model profile id (e.g. mistral-7b-instruct-fp16).
     */
    model?: string;
    seed?: number;
    /**
     * Run simulated time this many times faster (tests); results are scaled back honestly.
     */
    time_scale?: number;
    faults?: Faults;
  };
}
/**
 * Simulator faults on demand.
 */
export interface Faults {
  /**
   * Fraction of requests answered with a 500 error.
   */
  error_rate?: number;
  /**
   * Answer 503 when more than this many requests wait.
   */
  overload_queue?: number;
  /**
   * Fraction of streams that stop sending without closing.
   */
  stall_rate?: number;
  /**
   * Fraction of streams cut mid-way (connection closed).
   */
  cut_rate?: number;
  /**
   * Seconds before the health endpoint reports ready (at most what a Node timer holds, 2^31-1 ms).
   */
  slow_start_s?: number;
  /**
   * Crash (close all connections, restart after restart_s) after this many requests.
   */
  crash_after_requests?: number;
  restart_s?: number;
  /**
   * Multiply step times (1.05 plants a ~5 % regression).
   */
  slowdown?: number;
}
/**
 * Service-level objectives per request; goodput counts requests meeting all of them.
 */
export interface Slo {
  /**
   * Max time to first token, ms.
   */
  ttft_ms?: number;
  /**
   * Max time per output token, ms.
   */
  tpot_ms?: number;
  /**
   * Max inter-token latency, ms (applies to every gap).
   */
  itl_ms?: number;
  /**
   * Max end-to-end latency, ms.
   */
  e2e_ms?: number;
}
