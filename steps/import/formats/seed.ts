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

interface Current {
  server: string;
  config: Obj | undefined;
  concurrency: number;
  maxTokens: number | null;
  iterations: number | null;
  ok: number;
  failed: number;
  errPct: number | null;
  totalTime: number;
  rawLat: number[];
  rawTok: number[];
  e2e: Stats;
  outTotal: number;
  claimedTps: number | null;
  ttftClaimed: boolean;
}

/** Every value of the current shape, checked; null when the file has problems (they are in the checker). */
function readCurrent(doc: Obj, c: Checker): Current | null {
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
  const ok = c.count(st, 'successful_requests', '/statistics') ?? 0;
  const rawLat = rawNumbers(c, doc.raw_latencies, '/raw_latencies', BOUNDS.latencyMs);
  const rawTok = rawNumbers(c, doc.raw_tokens, '/raw_tokens', BOUNDS.tokens);
  const p50 = lat && 'p50' in lat ? 'p50' : 'median';
  const summaryE2e = c.stats(lat, '/statistics/latency_ms', { ...LAT, p50 }, ok);
  const r = {
    server: server ?? '',
    config,
    concurrency: concurrency ?? 0,
    maxTokens: c.count(config, 'max_tokens', '/config', false),
    iterations: c.count(config, 'iterations', '/config', false),
    ok,
    failed: c.count(st, 'failed_requests', '/statistics') ?? 0,
    errPct: c.num(st, 'error_rate_percent', '/statistics', { min: 0, max: 100 }),
    totalTime: c.durationS(st, 'total_time_sec', '/statistics') ?? 0,
    rawLat,
    rawTok,
    e2e: rawLat.length ? stats(rawLat) : summaryE2e,
    outTotal: rawTok.length
      ? rawTok.reduce((x, y) => x + y, 0)
      : (c.count(tok, 'total_generated', '/statistics/tokens', false) ?? 0),
    claimedTps: isNum(tput?.tokens_per_sec) ? tput.tokens_per_sec : null,
    ttftClaimed: !!st && ('ttft_ms' in st || 'time_to_first_token_ms' in st || 'ttft' in st),
  };
  return c.ok ? r : null;
}

/** Where the file contradicts itself, and what the seed did not measure or count as tokens. */
/** The seed counted Triton output in whitespace words: its tokens/s is not in tokens. */
const tritonWords = (at: { concurrency: number; rate: null }, count: number): ImportFinding => ({
  ...at,
  code: 'token-count-unverified',
  severity: 'warning',
  count,
  message:
    'the seed counted Triton output as whitespace-separated words, not tokens: throughput in tokens/s is not comparable',
});

/** A request total that is not successful + failed (`label` prefixes the message). */
function totalContradicted(
  at: { concurrency: number; rate: null },
  total: number | null,
  ok: number,
  failed: number,
  label = '',
): ImportFinding[] {
  if (total === null || total === ok + failed) return [];
  const message = `${label}${total} requests but ${ok} successful + ${failed} failed`;
  return [{ ...at, code: 'claim-contradiction', severity: 'error', count: Math.abs(total - ok - failed), message }];
}

function currentFindings(r: Current): ImportFinding[] {
  const at = { concurrency: r.concurrency, rate: null };
  const f: ImportFinding[] = [];
  const { ok, failed } = r;
  const bad = (count: number | undefined, message: string, severity: ImportFinding['severity'] = 'error') =>
    f.push({ ...at, code: 'claim-contradiction', severity, ...(count === undefined ? {} : { count }), message });
  const actual = ok + failed > 0 ? (failed / (ok + failed)) * 100 : 0;
  if (r.errPct !== null && Math.abs(r.errPct - actual) > 0.5)
    bad(
      failed,
      `the file claims a ${r.errPct} % error rate but lists ${failed} failed of ${ok + failed} requests (${actual.toFixed(1)} %)`,
    );
  if (r.iterations !== null && ok + failed !== r.iterations)
    bad(
      Math.abs(r.iterations - ok - failed),
      `${r.iterations} iterations configured but ${ok} successful + ${failed} failed = ${ok + failed} accounted for: ${r.iterations - ok - failed} requests are missing`,
    );
  if (r.rawLat.length && r.rawLat.length !== ok)
    bad(
      Math.abs(r.rawLat.length - ok),
      `${ok} successful requests claimed but ${r.rawLat.length} raw latencies recorded`,
    );
  const tps = r.outTotal / r.totalTime;
  if (r.claimedTps !== null && tps > 0 && Math.abs(r.claimedTps - tps) / tps > 0.02)
    bad(
      undefined,
      `claimed ${r.claimedTps.toFixed(1)} tokens/s, but its own token total over its total time gives ${tps.toFixed(1)}`,
      'warning',
    );
  if (r.ttftClaimed)
    f.push({
      ...at,
      code: 'ttft-not-measured',
      severity: 'info',
      message: 'the seed did not measure TTFT (its TTFT figure was half the latency): ignored, TTFT is unknown',
    });
  if (r.server.includes('triton')) f.push(tritonWords(at, ok));
  return f;
}

function seedCurrent(doc: Obj, c: Checker): ImportedTrial[] {
  const r = readCurrent(doc, c);
  if (!r) return [];
  const words = r.server.includes('triton');
  const shortfall = r.maxTokens !== null && r.rawTok.length ? r.rawTok.filter((t) => t < r.maxTokens!).length : 0;
  const m = metrics(
    {
      completed: r.ok,
      failed: r.failed,
      output_tokens_total: Math.round(r.outTotal),
      e2e_ms: r.e2e,
      tokens: {
        server_counted: words ? 0 : r.ok,
        client_counted: 0,
        mismatched: 0,
        shortfall,
        mean_output_tokens: r.ok ? r.outTotal / r.ok : null,
      },
    },
    r.totalTime,
  );
  return [
    {
      server: r.server,
      target: str(doc.endpoint),
      concurrency: r.concurrency,
      rate: null,
      model: null,
      toolVersion: 'seed',
      workload: {
        fingerprint: `seed:${sha({ max_tokens: r.maxTokens, warmup: r.config?.warmup ?? null }).slice(0, 32)}`,
        input_tokens: null,
        output_tokens: r.maxTokens,
        dataset: 'seed (prompt not recorded)',
      },
      metrics: m,
      raw: r.rawLat.length ? { e2e: r.rawLat } : undefined,
      findings: currentFindings(r),
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
    findings.push(...totalContradicted(at, total, ok, failed, `${prompt}: `));
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

/**
 * The flat shape of the seed's A10 sibling (`<backend>_c<N>_t<max_tokens>.json`): one object with `concurrency`,
 * counts, `total_time_sec`, `tokens_per_sec` and `{avg,p50,p95,p99,min,max}_latency_ms`; no raw values, no token
 * total (taken as tokens/s × time, and said so).
 */
function seedFlat(doc: Obj, c: Checker): ImportedTrial[] {
  const server = str(doc.backend)?.toLowerCase() ?? null;
  if (!server) c.add('/backend', 'is required (the server the seed measured)');
  const concurrency =
    doc.concurrency === undefined
      ? (c.add('/concurrency', 'is required'), null)
      : c.concurrency(doc.concurrency, '/concurrency');
  const total = c.count(doc, 'total_requests', '', false);
  const ok = c.count(doc, 'successful_requests', '') ?? 0;
  const failed = c.count(doc, 'failed_requests', '') ?? 0;
  const time = c.durationS(doc, 'total_time_sec', '');
  const tps = c.num(doc, 'tokens_per_sec', '', { min: 0, max: BOUNDS.tokens });
  const maxTokens = c.count(doc, 'max_tokens', '', false);
  const e2e = c.stats(
    doc,
    '',
    {
      mean: 'avg_latency_ms',
      min: 'min_latency_ms',
      max: 'max_latency_ms',
      p50: 'p50_latency_ms',
      p95: 'p95_latency_ms',
      p99: 'p99_latency_ms',
    },
    ok,
  );
  if (!c.ok || !server || concurrency === null || time === null) return [];
  const at = { concurrency, rate: null };
  const findings: ImportFinding[] = [];
  findings.push(...totalContradicted(at, total, ok, failed));
  const outTokens = tps === null ? 0 : Math.round(tps * time);
  findings.push({
    ...at,
    code: 'throughput-inferred',
    severity: 'info',
    message: `no token total in the file: output tokens taken as tokens_per_sec × total_time_sec = ${outTokens}`,
  });
  findings.push({ ...at, code: 'ttft-not-measured', severity: 'info', message: 'the seed did not measure TTFT' });
  if (server.includes('triton')) findings.push(tritonWords(at, ok));
  return [
    {
      server,
      target: null,
      concurrency,
      rate: null,
      model: null,
      toolVersion: 'seed-flat',
      workload: {
        fingerprint: `seed:${sha({ max_tokens: maxTokens }).slice(0, 32)}`,
        input_tokens: null,
        output_tokens: maxTokens,
        dataset: 'seed (prompt not recorded)',
      },
      metrics: metrics({ completed: ok, failed, output_tokens_total: outTokens, e2e_ms: e2e }, time),
      findings,
    },
  ];
}

export const parseSeed = documentOnly('the seed', (doc, c) => {
  if (!isObj(doc)) return (c.add('', 'must be a JSON object'), []);
  if ('statistics' in doc || 'config' in doc) return seedCurrent(doc, c);
  if (PROMPTS.some((p) => p in doc)) return seedEarlier(doc, c);
  if ('total_time_sec' in doc && 'successful_requests' in doc) return seedFlat(doc, c);
  c.add(
    '',
    'none of the seed result shapes ({backend, config, statistics}; per prompt {short_prompt, …}; flat {concurrency, successful_requests, total_time_sec, …})',
  );
  return [];
});
