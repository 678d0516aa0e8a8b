/**
 * guidellm's benchmarks report (JSON, or the same document as YAML), one entry per strategy:
 * - 0.2/0.3: `benchmarks[].args.strategy{type_, streams|rate}`, `worker{backend_type, backend_model,
 *   backend_target}`, request totals at benchmark level (`benchmarks[].request_totals{successful, errored,
 *   incomplete, total}`), `metrics.<metric>.successful{…}`;
 * - 0.4/0.5: `metadata.guidellm_version`, `benchmarks[].config{strategy, backend{target, model}}`, totals in
 *   `metrics.request_totals`, whole-run counts in `scheduler_metrics.requests_made`.
 * `errored` requests failed; `incomplete` ones were still running when the benchmark's own limit (--max-seconds,
 * --max-requests) cut them off: neither completed nor failed. `inter_token_latency_ms` is (E2E − TTFT)/(N − 1),
 * our TPOT; `time_per_output_token_ms` includes the first token and is not imported; no per-chunk times, so ITL
 * is unknown. request_latency is in seconds. Throughput/sweep probes have no fixed load point and are skipped.
 */
import { BOUNDS, isObj, type Checker, type Obj, type StatKeys } from '../check.js';
import { documentOnly, metrics, sha, str, type ImportedTrial, type ImportFinding } from './common.js';

const KEYS: StatKeys = {
  mean: 'successful/mean',
  stddev: 'successful/std_dev',
  min: 'successful/min',
  max: 'successful/max',
  p50: 'successful/median',
  p90: 'successful/percentiles/p90',
  p95: 'successful/percentiles/p95',
  p99: 'successful/percentiles/p99',
};

function strategyOf(b: Obj): { s: Obj | undefined; at: string } {
  if (isObj(b.config) && isObj(b.config.strategy)) return { s: b.config.strategy, at: 'config/strategy' };
  if (isObj(b.args) && isObj(b.args.strategy)) return { s: b.args.strategy, at: 'args/strategy' };
  return { s: undefined, at: 'args/strategy' };
}

function loadPoint(
  c: Checker,
  s: Obj,
  path: string,
): { concurrency: number | null; rate: number | null; skip?: string } {
  const kind = String(s.type_ ?? s.type ?? '');
  if (kind === 'synchronous') return { concurrency: 1, rate: null };
  if (kind === 'concurrent')
    return { concurrency: c.concurrency(s.streams ?? s.max_concurrency, `${path}/streams`), rate: null };
  if (['constant', 'poisson', 'async'].includes(kind))
    return { concurrency: null, rate: c.rate(s.rate, `${path}/rate`) };
  return { concurrency: null, rate: null, skip: kind || '?' };
}

function totals(c: Checker, b: Obj, m: Obj | undefined, path: string) {
  const inMetrics = isObj(m?.request_totals);
  const t = inMetrics ? (m!.request_totals as Obj) : isObj(b.request_totals) ? b.request_totals : undefined;
  const at = inMetrics ? `${path}/metrics/request_totals` : `${path}/request_totals`;
  if (!t) {
    c.add(`${path}/metrics/request_totals`, 'is required (guidellm ≥ 0.4; 0.2/0.3 keep it at benchmark level)');
    return null;
  }
  const ok = c.count(t, 'successful', at);
  const errored = c.count(t, 'errored', at) ?? 0;
  const incomplete = c.count(t, 'incomplete', at, false) ?? 0;
  const total = c.count(t, 'total', at, false);
  if (ok !== null && total !== null && total !== ok + errored + incomplete)
    c.add(`${at}/total`, `total ${total} ≠ successful ${ok} + errored ${errored} + incomplete ${incomplete}`);
  return ok === null ? null : { ok, errored, incomplete, at };
}

function parseBenchmark(doc: Obj, b: unknown, i: number, c: Checker): ImportedTrial | null {
  const path = `/benchmarks/${i}`;
  if (!isObj(b)) return (c.add(path, 'must be an object'), null);
  const { s, at: sAt } = strategyOf(b);
  if (!s)
    return (c.add(`${path}/config/strategy`, 'is required (0.4+: config.strategy; 0.2/0.3: args.strategy)'), null);
  const lp = loadPoint(c, s, `${path}/${sAt}`);
  if (lp.skip) return null;
  const m = c.obj(b, 'metrics', path);
  const tot = totals(c, b, m, path);
  const duration = c.durationS(b, 'duration', path, false) ?? endMinusStart(c, b, path);
  const mp = `${path}/metrics`;
  const n = tot?.ok ?? 0;
  const ttft = c.stats(c.obj(m, 'time_to_first_token_ms', mp, false), `${mp}/time_to_first_token_ms`, KEYS, n);
  const tpot = c.stats(c.obj(m, 'inter_token_latency_ms', mp, false), `${mp}/inter_token_latency_ms`, KEYS, n);
  const e2e = c.stats(c.obj(m, 'request_latency', mp, false), `${mp}/request_latency`, KEYS, n, 1000);
  const outObj = c.obj(c.obj(m, 'output_token_count', mp, false), 'successful', `${mp}/output_token_count`, false);
  const outCount = c.num(outObj, 'total_sum', `${mp}/output_token_count/successful`, { min: 0, max: BOUNDS.tokens });
  if (!c.ok || !tot || duration === null || (lp.concurrency === null && lp.rate === null)) return null;

  const at = { concurrency: lp.concurrency, rate: lp.rate };
  const findings: ImportFinding[] = [];
  if (tot.incomplete)
    findings.push({
      ...at,
      code: 'incomplete-requests',
      severity: 'info',
      count: tot.incomplete,
      message: `${tot.incomplete} request(s) were still running when the benchmark's own limit ended it (guidellm 'incomplete'): neither completed nor failed`,
    });
  if (outCount === null)
    findings.push({
      ...at,
      code: 'token-count-unverified',
      severity: 'warning',
      message: 'no output token total in the file',
    });
  const mm = metrics(
    {
      completed: tot.ok,
      failed: tot.errored,
      output_tokens_total: Math.round(outCount ?? 0),
      ...{ ttft_ms: ttft, tpot_ms: tpot, e2e_ms: e2e },
      tokens: {
        server_counted: 0,
        client_counted: outCount === null ? 0 : tot.ok,
        mismatched: 0,
        shortfall: 0,
        mean_output_tokens: tot.ok && outCount !== null ? outCount / tot.ok : null,
      },
    },
    duration,
  );
  return { server: null, ...identity(doc, b), ...at, metrics: mm, findings };
}

/** Model, target, version and workload as each guidellm version records them. */
function identity(doc: Obj, b: Obj) {
  const cfg = isObj(b.config) ? b.config : undefined;
  const backendCfg = isObj(cfg?.backend) ? cfg.backend : undefined;
  const worker = isObj(b.worker) ? b.worker : undefined;
  const docArgs = isObj(doc.args) ? doc.args : undefined;
  const model = str(backendCfg?.model) ?? str(worker?.backend_model) ?? str(docArgs?.model);
  const data =
    (isObj(cfg?.requests) ? cfg.requests.data : undefined) ??
    (isObj(b.request_loader) ? b.request_loader.data : undefined) ??
    docArgs?.data ??
    null;
  const meta = isObj(doc.metadata) ? doc.metadata : undefined;
  return {
    target: str(backendCfg?.target) ?? str(worker?.backend_target) ?? str(docArgs?.target),
    model,
    toolVersion: str(meta?.guidellm_version) ?? (cfg ? '0.4+' : '0.2/0.3'),
    workload: {
      fingerprint: `guidellm:${sha({ data: typeof data === 'string' ? data : JSON.stringify(data), model }).slice(0, 32)}`,
      input_tokens: null,
      output_tokens: null,
      dataset: 'guidellm',
    },
  };
}

function endMinusStart(c: Checker, b: Obj, path: string): number | null {
  const start = c.num(b, 'start_time', path, { min: 0, max: 1e11 });
  const end = c.num(b, 'end_time', path, { min: 0, max: 1e11 });
  if (start === null || end === null)
    return (c.add(`${path}/duration`, 'is required (or start_time and end_time)'), null);
  if (end <= start) return (c.add(`${path}/end_time`, `must be after start_time (${end} ≤ ${start})`), null);
  return end - start;
}

export const parseGuidellm = documentOnly('guidellm', (doc, c) => {
  if (!isObj(doc)) return (c.add('', 'must be an object'), []);
  const benches = doc.benchmarks;
  if (!Array.isArray(benches) || !benches.length) return (c.add('/benchmarks', 'must be a non-empty array'), []);
  const out: ImportedTrial[] = [];
  const skipped: string[] = [];
  benches.forEach((b, i) => {
    const t = parseBenchmark(doc, b, i, c);
    if (t) out.push(t);
    else if (isObj(b) && c.ok) skipped.push(`/benchmarks/${i} (${String(strategyOf(b).s?.type_ ?? '?')})`);
  });
  if (c.ok && !out.length)
    c.add(
      '/benchmarks',
      `no benchmark with a fixed concurrency or rate (throughput/sweep probes are not comparable points): ${skipped.join(', ')}`,
    );
  if (skipped.length && out.length)
    out[0].findings.push({
      code: 'strategy-skipped',
      severity: 'warning',
      message: `skipped ${skipped.length} benchmark(s) without a fixed load point: ${skipped.join(', ')}`,
    });
  return out;
});
