/* Generated from schemas/sample.schema.json by `npm run gen:types`. Do not edit: change the schema and regenerate. */

/**
 * One request, one line of runs/<backend>/samples.ndjson, appended as the request completes. Raw timestamps only: every metric is derived from these in steps/metrics. All *_ms timestamps are Unix epoch milliseconds read from a monotonic clock (performance.timeOrigin + performance.now()), so differences within one process are monotonic and sub-millisecond.
 */
export interface Sample {
  /**
   * Sample format version.
   */
  v: 1;
  /**
   * Identifier of the sweep process that produced the sample (a resumed sweep has a new run_id).
   */
  run_id: string;
  /**
   * Backend id as configured (e.g. vllm, tgi, triton, or a user id such as vllm-main).
   */
  backend: string;
  /**
   * A/B mode only: a = baseline target, b = candidate target.
   */
  arm?: 'a' | 'b';
  /**
   * Load point: fixed number of in-flight requests, or null in rate mode.
   */
  concurrency: number | null;
  /**
   * Load point: target arrival rate in requests per second, or null in concurrency mode. Infinity is not representable; max-throughput points use concurrency.
   */
  rate: number | null;
  /**
   * Trial number within the point (trials are the unit of replication).
   */
  trial: number;
  /**
   * Issue order of this request within its point and trial, warmup included.
   */
  seq: number;
  /**
   * Index of the prompt in the workload (same order for every backend).
   */
  prompt_index: number;
  /**
   * True for warmup requests, which are excluded from every statistic.
   */
  warmup: boolean;
  /**
   * Simulated seconds per real second of the target: 1 for real servers, N when llmbench's simulator ran N times faster. Timestamps are stored as measured; steps/metrics multiplies every interval and window by this, so reported metrics are in simulated time.
   */
  time_scale?: number;
  /**
   * Wire API the adapter used (completions, chat, generate_stream, openai).
   */
  api?: string;
  /**
   * When the schedule meant to send the request (epoch ms). Latency from here includes client-side queueing (coordinated omission).
   */
  intended_send_ms: number;
  /**
   * When the request was actually written to the connection (epoch ms).
   */
  sent_ms: number;
  /**
   * When the response status line and headers arrived (epoch ms); null if they never did.
   */
  headers_ms?: number | null;
  /**
   * Arrival time (epoch ms) of every chunk that carried output text or tokens, in order. Usage-only chunks, keep-alives and [DONE] are not included.
   */
  chunk_ms: number[];
  /**
   * Output tokens carried by each chunk of chunk_ms (same length). From the server when it says (TGI: one token per event), otherwise from the client tokenizer on the chunk's text without special tokens.
   */
  chunk_tokens: number[];
  /**
   * When the response ended: last byte, stream close or failure (epoch ms).
   */
  end_ms: number | null;
  input_tokens: {
    /**
     * Prompt length the workload asked for, in tokens (null for dataset prompts without a target).
     */
    requested: number | null;
    /**
     * Prompt length counted by the client tokenizer.
     */
    client: number | null;
    /**
     * Prompt length reported by the server (usage.prompt_tokens, details.input_length or num_input_tokens); null if not reported.
     */
    server: number | null;
  };
  output_tokens: {
    /**
     * max_tokens / max_new_tokens asked for.
     */
    requested: number | null;
    /**
     * Output tokens counted by the server (usage.completion_tokens, details.generated_tokens, num_output_tokens); null if the server did not say.
     */
    server: number | null;
    /**
     * Output tokens counted by the client tokenizer on the joined output text, without special tokens.
     */
    client: number | null;
  };
  /**
   * Why generation stopped, as the server said (length, stop, eos_token, …).
   */
  finish_reason?: string | null;
  /**
   * True when the request completed without error. Failed requests are samples too: they count in the error rate and are excluded from latency statistics.
   */
  ok: boolean;
  error: null | {
    /**
     * Stable error category: timeout (per-request deadline), connect_refused, connect_reset (reset or socket closed early), http_4xx / http_5xx (status), stream_error_event (server sent an error event, possibly under HTTP 200), stream_truncated (stream ended without its terminal event), malformed_chunk (unparseable JSON in a chunk, or one SSE line/event over the size bound), stalled (no output event for the stall timeout, keep-alive comments and other bytes included; before the first event this is the TTFT deadline), no_output (completed with zero output tokens), output_overflow (the server sent more output than a bound, a multiple of the requested tokens: cut), cancelled (sweep stopped), client_error (bug or resource limit in the generator), other.
     */
    category:
      | 'timeout'
      | 'connect_refused'
      | 'connect_reset'
      | 'http_4xx'
      | 'http_5xx'
      | 'stream_error_event'
      | 'stream_truncated'
      | 'malformed_chunk'
      | 'stalled'
      | 'no_output'
      | 'output_overflow'
      | 'cancelled'
      | 'client_error'
      | 'other';
    /**
     * Human-readable detail (redacted, truncated to 500 characters).
     */
    message: string;
    /**
     * HTTP status, when one was received.
     */
    http_status?: number | null;
  };
  /**
   * Optional server-reported timings in ms (e.g. queue time from response headers), keyed by name.
   */
  server_timing?: {
    [k: string]: number;
  };
}
