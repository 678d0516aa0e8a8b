/**
 * NVIDIA's AIPerf aggregated export (`profile_export_aiperf.json`); its predecessor GenAI-Perf is read by
 * genai-perf.ts. Metric objects `{unit, avg, min, max, p1…p99, std[, count, sum]}`:
 * - AIPerf 0.1.x: nested under `records`, tags `ttft`, `request_latency`, `inter_token_latency`, …; load point in
 *   `input_config.loadgen{concurrency | request_rate}`, model in `input_config.endpoint.model_names`;
 * - AIPerf ≥ 0.10 (`schema_version` 1.x): metrics at top level (`time_to_first_token`, …); load point in the
 *   profiling entry of `input_config.phases[]` (`type` concurrency with `concurrency`, or poisson/constant with
 *   `rate`), model in `input_config.models.items[0].name`;
 * `inter_token_latency` is (E2E − TTFT)/(N − 1): our TPOT; `inter_chunk_latency`, when present, our ITL.
 * Output tokens are `total_osl` (all generated tokens, reasoning included).
 */
import { BOUNDS, isNum, isObj, pick, type Checker, type Obj, type StatKeys } from '../check.js';
import { documentOnly, metrics, sha, str, type ImportedTrial, type ImportFinding } from './common.js';

/** NVIDIA's metric-object keys, shared by AIPerf and its predecessor GenAI-Perf. */
export const NVIDIA_STAT_KEYS: StatKeys = {
  mean: 'avg',
  stddev: 'std',
  min: 'min',
  max: 'max',
  p50: 'p50',
  p90: 'p90',
  p95: 'p95',
  p99: 'p99',
};

interface Located {
  v: Obj;
  at: string;
}

function metricOf(root: Obj, rootAt: string, names: string[]): Located | undefined {
  for (const n of names) if (isObj(root[n])) return { v: root[n] as Obj, at: `${rootAt}/${n}` };
  return undefined;
}

/** A scalar metric (`{avg}` or a bare number). */
function scalar(
  c: Checker,
  m: Located | undefined,
  opts: { min?: number; above?: number; max: number; integer?: boolean },
) {
  return m ? c.num(m.v, 'avg', m.at, { ...opts, required: true }) : null;
}

export interface LoadPoint {
  concurrency: number | null;
  rate: number | null;
  findings: ImportFinding[];
}

function aiperfLoadPoint(c: Checker, cfg: Obj | undefined): LoadPoint {
  const findings: ImportFinding[] = [];
  const phases = Array.isArray(cfg?.phases) ? (cfg!.phases as unknown[]) : null;
  if (phases) {
    const i = phases.findIndex(
      (p) => isObj(p) && p.exclude_from_results !== true && (p.name === 'profiling' || phases.length === 1),
    );
    const j = i >= 0 ? i : phases.findIndex((p) => isObj(p) && p.exclude_from_results !== true);
    if (j < 0)
      return (c.add('/input_config/phases', 'no profiling phase'), { concurrency: null, rate: null, findings });
    const p = phases[j] as Obj;
    return fromFields(c, p, `/input_config/phases/${j}`, findings);
  }
  const lg = isObj(cfg?.loadgen) ? (cfg!.loadgen as Obj) : undefined;
  if (!lg)
    return (
      c.add('/input_config/loadgen', 'is required (the load point: concurrency or request_rate)'),
      { concurrency: null, rate: null, findings }
    );
  return fromFields(c, lg, '/input_config/loadgen', findings);
}

export function fromFields(c: Checker, o: Obj, at: string, findings: ImportFinding[]): LoadPoint {
  const hasRate = o.rate != null || o.request_rate != null;
  const rate = hasRate ? c.rate(o.rate ?? o.request_rate, `${at}/${o.rate != null ? 'rate' : 'request_rate'}`) : null;
  const conc = o.concurrency != null ? c.concurrency(o.concurrency, `${at}/concurrency`) : null;
  if (rate !== null && conc !== null)
    findings.push({
      concurrency: null,
      rate,
      code: 'load-point-capped',
      severity: 'info',
      message: `request rate ${rate}/s capped at ${conc} in flight: filed as the rate point`,
    });
  if (rate === null && conc === null && !hasRate && o.concurrency == null)
    c.add(`${at}/concurrency`, 'no concurrency or request rate: the load point is unknown');
  return { concurrency: rate !== null ? null : conc, rate, findings };
}

type Tool = 'aiperf';

/** Counts, duration and token total; problems go to the checker. */
function totals(doc: Obj, root: Obj, rootAt: string, c: Checker) {
  const countM = metricOf(root, rootAt, ['request_count']);
  if (!countM) c.add(`${rootAt}/request_count`, 'is required (request_count.avg)');
  const count = scalar(c, countM, { min: 0, max: BOUNDS.count, integer: true });
  const errM = metricOf(root, rootAt, ['error_request_count']);
  const errCount = errM ? scalar(c, errM, { min: 0, max: BOUNDS.count, integer: true }) : null;
  const errSummary = Array.isArray(doc.error_summary) ? (doc.error_summary as unknown[]) : [];
  const errFromSummary = errSummary.reduce<number>(
    (a, e, i) => a + (isObj(e) ? (c.count(e, 'count', `/error_summary/${i}`) ?? 0) : 0),
    0,
  );
  const durM = metricOf(root, rootAt, ['benchmark_duration']);
  const thrM = metricOf(root, rootAt, ['request_throughput']);
  const duration = durM ? scalar(c, durM, { above: 0, max: BOUNDS.durationS }) : null;
  const thr = thrM ? scalar(c, thrM, { min: 0, max: BOUNDS.rate }) : null;
  const oslM = metricOf(root, rootAt, ['total_osl', 'total_output_tokens']);
  const osl = oslM ? scalar(c, oslM, { min: 0, max: BOUNDS.tokens }) : null;
  const dur = duration ?? (thr && count ? count / thr : null);
  if (dur === null && c.ok)
    c.add(`${rootAt}/benchmark_duration`, 'is required (or request_throughput with request_count)');
  return {
    count,
    errCount,
    errFromSummary,
    errListed: errSummary.length > 0,
    durationSaved: duration !== null,
    dur,
    osl,
  };
}

function distributions(root: Obj, rootAt: string, c: Checker, n: number) {
  const st = (names: string[]) => {
    const m = metricOf(root, rootAt, names);
    const cnt = m && isNum(m.v.count) && Number.isInteger(m.v.count) && m.v.count >= 0 ? m.v.count : n;
    return c.stats(m?.v, m?.at ?? '', NVIDIA_STAT_KEYS, cnt);
  };
  return {
    ttft_ms: st(['time_to_first_token', 'ttft']),
    tpot_ms: st(['inter_token_latency', 'itl']),
    e2e_ms: st(['request_latency']),
    itl_ms: st(['inter_chunk_latency']),
  };
}

function flatFindings(doc: Obj, tool: Tool, t: ReturnType<typeof totals>, lp: LoadPoint): ImportFinding[] {
  const at = { concurrency: lp.concurrency, rate: lp.rate };
  const f = [...lp.findings];
  const add = (code: string, severity: ImportFinding['severity'], message: string) =>
    f.push({ ...at, code, severity, message });
  if (t.errCount !== null && t.errListed && t.errCount !== t.errFromSummary)
    add(
      'claim-contradiction',
      'warning',
      `error_request_count ${t.errCount} but the error summary lists ${t.errFromSummary}`,
    );
  if (doc.was_cancelled === true) add('run-cancelled', 'error', `the ${tool} run was cancelled before it finished`);
  if (!t.durationSaved && t.dur !== null)
    add(
      'duration-inferred',
      'info',
      `no benchmark_duration: request_count / request_throughput = ${t.dur.toFixed(3)} s`,
    );
  return f;
}

function flat(doc: Obj, c: Checker, tool: Tool): ImportedTrial[] {
  const nested = isObj(doc.records);
  const root = nested ? (doc.records as Obj) : doc;
  const rootAt = nested ? '/records' : '';
  const cfg = isObj(doc.input_config) ? doc.input_config : undefined;
  if (typeof doc.schema_version === 'string' && !/^1\./.test(doc.schema_version))
    c.add('/schema_version', `AIPerf export schema ${doc.schema_version} is not supported (1.x is)`);
  const t = totals(doc, root, rootAt, c);
  const dist = distributions(root, rootAt, c, t.count ?? 0);
  const lp = aiperfLoadPoint(c, cfg);
  if (!c.ok || t.count === null || t.dur === null) return [];
  const { count, osl } = t;
  const m = metrics(
    {
      completed: count,
      failed: t.errCount ?? t.errFromSummary,
      output_tokens_total: Math.round(osl ?? 0),
      ...dist,
      tokens: {
        server_counted: 0,
        client_counted: osl === null ? 0 : count,
        mismatched: 0,
        shortfall: 0,
        mean_output_tokens: osl !== null && count ? osl / count : null,
      },
    },
    t.dur,
  );
  const model = modelOf(cfg);
  const input = isObj(cfg?.input) ? cfg!.input : (cfg?.datasets ?? null);
  return [
    {
      server: null,
      target: str(pick(cfg, 'endpoint/url')) ?? str(pick(cfg, 'endpoint/urls/0')) ?? str(cfg?.url),
      concurrency: lp.concurrency,
      rate: lp.rate,
      model,
      toolVersion: str(doc.aiperf_version) ?? (nested ? '0.1' : 'flat'),
      workload: {
        fingerprint: `${tool}:${sha({ model, input }).slice(0, 32)}`,
        input_tokens: null,
        output_tokens: null,
        dataset: tool,
      },
      metrics: m,
      findings: flatFindings(doc, tool, t, lp),
    },
  ];
}

function modelOf(cfg: Obj | undefined): string | null {
  return str(pick(cfg, 'models/items/0/name')) ?? str(pick(cfg, 'endpoint/model_names/0'));
}

export const parseAiperf = documentOnly('AIPerf', (doc, c) =>
  isObj(doc) ? flat(doc, c, 'aiperf') : (c.add('', 'must be a JSON object'), []),
);
