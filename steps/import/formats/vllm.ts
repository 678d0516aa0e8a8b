/**
 * vLLM's serving benchmark results (`vllm bench serve --save-result`, and benchmark_serving.py before it), in the
 * keys of the `result` dict of vllm/benchmarks/serve.py:
 * - with per-request detail (`--save-detailed`; always in benchmark_serving.py before 0.9): `ttfts` (s), `itls` (s,
 *   one list per request), `output_lens`, `errors`;
 * - without it (the default of `vllm bench serve`): only `completed`, `failed`, `duration`, token totals and
 *   `mean_/median_/std_/pNN_{ttft,tpot,itl,e2el}_ms`;
 * - `--append-result`: one such JSON document per line (JSON lines), each its own trial.
 * `request_rate` is a number or the string "inf"; `max_concurrency` null when uncapped.
 */
import { stats } from '../../metrics/derive.js';
import { BOUNDS, isNum, isObj, type Checker, type Obj, type StatKeys } from '../check.js';
import { metrics, sha, str, type ImportedTrial, type ImportFinding, type Parser } from './common.js';

const DETAIL = ['ttfts', 'itls', 'output_lens'];

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

function parseOne(doc: unknown, c: Checker, path: string): ImportedTrial[] {
  if (!isObj(doc)) return (c.add(path, 'must be a JSON object'), []);
  const duration = c.durationS(doc, 'duration', path);
  const completed = c.count(doc, 'completed', path);
  const failedClaim = c.count(doc, 'failed', path, false);
  const isDetailed = DETAIL.some((k) => k in doc);
  const d = isDetailed ? detailed(doc, c, path) : null;
  const { concurrency, rate, findings } = loadPoint(doc, c, path, d?.n ?? completed ?? 0);
  const at = { concurrency, rate };
  const totalOut = c.num(doc, 'total_output_tokens', path, {
    min: 0,
    max: BOUNDS.tokens,
    integer: true,
    required: !isDetailed,
  });
  const n = completed ?? 0;
  const summary = {
    ttft: c.stats(doc, path, keysOf(doc, 'ttft'), n),
    tpot: c.stats(doc, path, keysOf(doc, 'tpot'), n),
    itl: c.stats(doc, path, keysOf(doc, 'itl'), n),
    e2e: c.stats(doc, path, keysOf(doc, 'e2el'), n),
  };
  if (!c.ok || duration === null || completed === null) return [];
  let failed: number;
  if (d) {
    failed = d.n - d.ok;
    if (d.ok !== completed)
      findings.push({
        ...at,
        code: 'claim-contradiction',
        severity: 'error',
        count: Math.abs(d.ok - completed),
        message: `'completed' says ${completed} but ${d.ok} of ${d.n} per-request records succeeded`,
      });
    if (failedClaim !== null && failedClaim !== failed)
      findings.push({
        ...at,
        code: 'claim-contradiction',
        severity: 'error',
        count: Math.abs(failedClaim - failed),
        message: `'failed' says ${failedClaim} but ${failed} per-request records failed`,
      });
    const mean = summary.ttft.mean;
    if (mean !== null && d.ttft.length && Math.abs(stats(d.ttft).mean! - mean) > Math.max(0.5, 0.01 * mean))
      findings.push({
        ...at,
        code: 'claim-contradiction',
        severity: 'warning',
        message: `mean_ttft_ms says ${mean} but the per-request ttfts give ${stats(d.ttft).mean!.toFixed(2)}`,
      });
  } else {
    const prompts = isNum(doc.num_prompts) ? doc.num_prompts : null;
    failed = failedClaim ?? (prompts !== null && prompts >= completed ? prompts - completed : 0);
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
    if (summary.itl.n) summary.itl = { ...summary.itl, n: completed }; // chunk count unknown: the request count is a floor
  }
  const ok = d ? d.ok : completed;
  const out = d ? d.out : totalOut!;
  findings.push({
    ...at,
    code: 'token-count-unverified',
    severity: 'info',
    message: 'vLLM bench output lengths: server usage or client tokenizer, the file does not say which',
  });
  const m = metrics(
    {
      completed: ok,
      failed,
      output_tokens_total: out,
      ttft_ms: d ? stats(d.ttft) : summary.ttft,
      e2e_ms: d ? stats(d.e2e) : summary.e2e,
      tpot_ms: d ? stats(d.tpot) : summary.tpot,
      itl_ms: d ? stats(d.itl) : summary.itl,
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
  return [
    {
      server: null,
      target: str(doc.base_url) ?? str(doc.endpoint_type) ?? str(doc.backend),
      concurrency,
      rate,
      model,
      toolVersion: isDetailed ? 'vllm-detailed' : 'vllm-summary',
      workload: {
        fingerprint: `vllm-bench:${sha({ model, num_prompts: doc.num_prompts ?? null, input: doc.total_input_tokens ?? null }).slice(0, 32)}`,
        input_tokens: null,
        output_tokens: null,
        dataset: 'vllm bench serve',
      },
      metrics: m,
      raw: d ? { ttft: d.ttft, e2e: d.e2e, tpot: d.tpot, itl: d.itl } : undefined,
      findings,
    },
  ];
}

export const parseVllm: Parser = (input, c) =>
  input.kind === 'document'
    ? parseOne(input.doc, c, '')
    : input.records.flatMap((r) => {
        c.line = r.line;
        const t = parseOne(r.doc, c, '');
        c.line = undefined;
        return t;
      });
