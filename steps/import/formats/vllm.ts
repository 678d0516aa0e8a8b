/**
 * vLLM's serving benchmark results (`vllm bench serve --save-result`, and benchmark_serving.py before it), in the
 * keys of the `result` dict of vllm/benchmarks/serve.py:
 * - with per-request detail (`--save-detailed`; always in benchmark_serving.py before 0.9): `ttfts` (s), `itls` (s,
 *   one list per request), `output_lens`, `errors`;
 * - without it (the default of `vllm bench serve`): only `completed`, `failed`, `duration`, token totals and
 *   `mean_/median_/std_/pNN_{ttft,tpot,itl,e2el}_ms`;
 * - `--append-result`: one such JSON document per line (JSON lines), each its own trial.
 * `request_rate` is a number or the string "inf"; `max_concurrency` null when uncapped.
 * `--metadata KEY=VALUE` items become top-level keys with string values (`result_json[kvstring[0].strip()] =
 * kvstring[1].strip()` in vllm-project/vllm benchmarks/benchmark_serving.py @ 0049e29c41fd and
 * vllm/benchmarks/serve.py @ 009e6d4a1cd6): they, and `--label`, tell runs apart (steps/import/identity.ts).
 */
import { stats, type Stats } from '../../metrics/derive.js';
import { BOUNDS, isNum, isObj, type Checker, type Obj, type StatKeys } from '../check.js';
import { metrics, sha, str, type ImportedTrial, type ImportFinding, type Parser } from './common.js';

const DETAIL = ['ttfts', 'itls', 'output_lens'];

/**
 * Top-level keys vLLM writes itself (benchmark_serving.py 0.6–0.9, vllm/benchmarks/serve.py 0.9+), besides the
 * `{mean,median,std,pNN}_<metric>_ms` statistics. Any other key with a string (or, in modified copies of the
 * script, boolean) value is a `--metadata` item; unknown numbers are results we do not read, never labels.
 */
const RESULT_KEYS = new Set([
  ...['date', 'endpoint_type', 'backend', 'label', 'model_id', 'tokenizer_id', 'best_of', 'use_beam_search'],
  ...['num_prompts', 'request_rate', 'burstiness', 'max_concurrency', 'ignore_eos', 'read_timeout', 'retries'],
  ...['ramp_up_strategy', 'ramp_up_start_rps', 'ramp_up_end_rps', 'base_url'],
  ...['duration', 'completed', 'failed', 'total_input_tokens', 'total_output_tokens', 'request_throughput'],
  ...['request_goodput', 'request_goodput:', 'output_throughput', 'total_token_throughput'],
  ...['max_output_tokens_per_s', 'max_concurrent_requests'],
  ...['input_lens', 'output_lens', 'start_times', 'ttfts', 'itls', 'generated_texts', 'errors'],
]);
const STAT_KEY = /^(mean|median|std|p\d+(\.\d+)?)_\w+_ms$/;

const COUNTS = ['duration', 'completed', 'total_output_tokens'];
const latencyOnly = (doc: Obj) =>
  COUNTS.every((k) => doc[k] === undefined || doc[k] === null) && Object.keys(doc).some((k) => STAT_KEY.test(k));

function identity(doc: Obj): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof doc.label === 'string' && doc.label) out.label = doc.label;
  for (const [k, v] of Object.entries(doc))
    if (!RESULT_KEYS.has(k) && !STAT_KEY.test(k) && (typeof v === 'string' || typeof v === 'boolean'))
      out[k] = String(v);
  return out;
}

function loadPoint(doc: Obj, c: Checker, path: string, n: number) {
  const findings: ImportFinding[] = [];
  const maxConc = doc.max_concurrency == null ? null : c.concurrency(doc.max_concurrency, `${path}/max_concurrency`);
  const rr = doc.request_rate;
  let rate: number | null = null;
  if (isNum(rr)) rate = c.rate(rr, `${path}/request_rate`);
  else if (rr !== undefined && rr !== null && rr !== 'inf' && rr !== 'Infinity')
    c.add(`${path}/request_rate`, `must be a number or "inf" (got ${JSON.stringify(rr)})`);
  // A concurrency cap with a finite rate is a rate point whose cap we note; no cap and an infinite rate sends every
  // prompt at once, i.e. concurrency = number of prompts.
  const prompts = doc.num_prompts === undefined ? n : c.count(doc, 'num_prompts', path);
  const concurrency = rate !== null ? null : (maxConc ?? prompts);
  if (rate !== null && maxConc !== null)
    findings.push({
      concurrency,
      rate,
      code: 'load-point-capped',
      severity: 'info',
      message: `request rate ${rate}/s capped at ${maxConc} in flight: filed as the rate point`,
    });
  if (maxConc === null && rate === null && concurrency !== null)
    findings.push({
      concurrency,
      rate,
      code: 'load-point-inferred',
      severity: 'info',
      message: `no max_concurrency and an infinite request rate: filed as concurrency ${concurrency} (all prompts at once)`,
    });
  return { concurrency: concurrency === 0 ? null : concurrency, rate, findings };
}

function detailed(doc: Obj, c: Checker, path: string) {
  const arr = (k: string) =>
    Array.isArray(doc[k]) ? (doc[k] as unknown[]) : (c.add(`${path}/${k}`, 'must be an array'), []);
  const ttfts = arr('ttfts'),
    itls = arr('itls'),
    outLens = arr('output_lens');
  const errors = Array.isArray(doc.errors) ? doc.errors : [];
  const n = ttfts.length;
  if (itls.length !== n || outLens.length !== n)
    c.add(
      `${path}/itls`,
      `ttfts (${n}), itls (${itls.length}) and output_lens (${outLens.length}) must have one entry per request`,
    );
  const ttft: number[] = [],
    e2e: number[] = [],
    tpot: number[] = [],
    itl: number[] = [];
  let ok = 0,
    out = 0;
  for (let i = 0; i < n; i++) {
    if (typeof errors[i] === 'string' && (errors[i] as string).length > 0) continue;
    const len = c.value(outLens[i], `${path}/output_lens/${i}`, { min: 0, max: BOUNDS.tokens, integer: true }) ?? 0;
    const t = c.value(ttfts[i], `${path}/ttfts/${i}`, { min: 0, max: BOUNDS.latencyMs / 1000 });
    const gapsRaw = Array.isArray(itls[i]) ? (itls[i] as unknown[]) : [];
    const gaps = gapsRaw.map(
      (g, j) => c.value(g, `${path}/itls/${i}/${j}`, { min: 0, max: BOUNDS.latencyMs / 1000 }) ?? 0,
    );
    ok++;
    out += len;
    if (t === null) continue;
    const total = t + gaps.reduce((a, b) => a + b, 0);
    ttft.push(t * 1000);
    e2e.push(total * 1000);
    for (const g of gaps) itl.push(g * 1000);
    if (len >= 2) tpot.push(((total - t) * 1000) / (len - 1));
  }
  return { n, ok, out, ttft, e2e, tpot, itl };
}

const keysOf = (doc: Obj, m: string): StatKeys => ({
  mean: `mean_${m}_ms`,
  stddev: `std_${m}_ms`,
  p50: `median_${m}_ms` in doc ? `median_${m}_ms` : `p50_${m}_ms`,
  p90: `p90_${m}_ms`,
  p95: `p95_${m}_ms`,
  p99: `p99_${m}_ms`,
});

type Detailed = ReturnType<typeof detailed>;
type Summaries = Record<'ttft' | 'tpot' | 'itl' | 'e2e', Stats>;
type At = { concurrency: number | null; rate: number | null };

/** Failures from the per-request records, checked against the file's own counts and mean. */
function detailedFailures(d: Detailed, completed: number, failedClaim: number | null, s: Summaries, at: At) {
  const findings: ImportFinding[] = [];
  const bad = (message: string, count?: number, severity: ImportFinding['severity'] = 'error') =>
    findings.push({ ...at, code: 'claim-contradiction', severity, ...(count === undefined ? {} : { count }), message });
  const failed = d.n - d.ok;
  if (d.ok !== completed)
    bad(
      `'completed' says ${completed} but ${d.ok} of ${d.n} per-request records succeeded`,
      Math.abs(d.ok - completed),
    );
  if (failedClaim !== null && failedClaim !== failed)
    bad(`'failed' says ${failedClaim} but ${failed} per-request records failed`, Math.abs(failedClaim - failed));
  const mean = s.ttft.mean;
  const got = d.ttft.length ? stats(d.ttft).mean! : null;
  if (mean !== null && got !== null && Math.abs(got - mean) > Math.max(0.5, 0.01 * mean))
    bad(`mean_ttft_ms says ${mean} but the per-request ttfts give ${got.toFixed(2)}`, undefined, 'warning');
  return { failed, findings };
}

/** Failures of a summary-only file: `failed` when saved, else the prompts that did not complete. */
function summaryFailures(doc: Obj, completed: number, failedClaim: number | null, at: At) {
  const findings: ImportFinding[] = [];
  const prompts = isNum(doc.num_prompts) ? doc.num_prompts : null;
  const failed = failedClaim ?? (prompts !== null && prompts >= completed ? prompts - completed : 0);
  if (failedClaim === null && prompts !== null)
    findings.push({
      ...at,
      code: 'failed-inferred',
      severity: 'info',
      message: `no 'failed' in the file: num_prompts ${prompts} − completed ${completed} = ${failed}`,
    });
  findings.push({
    ...at,
    code: 'summary-only',
    severity: 'info',
    message:
      "saved without --save-detailed: TTFT/TPOT/ITL/E2E are the file's own summaries (no min/max, percentiles as saved); trials cannot be pooled exactly",
  });
  return { failed, findings };
}

function parseOne(doc: unknown, c: Checker, path: string): ImportedTrial[] {
  if (!isObj(doc)) return (c.add(path, 'must be a JSON object'), []);
  if (latencyOnly(doc)) {
    // A point needs its counts and duration (throughput is derived from them): refused, never filled with zeros.
    c.add(
      path,
      "has latency summaries (mean/median/p99 TTFT, TPOT, ITL) but no 'duration', 'completed' or 'total_output_tokens': request counts and throughput are unknown, and an imported load point needs them — import a file saved with --save-result that has them",
    );
    return [];
  }
  const duration = c.durationS(doc, 'duration', path);
  const completed = c.count(doc, 'completed', path);
  const failedClaim = c.count(doc, 'failed', path, false);
  const d = DETAIL.some((k) => k in doc) ? detailed(doc, c, path) : null;
  const lp = loadPoint(doc, c, path, d?.n ?? completed ?? 0);
  const at = { concurrency: lp.concurrency, rate: lp.rate };
  const totalOut = c.num(doc, 'total_output_tokens', path, { min: 0, max: BOUNDS.tokens, integer: true, required: !d });
  const n = completed ?? 0;
  const s: Summaries = {
    ttft: c.stats(doc, path, keysOf(doc, 'ttft'), n),
    tpot: c.stats(doc, path, keysOf(doc, 'tpot'), n),
    // The chunk count is not saved: the request count is a floor for ITL's n.
    itl: c.stats(doc, path, keysOf(doc, 'itl'), n),
    e2e: c.stats(doc, path, keysOf(doc, 'e2el'), n),
  };
  if (!c.ok || duration === null || completed === null) return [];
  const f = d ? detailedFailures(d, completed, failedClaim, s, at) : summaryFailures(doc, completed, failedClaim, at);
  const ok = d ? d.ok : completed;
  const out = d ? d.out : totalOut!;
  const findings: ImportFinding[] = [...lp.findings, ...f.findings];
  findings.push({
    ...at,
    code: 'token-count-unverified',
    severity: 'info',
    message: 'vLLM bench output lengths: server usage or client tokenizer, the file does not say which',
  });
  const dist = d ? { ttft: stats(d.ttft), e2e: stats(d.e2e), tpot: stats(d.tpot), itl: stats(d.itl) } : s;
  const m = metrics(
    {
      completed: ok,
      failed: f.failed,
      output_tokens_total: out,
      ...{ ttft_ms: dist.ttft, e2e_ms: dist.e2e, tpot_ms: dist.tpot, itl_ms: dist.itl },
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
  const model = str(doc.model_id);
  // What the file says of the workload: the model and its tokenizer (the dataset is not recorded). num_prompts and
  // total_input_tokens grow with the rate in every real sweep (rate × duration prompts), so they are load, not
  // workload: with them each point of one sweep was a "different workload" (nerdalert-append-results.jsonl).
  const fingerprint = sha({ model, tokenizer: str(doc.tokenizer_id) });
  return [
    {
      server: null,
      // Only a URL names the target; `backend`/`endpoint_type` name the protocol and change across versions.
      target: str(doc.base_url),
      ...at,
      model,
      toolVersion: d ? 'vllm-detailed' : 'vllm-summary',
      workload: {
        fingerprint: `vllm-bench:${fingerprint.slice(0, 32)}`,
        input_tokens: null,
        output_tokens: null,
        dataset: 'vllm bench serve',
      },
      metrics: m,
      raw: d ? { ttft: d.ttft, e2e: d.e2e, tpot: d.tpot, itl: d.itl } : undefined,
      findings,
      identity: identity(doc),
    },
  ];
}

export const parseVllm: Parser = (input, c) =>
  input.kind === 'document'
    ? parseOne(input.doc, c, '')
    : input.records.flatMap((r) => {
        c.line = r.line;
        const t = parseOne(r.doc, c, '').map((x) => ({ ...x, line: r.line }));
        c.line = undefined;
        return t;
      });
