/**
 * Parsers for other tools' result files. Each turns one file into trials of load points, mapping the source's
 * metric names onto ours (design.md definitions). What the source did not measure stays unknown (n = 0, nulls),
 * never guessed; contradictions inside a file become findings.
 */
import { createHash } from 'node:crypto';
import { stats, type Metrics, type Stats } from '../metrics/derive.js';

export type Format = 'seed' | 'vllm' | 'guidellm' | 'aiperf';
export const FORMATS: Format[] = ['seed', 'vllm', 'guidellm', 'aiperf'];

export interface ImportFinding {
  code: string;
  severity: 'info' | 'warning' | 'error';
  message: string;
  concurrency?: number | null;
  rate?: number | null;
  count?: number;
}

export interface ImportedTrial {
  backend: string;
  concurrency: number | null;
  rate: number | null;
  model: string | null;
  /** Identity of what was asked, as far as the source tells. */
  workload: { fingerprint: string; input_tokens: number | null; output_tokens: number | null; dataset: string };
  metrics: Metrics;
  /** Raw per-request values when the source kept them (for exact pooling over trials). */
  raw?: { ttft?: number[]; e2e?: number[]; tpot?: number[]; itl?: number[] };
  findings: ImportFinding[];
}

export class FormatError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

export const UNKNOWN: Stats = {
  n: 0,
  mean: null,
  stddev: null,
  min: null,
  max: null,
  p50: null,
  p90: null,
  p95: null,
  p99: null,
};
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const sha = (x: unknown) => createHash('sha256').update(JSON.stringify(x)).digest('hex');

function need(o: Record<string, unknown>, key: string, path: string): unknown {
  if (!(key in o)) throw new FormatError(`${path}/${key}`, 'is required');
  return o[key];
}
function needNum(o: Record<string, unknown>, key: string, path: string): number {
  const v = num(need(o, key, path));
  if (v === null) throw new FormatError(`${path}/${key}`, 'must be a number');
  return v;
}
function needObj(o: Record<string, unknown>, key: string, path: string): Record<string, unknown> {
  const v = need(o, key, path);
  if (!isObj(v)) throw new FormatError(`${path}/${key}`, 'must be an object');
  return v;
}

function metrics(
  m: Partial<Metrics> & Pick<Metrics, 'completed' | 'failed' | 'output_tokens_total'>,
  durationS: number | null,
): Metrics {
  const per = (x: number) => (durationS && durationS > 0 ? x / durationS : 0);
  const total = m.completed + m.failed;
  return {
    error_rate: total ? m.failed / total : 0,
    errors_by_category: {},
    duration_s: durationS ?? 0,
    output_tokens_per_s: per(m.output_tokens_total),
    requests_per_s: per(m.completed),
    goodput_requests_per_s: null,
    ttft_ms: UNKNOWN,
    itl_ms: UNKNOWN,
    tpot_ms: UNKNOWN,
    e2e_ms: UNKNOWN,
    ...m,
  } as Metrics;
}

// ---- the original framework (seed) -----------------------------------------------------------------------

/**
 * The seed's result JSON. Its Triton client counted whitespace-separated words, not tokens; its TGI counts came
 * from `details`; it measured no TTFT (it later guessed it as half the latency — never imported).
 */
export function parseSeed(doc: unknown): ImportedTrial[] {
  if (!isObj(doc)) throw new FormatError('', 'must be a JSON object');
  const backend = String(need(doc, 'backend', '')).toLowerCase();
  const config = needObj(doc, 'config', '');
  const st = needObj(doc, 'statistics', '');
  const lat = needObj(st, 'latency_ms', '/statistics');
  const tput = needObj(st, 'throughput', '/statistics');
  const tok = needObj(st, 'tokens', '/statistics');
  const concurrency = needNum(config, 'concurrency', '/config');
  const maxTokens = num(config.max_tokens);
  const iterations = num(config.iterations);
  const ok = needNum(st, 'successful_requests', '/statistics');
  const failed = needNum(st, 'failed_requests', '/statistics');
  const errPct = num(st.error_rate_percent);
  const totalTime = needNum(st, 'total_time_sec', '/statistics');
  const rawLat = Array.isArray(doc.raw_latencies)
    ? (doc.raw_latencies as unknown[]).map(num).filter((x): x is number => x !== null)
    : [];
  const rawTok = Array.isArray(doc.raw_tokens)
    ? (doc.raw_tokens as unknown[]).map(num).filter((x): x is number => x !== null)
    : [];
  const findings: ImportFinding[] = [];
  const at = { concurrency, rate: null };

  // Failures that contradict the claimed success rate.
  const claimed = errPct;
  const actual = ok + failed > 0 ? (failed / (ok + failed)) * 100 : 0;
  if (claimed !== null && Math.abs(claimed - actual) > 0.5)
    findings.push({
      ...at,
      code: 'claim-contradiction',
      severity: 'error',
      count: failed,
      message: `the file claims a ${claimed} % error rate but lists ${failed} failed of ${ok + failed} requests (${actual.toFixed(1)} %)`,
    });
  if (iterations !== null && ok + failed !== iterations)
    findings.push({
      ...at,
      code: 'claim-contradiction',
      severity: 'error',
      count: Math.abs(iterations - ok - failed),
      message: `${iterations} iterations configured but ${ok} successful + ${failed} failed = ${ok + failed} accounted for: ${iterations - ok - failed} requests are missing`,
    });
  if (rawLat.length && rawLat.length !== ok)
    findings.push({
      ...at,
      code: 'claim-contradiction',
      severity: 'error',
      count: Math.abs(rawLat.length - ok),
      message: `${ok} successful requests claimed but ${rawLat.length} raw latencies recorded`,
    });
  if ('ttft_ms' in st || 'time_to_first_token_ms' in st || 'ttft' in st)
    findings.push({
      ...at,
      code: 'ttft-not-measured',
      severity: 'info',
      message: 'the seed did not measure TTFT (its TTFT figure was half the latency): ignored, TTFT is unknown',
    });

  // Latencies: raw values (ms in the seed; detect seconds) through steps/metrics, else the file's own summary.
  let e2e: Stats;
  let rawE2e: number[] | undefined;
  if (rawLat.length) {
    const med = num(lat.median) ?? num(lat.p50);
    const scale =
      med !== null && Math.abs(stats(rawLat).p50! * 1000 - med) < Math.abs(stats(rawLat).p50! - med) ? 1000 : 1;
    rawE2e = rawLat.map((x) => x * scale);
    e2e = stats(rawE2e);
  } else {
    e2e = {
      n: ok,
      mean: num(lat.mean),
      stddev: null,
      min: num(lat.min),
      max: num(lat.max),
      p50: num(lat.p50) ?? num(lat.median),
      p90: num(lat.p90),
      p95: num(lat.p95),
      p99: num(lat.p99),
    };
  }

  const outTotal = rawTok.length ? rawTok.reduce((a, b) => a + b, 0) : (num(tok.total_generated) ?? 0);
  const words = backend.includes('triton');
  const serverCounted = words ? 0 : ok;
  const shortfall = maxTokens !== null && rawTok.length ? rawTok.filter((t) => t < maxTokens).length : 0;
  if (words)
    findings.push({
      ...at,
      code: 'token-count-unverified',
      severity: 'warning',
      count: ok,
      message:
        'the seed counted Triton output as whitespace-separated words, not tokens: throughput in tokens/s is not comparable',
    });
  const claimedTps = num(tput.tokens_per_sec);
  const tps = totalTime > 0 ? outTotal / totalTime : 0;
  if (claimedTps !== null && tps > 0 && Math.abs(claimedTps - tps) / tps > 0.02)
    findings.push({
      ...at,
      code: 'claim-contradiction',
      severity: 'warning',
      message: `claimed ${claimedTps.toFixed(1)} tokens/s, but its own token total over its total time gives ${tps.toFixed(1)}`,
    });
  const m = metrics(
    {
      completed: ok,
      failed,
      output_tokens_total: Math.round(outTotal),
      e2e_ms: e2e,
      tokens: {
        server_counted: serverCounted,
        client_counted: 0,
        mismatched: 0,
        shortfall,
        mean_output_tokens: ok ? outTotal / ok : null,
      },
    },
    totalTime,
  );
  return [
    {
      backend,
      concurrency,
      rate: null,
      model: null,
      workload: {
        fingerprint: `seed:${sha({ max_tokens: maxTokens, warmup: num(config.warmup) }).slice(0, 32)}`,
        input_tokens: null,
        output_tokens: maxTokens,
        dataset: 'seed (prompt not recorded)',
      },
      metrics: m,
      raw: rawE2e ? { e2e: rawE2e } : undefined,
      findings,
    },
  ];
}

// ---- vLLM `vllm bench serve --save-result` ----------------------------------------------------------------

/** vLLM's saved result: per-request ttfts (s), itls (s, one per chunk), output_lens, errors; one load point. */
export function parseVllm(doc: unknown): ImportedTrial[] {
  if (!isObj(doc)) throw new FormatError('', 'must be a JSON object');
  const duration = needNum(doc, 'duration', '');
  const completedClaim = needNum(doc, 'completed', '');
  const ttfts = need(doc, 'ttfts', '') as unknown[];
  const itls = need(doc, 'itls', '') as unknown[];
  const outLens = need(doc, 'output_lens', '') as unknown[];
  if (!Array.isArray(ttfts) || !Array.isArray(itls) || !Array.isArray(outLens))
    throw new FormatError('/ttfts', 'ttfts, itls and output_lens must be arrays');
  const errors = Array.isArray(doc.errors) ? (doc.errors as unknown[]) : [];
  const success = Array.isArray(doc.request_success) ? (doc.request_success as unknown[]) : null;
  const isOk = (i: number) =>
    success ? success[i] === true : !(typeof errors[i] === 'string' && (errors[i] as string).length > 0);
  const n = ttfts.length;
  const ttft: number[] = [],
    e2e: number[] = [],
    tpot: number[] = [],
    itl: number[] = [];
  let ok = 0,
    out = 0;
  for (let i = 0; i < n; i++) {
    if (!isOk(i)) continue;
    ok++;
    const t = num(ttfts[i]);
    const gaps = Array.isArray(itls[i]) ? (itls[i] as unknown[]).map(num).filter((x): x is number => x !== null) : [];
    const len = num(outLens[i]) ?? 0;
    out += len;
    if (t === null) continue;
    ttft.push(t * 1000);
    const total = t + gaps.reduce((a, b) => a + b, 0);
    e2e.push(total * 1000);
    for (const g of gaps) itl.push(g * 1000);
    if (len >= 2) tpot.push(((total - t) * 1000) / (len - 1));
  }
  const failed = n - ok;
  const findings: ImportFinding[] = [];
  const maxConc = num(doc.max_concurrency);
  const rateRaw = doc.request_rate;
  const rate = maxConc === null && typeof rateRaw === 'number' && Number.isFinite(rateRaw) ? rateRaw : null;
  // No cap and an infinite rate: every prompt was sent at once, i.e. concurrency = number of prompts.
  const concurrency = maxConc ?? (rate === null ? (num(doc.num_prompts) ?? n) : null);
  const at = { concurrency, rate };
  if (maxConc === null && rate === null)
    findings.push({
      ...at,
      code: 'load-point-inferred',
      severity: 'info',
      message: `no max_concurrency and an infinite request rate: filed as concurrency ${concurrency} (all prompts at once)`,
    });
  const claimedMean = num(doc.mean_ttft_ms);
  if (
    claimedMean !== null &&
    ttft.length &&
    Math.abs(stats(ttft).mean! - claimedMean) > Math.max(0.5, 0.01 * claimedMean)
  )
    findings.push({
      ...at,
      code: 'claim-contradiction',
      severity: 'warning',
      message: `mean_ttft_ms says ${claimedMean} but the per-request ttfts give ${stats(ttft).mean!.toFixed(2)}`,
    });
  if (ok !== completedClaim)
    findings.push({
      ...at,
      code: 'claim-contradiction',
      severity: 'error',
      count: Math.abs(ok - completedClaim),
      message: `'completed' says ${completedClaim} but ${ok} of ${n} per-request records succeeded`,
    });
  const failedClaim = num(doc.failed);
  if (failedClaim !== null && failedClaim !== failed)
    findings.push({
      ...at,
      code: 'claim-contradiction',
      severity: 'error',
      count: Math.abs(failedClaim - failed),
      message: `'failed' says ${failedClaim} but ${failed} per-request records failed`,
    });
  findings.push({
    ...at,
    code: 'token-count-unverified',
    severity: 'info',
    message: 'vLLM bench output_lens: server usage or client tokenizer, the file does not say which',
  });
  const inLens = Array.isArray(doc.input_lens) ? (doc.input_lens as unknown[]).map(num) : [];
  const m = metrics(
    {
      completed: ok,
      failed,
      output_tokens_total: out,
      ttft_ms: stats(ttft),
      e2e_ms: stats(e2e),
      tpot_ms: stats(tpot),
      itl_ms: stats(itl),
      tokens: {
        server_counted: 0,
        client_counted: ok,
        mismatched: 0,
        shortfall: 0,
        mean_output_tokens: ok ? out / ok : null,
      },
    },
    duration,
  );
  const backend = String(doc.backend ?? doc.endpoint_type ?? 'vllm');
  return [
    {
      backend: backend === 'openai' || backend === 'openai-chat' ? 'vllm' : backend,
      concurrency: at.concurrency,
      rate,
      model: typeof doc.model_id === 'string' ? doc.model_id : null,
      workload: {
        fingerprint: `vllm-bench:${sha({ model: doc.model_id, input_lens: inLens, num_prompts: doc.num_prompts }).slice(0, 32)}`,
        input_tokens: null,
        output_tokens: null,
        dataset: 'vllm bench serve',
      },
      metrics: m,
      raw: { ttft, e2e, tpot, itl },
      findings,
    },
  ];
}

// ---- guidellm benchmarks.json --------------------------------------------------------------------------------

function glStats(x: unknown, scale = 1): Stats {
  const s = isObj(x) && isObj(x.successful) ? x.successful : null;
  if (!s) return UNKNOWN;
  const p = isObj(s.percentiles) ? s.percentiles : {};
  const f = (v: unknown) => (num(v) === null ? null : num(v)! * scale);
  return {
    n: num(s.count) ?? 0,
    mean: f(s.mean),
    stddev: f(s.std_dev),
    min: f(s.min),
    max: f(s.max),
    p50: f(p.p50) ?? f(s.median),
    p90: f(p.p90),
    p95: f(p.p95),
    p99: f(p.p99),
  };
}

/**
 * guidellm's benchmarks JSON: one entry per strategy. Its `inter_token_latency_ms` is (E2E − TTFT)/(N − 1), which
 * is our TPOT; its `time_per_output_token_ms` includes the first token and is not imported; it records no chunk
 * times, so per-chunk ITL is unknown. request_latency is in seconds.
 */
export function parseGuidellm(doc: unknown): ImportedTrial[] {
  if (!isObj(doc)) throw new FormatError('', 'must be a JSON object');
  const benches = need(doc, 'benchmarks', '');
  if (!Array.isArray(benches) || !benches.length) throw new FormatError('/benchmarks', 'must be a non-empty array');
  return benches.map((b, i) => {
    const path = `/benchmarks/${i}`;
    if (!isObj(b)) throw new FormatError(path, 'must be an object');
    const m = needObj(b, 'metrics', path);
    const args = isObj(b.args) ? b.args : isObj(b.config) ? b.config : {};
    const strategy = (isObj(args.strategy) ? args.strategy : isObj(b.strategy) ? b.strategy : {}) as Record<
      string,
      unknown
    >;
    const kind = String(strategy.type_ ?? strategy.type ?? '');
    const concurrency = kind === 'synchronous' ? 1 : kind === 'concurrent' ? num(strategy.streams) : null;
    const rate = concurrency === null ? num(strategy.rate) : null;
    if (concurrency === null && rate === null)
      throw new FormatError(
        `${path}/args/strategy`,
        `strategy '${kind || '?'}' has no fixed concurrency or rate (throughput/sweep probes are not comparable points)`,
      );
    const totals = isObj(m.request_totals) ? m.request_totals : {};
    const ok =
      num(totals.successful) ??
      (isObj(totals.successful) ? num(totals.successful.count) : null) ??
      glStats(m.request_latency).n;
    const failed = (num(totals.errored) ?? num(totals.failed) ?? 0) + (num(totals.incomplete) ?? 0);
    const outCount =
      isObj(m.output_token_count) && isObj(m.output_token_count.successful)
        ? num(m.output_token_count.successful.total_sum)
        : null;
    const start = num(b.start_time),
      end = num(b.end_time);
    const duration = num(b.duration) ?? (start !== null && end !== null ? end - start : null);
    const findings: ImportFinding[] = [];
    const at = { concurrency, rate };
    if (outCount === null)
      findings.push({
        ...at,
        code: 'token-count-unverified',
        severity: 'warning',
        message: 'no output token total in the file',
      });
    const tps = glStats(m.output_tokens_per_second);
    const mm = metrics(
      {
        completed: ok,
        failed,
        output_tokens_total: Math.round(outCount ?? 0),
        ttft_ms: glStats(m.time_to_first_token_ms),
        tpot_ms: glStats(m.inter_token_latency_ms),
        e2e_ms: glStats(m.request_latency, 1000),
        tokens: {
          server_counted: 0,
          client_counted: outCount === null ? 0 : ok,
          mismatched: 0,
          shortfall: 0,
          mean_output_tokens: ok && outCount !== null ? outCount / ok : null,
        },
      },
      duration,
    );
    if (!(duration && duration > 0) && tps.mean !== null) mm.output_tokens_per_s = tps.mean; // no window in the file: its own rate
    const model = isObj(b.worker) && typeof b.worker.backend_model === 'string' ? b.worker.backend_model : null;
    const data = JSON.stringify(
      args.data ?? (isObj(doc.args) ? (doc.args as Record<string, unknown>).data : null) ?? null,
    );
    return {
      backend: String((isObj(b.worker) && b.worker.backend_type) || 'openai'),
      concurrency,
      rate,
      model,
      workload: {
        fingerprint: `guidellm:${sha({ data, model }).slice(0, 32)}`,
        input_tokens: null,
        output_tokens: null,
        dataset: 'guidellm',
      },
      metrics: mm,
      findings,
    };
  });
}

// ---- AIPerf profile_export_aiperf.json -----------------------------------------------------------------------

function apStats(x: unknown, n: number): Stats {
  if (!isObj(x)) return UNKNOWN;
  return {
    n,
    mean: num(x.avg),
    stddev: num(x.std),
    min: num(x.min),
    max: num(x.max),
    p50: num(x.p50),
    p90: num(x.p90),
    p95: num(x.p95),
    p99: num(x.p99),
  };
}

/**
 * AIPerf's aggregated export. AIPerf's `inter_token_latency` is (E2E − TTFT)/(N − 1): our TPOT. Per-chunk ITL is
 * `inter_chunk_latency` when present. Failures come from error_request_count or the error summary.
 */
export function parseAiperf(doc: unknown): ImportedTrial[] {
  if (!isObj(doc)) throw new FormatError('', 'must be a JSON object');
  const rec = isObj(doc.records) ? doc.records : doc; // older exports nest metrics under "records"
  const count = isObj(rec.request_count) ? num(rec.request_count.avg) : null;
  if (count === null) throw new FormatError('/request_count', 'is required (request_count.avg)');
  const errSummary = Array.isArray(doc.error_summary) ? (doc.error_summary as unknown[]) : [];
  const errFromSummary = errSummary.reduce<number>((a, e) => a + (isObj(e) ? (num(e.count) ?? 0) : 0), 0);
  const errCount =
    (isObj(rec.error_request_count) ? num(rec.error_request_count.avg) : num(rec.error_request_count)) ??
    errFromSummary;
  const cfg = isObj(doc.input_config) ? doc.input_config : {};
  const lg = isObj(cfg.loadgen) ? cfg.loadgen : {};
  const concurrency = num(lg.concurrency);
  const rate = concurrency === null ? num(lg.request_rate) : null;
  const at = { concurrency: concurrency ?? (rate === null ? 1 : null), rate };
  const findings: ImportFinding[] = [];
  if (errCount !== errFromSummary && errSummary.length)
    findings.push({
      ...at,
      code: 'claim-contradiction',
      severity: 'warning',
      message: `error_request_count ${errCount} but the error summary lists ${errFromSummary}`,
    });
  if (doc.was_cancelled === true)
    findings.push({
      ...at,
      code: 'run-cancelled',
      severity: 'error',
      message: 'the AIPerf run was cancelled before it finished',
    });
  const durationS = isObj(rec.benchmark_duration) ? num(rec.benchmark_duration.avg) : null;
  const osl = isObj(rec.total_osl) ? num(rec.total_osl.avg) : null;
  const ok = count;
  const m = metrics(
    {
      completed: ok,
      failed: errCount,
      output_tokens_total: Math.round(osl ?? 0),
      ttft_ms: apStats(rec.time_to_first_token, ok),
      tpot_ms: apStats(rec.inter_token_latency, ok),
      itl_ms: apStats(rec.inter_chunk_latency, 0),
      e2e_ms: apStats(rec.request_latency, ok),
      tokens: {
        server_counted: 0,
        client_counted: osl === null ? 0 : ok,
        mismatched: 0,
        shortfall: 0,
        mean_output_tokens: isObj(rec.output_sequence_length) ? num(rec.output_sequence_length.avg) : null,
      },
    },
    durationS,
  );
  if (m.itl_ms.mean !== null) m.itl_ms = { ...m.itl_ms, n: ok }; // pooled chunk count unknown: the request count is a floor
  const ep = isObj(cfg.endpoint) ? cfg.endpoint : {};
  const model =
    Array.isArray(ep.model_names) && typeof ep.model_names[0] === 'string' ? (ep.model_names[0] as string) : null;
  const input = isObj(cfg.input) ? cfg.input : {};
  return [
    {
      backend: 'openai',
      concurrency: at.concurrency,
      rate,
      model,
      workload: {
        fingerprint: `aiperf:${sha({ model, input }).slice(0, 32)}`,
        input_tokens: null,
        output_tokens: null,
        dataset: 'aiperf',
      },
      metrics: m,
      findings,
    },
  ];
}

export const PARSERS: Record<Format, (doc: unknown) => ImportedTrial[]> = {
  seed: parseSeed,
  vllm: parseVllm,
  guidellm: parseGuidellm,
  aiperf: parseAiperf,
};
