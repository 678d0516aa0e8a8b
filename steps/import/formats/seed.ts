/**
 * The original framework's (seed's) result files, in both shapes it wrote:
 * - current: `{backend, config{iterations, warmup, max_tokens, concurrency}, statistics{…, latency_ms{…}},
 *   raw_latencies (ms), raw_tokens}`, one load point per file;
 * - earlier (`vllm_mistral7b_benchmark_*.json`): one entry per prompt size (`short_prompt`, `medium_prompt`,
 *   `long_prompt`) with `latency{…}` in seconds and per-request `tokens_per_second{mean, median, max}`, plus
 *   `backend`, `iterations`, `max_tokens`; no concurrency (its client ran requests one after another).
 * Its Triton client counted whitespace-separated words, not tokens; it measured no TTFT (it later guessed it as half
 * the latency — never imported).
 */
import { stats, type Stats } from '../../metrics/derive.js';
import { BOUNDS, isNum, isObj, type Checker, type Obj } from '../check.js';
import { documentOnly, metrics, sha, str, type ImportedTrial, type ImportFinding } from './common.js';

const LAT: Record<string, string> = { mean: 'mean', min: 'min', max: 'max', p90: 'p90', p95: 'p95', p99: 'p99' };

function rawNumbers(c: Checker, v: unknown, path: string, max: number): number[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) return (c.add(path, 'must be an array'), []);
  const out: number[] = [];
  v.forEach((x, i) => {
    const n = c.value(x, `${path}/${i}`, { min: 0, max });
    if (n !== null) out.push(n);
  });
  return out;
}

function seedCurrent(doc: Obj, c: Checker): ImportedTrial[] {
  const server = str(doc.backend)?.toLowerCase() ?? null;
  if (!server) c.add('/backend', 'is required (the server the seed measured)');
  const config = c.obj(doc, 'config', '');
  const st = c.obj(doc, 'statistics', '');
  const lat = c.obj(st, 'latency_ms', '/statistics');
  const tput = c.obj(st, 'throughput', '/statistics', false);
  const tok = c.obj(st, 'tokens', '/statistics', false);
  const cv = config?.concurrency;
  const concurrency =
    cv === undefined ? (c.add('/config/concurrency', 'is required'), null) : c.concurrency(cv, '/config/concurrency');
  const maxTokens = c.count(config, 'max_tokens', '/config', false);
  const iterations = c.count(config, 'iterations', '/config', false);
  const ok = c.count(st, 'successful_requests', '/statistics') ?? 0;
  const failed = c.count(st, 'failed_requests', '/statistics') ?? 0;
  const errPct = c.num(st, 'error_rate_percent', '/statistics', { min: 0, max: 100 });
  const totalTime = c.durationS(st, 'total_time_sec', '/statistics');
  const rawLat = rawNumbers(c, doc.raw_latencies, '/raw_latencies', BOUNDS.latencyMs);
  const rawTok = rawNumbers(c, doc.raw_tokens, '/raw_tokens', BOUNDS.tokens);
  const summaryE2e = c.stats(
    lat,
    '/statistics/latency_ms',
    { ...LAT, p50: lat && 'p50' in lat ? 'p50' : 'median' },
    ok,
  );
  if (!c.ok || concurrency === null || totalTime === null || !server) return [];

  const at = { concurrency, rate: null };
  const findings: ImportFinding[] = [];
  const actual = ok + failed > 0 ? (failed / (ok + failed)) * 100 : 0;
  if (errPct !== null && Math.abs(errPct - actual) > 0.5)
    findings.push({
      ...at,
      code: 'claim-contradiction',
      severity: 'error',
      count: failed,
      message: `the file claims a ${errPct} % error rate but lists ${failed} failed of ${ok + failed} requests (${actual.toFixed(1)} %)`,
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
  if (st && ('ttft_ms' in st || 'time_to_first_token_ms' in st || 'ttft' in st))
    findings.push({
      ...at,
      code: 'ttft-not-measured',
      severity: 'info',
      message: 'the seed did not measure TTFT (its TTFT figure was half the latency): ignored, TTFT is unknown',
    });

  const e2e: Stats = rawLat.length ? stats(rawLat) : summaryE2e;
  const outTotal = rawTok.length
    ? rawTok.reduce((a, b) => a + b, 0)
    : (c.count(tok, 'total_generated', '/statistics/tokens', false) ?? 0);
  const words = server.includes('triton');
  if (words)
    findings.push({
      ...at,
      code: 'token-count-unverified',
      severity: 'warning',
      count: ok,
      message:
        'the seed counted Triton output as whitespace-separated words, not tokens: throughput in tokens/s is not comparable',
    });
  const claimedTps = isNum(tput?.tokens_per_sec) ? tput.tokens_per_sec : null;
  const tps = outTotal / totalTime;
  if (claimedTps !== null && tps > 0 && Math.abs(claimedTps - tps) / tps > 0.02)
    findings.push({
      ...at,
      code: 'claim-contradiction',
      severity: 'warning',
      message: `claimed ${claimedTps.toFixed(1)} tokens/s, but its own token total over its total time gives ${tps.toFixed(1)}`,
    });
  const shortfall = maxTokens !== null && rawTok.length ? rawTok.filter((t) => t < maxTokens).length : 0;
  const m = metrics(
    {
      completed: ok,
      failed,
      output_tokens_total: Math.round(outTotal),
      e2e_ms: e2e,
      tokens: {
        server_counted: words ? 0 : ok,
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
      server,
      target: str(doc.endpoint),
      concurrency,
      rate: null,
      model: null,
      toolVersion: 'seed',
      workload: {
        fingerprint: `seed:${sha({ max_tokens: maxTokens, warmup: config?.warmup ?? null }).slice(0, 32)}`,
        input_tokens: null,
        output_tokens: maxTokens,
        dataset: 'seed (prompt not recorded)',
      },
      metrics: m,
      raw: rawLat.length ? { e2e: rawLat } : undefined,
      findings,
    },
  ];
}

const PROMPTS = ['short_prompt', 'medium_prompt', 'long_prompt'];

/** The earlier shape: one sequential run per prompt size; latencies in seconds. */
function seedEarlier(doc: Obj, c: Checker): ImportedTrial[] {
  const server = str(doc.backend)?.toLowerCase() ?? null;
  if (!server) c.add('/backend', 'is required (the server the seed measured)');
  const iterations = c.count(doc, 'iterations', '', false);
  const maxTokens = c.count(doc, 'max_tokens', '', false);
  const out: ImportedTrial[] = [];
  for (const prompt of PROMPTS.filter((p) => p in doc)) {
    const p = `/${prompt}`;
    const e = c.obj(doc, prompt, '');
    if (!e) continue;
    const findings: ImportFinding[] = [];
    const at = { concurrency: 1, rate: null };
    if (typeof e.error === 'string' && !('successful_requests' in e)) {
      // "All iterations failed": no numbers at all, every configured request failed.
      findings.push({
        ...at,
        code: 'all-failed',
        severity: 'error',
        count: iterations ?? undefined,
        message: `${prompt}: ${e.error}`,
      });
      out.push(
        earlierTrial(
          server,
          prompt,
          maxTokens,
          doc,
          { ok: 0, failed: iterations ?? 0, e2e: null, tpsMean: null },
          findings,
        ),
      );
      continue;
    }
    const total = c.count(e, 'total_requests', p, false);
    const ok = c.count(e, 'successful_requests', p) ?? 0;
    const failed = c.count(e, 'failed_requests', p) ?? 0;
    const lat = c.obj(e, 'latency', p);
    const e2e = c.stats(
      lat,
      `${p}/latency`,
      { mean: 'mean', stddev: 'stdev', min: 'min', max: 'max', p50: 'p50', p90: 'p90', p99: 'p99' },
      ok,
      1000,
    );
    const tpsObj = c.obj(e, 'tokens_per_second', p, false);
    const tpsMean = c.num(tpsObj, 'mean', `${p}/tokens_per_second`, { min: 0, max: BOUNDS.tokens });
    if (total !== null && total !== ok + failed)
      findings.push({
        ...at,
        code: 'claim-contradiction',
        severity: 'error',
        count: Math.abs(total - ok - failed),
        message: `${prompt}: ${total} requests but ${ok} successful + ${failed} failed`,
      });
    out.push(earlierTrial(server, prompt, maxTokens, doc, { ok, failed, e2e, tpsMean }, findings));
  }
  if (!out.length && c.ok) c.add('', `no ${PROMPTS.join(', ')} entry: not a seed result file`);
  return c.ok && server ? out : [];
}

function earlierTrial(
  server: string | null,
  prompt: string,
  maxTokens: number | null,
  doc: Obj,
  r: { ok: number; failed: number; e2e: Stats | null; tpsMean: number | null },
  findings: ImportFinding[],
): ImportedTrial {
  const at = { concurrency: 1, rate: null };
  findings.push({
    ...at,
    code: 'load-point-inferred',
    severity: 'info',
    message: `${prompt}: the earlier seed format records no concurrency; its client sent requests one after another, filed as concurrency 1`,
  });
  // Sequential requests: the run lasted at least the sum of the latencies; per-request token rate × latency gives
  // the tokens. Both are derived from the file's own means and said so.
  const duration = r.e2e?.mean != null && r.ok ? (r.e2e.mean / 1000) * r.ok : null;
  const outTokens = r.tpsMean !== null && duration !== null ? Math.round(r.tpsMean * duration) : 0;
  if (duration !== null)
    findings.push({
      ...at,
      code: 'throughput-inferred',
      severity: 'warning',
      message: `${prompt}: no run time or token total in the file: duration taken as ${r.ok} × mean latency (${duration.toFixed(2)} s), output tokens as mean tokens/s × that duration (${outTokens})`,
    });
  findings.push({
    ...at,
    code: 'ttft-not-measured',
    severity: 'info',
    message: `${prompt}: the seed did not measure TTFT`,
  });
  return {
    server,
    target: str(doc.endpoint),
    concurrency: 1,
    rate: null,
    model: null,
    toolVersion: 'seed-earlier',
    variant: prompt.replace(/_prompt$/, ''),
    workload: {
      fingerprint: `seed:${prompt}:${sha({ max_tokens: maxTokens }).slice(0, 16)}`,
      input_tokens: null,
      output_tokens: maxTokens,
      dataset: `seed ${prompt}`,
    },
    metrics: metrics(
      { completed: r.ok, failed: r.failed, output_tokens_total: outTokens, ...(r.e2e ? { e2e_ms: r.e2e } : {}) },
      duration,
    ),
    findings,
  };
}

export const parseSeed = documentOnly('the seed', (doc, c) => {
  if (!isObj(doc)) return (c.add('', 'must be a JSON object'), []);
  if ('statistics' in doc || 'config' in doc) return seedCurrent(doc, c);
  if (PROMPTS.some((p) => p in doc)) return seedEarlier(doc, c);
  c.add(
    '',
    'neither the seed result shape ({backend, config, statistics}) nor its earlier per-prompt shape ({short_prompt, …})',
  );
  return [];
});
