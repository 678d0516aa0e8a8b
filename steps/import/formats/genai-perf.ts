/**
 * GenAI-Perf's `profile_export_genai_perf.json` (perf_analyzer repository, genai-perf/genai_perf/export_data/
 * json_exporter.py): the statistics dict of every metric `{unit, avg[, p25…p99, min, max, std]}` at top level, plus
 * `input_config` (the CLI arguments). Shapes seen in real files (test/fixtures/imports/SOURCES.md):
 * - 2024-05: time units "ns", token metrics `num_output_token`/`num_input_token`, `input_config.model` a string;
 * - 2024-06 on: "ms", `output_sequence_length`/`input_sequence_length`, `model` a list;
 * - any version may write a number as a string (its own test snapshot has `request_throughput.avg: "7"`);
 * - before 25.01 no `request_count` metric and never a duration: the file has rates, not totals;
 * - config-file versions (25.03+): `model_names`, load point under `perf_analyzer.stimulus`.
 * `inter_token_latency` is (E2E − TTFT)/(OSL − 1) per request: our TPOT. GenAI-Perf has no per-chunk gap (our ITL).
 */
import { BOUNDS, isNum, isObj, pick, type Checker, type Obj } from '../check.js';
import { fromFields, NVIDIA_STAT_KEYS, type LoadPoint } from './aiperf.js';
import { documentOnly, metrics, sha, str, type ImportedTrial, type ImportFinding } from './common.js';

/** ms per unit of a time metric (statistics.py `_add_units` writes "ms"; the 2024-05 exporter "ns"). */
const TIME_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, sec: 1000 };
/** "requests/sec" (statistics.py), "per sec" (metrics.py metadata), "request per sec". */
const PER_SECOND = /^(requests?\s*)?(\/|per)\s*(s|sec|second)$/i;
const NUMERIC = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

const METRICS = [
  'request_throughput',
  'request_count',
  'request_latency',
  'time_to_first_token',
  'inter_token_latency',
  'output_token_throughput',
  'output_sequence_length',
  'num_output_token',
] as const;
type Name = (typeof METRICS)[number];

/** The metrics we read, numeric strings as numbers; any other string value is a problem naming its path. */
function numbers(doc: Obj, c: Checker): Partial<Record<Name, Obj>> {
  const out: Partial<Record<Name, Obj>> = {};
  for (const name of METRICS) {
    const m = doc[name];
    if (m === undefined || m === null) continue;
    if (!isObj(m)) {
      c.add(`/${name}`, 'must be an object {unit, avg, …}');
      continue;
    }
    const o: Obj = {};
    for (const [k, v] of Object.entries(m)) {
      if (k === 'unit' || typeof v !== 'string') o[k] = v;
      else if (NUMERIC.test(v)) o[k] = Number(v);
      else c.add(`/${name}/${k}`, `must be a number (got the string ${JSON.stringify(v.slice(0, 40))})`);
    }
    out[name] = o;
  }
  return out;
}

/** ms per unit of `m.unit`; a problem (and null) for a unit that is not a time. */
function timeScale(c: Checker, m: Obj | undefined, name: string): number | null {
  if (!m) return 1;
  const u = m.unit;
  if (typeof u === 'string' && u in TIME_UNITS) return TIME_UNITS[u];
  c.add(`/${name}/unit`, `must be a time unit (${Object.keys(TIME_UNITS).join(', ')}); got ${JSON.stringify(u)}`);
  return null;
}

function rate(c: Checker, m: Obj | undefined, name: string, unit: RegExp, what: string, max: number) {
  if (!m) return null;
  if (m.unit !== undefined && !(typeof m.unit === 'string' && unit.test(m.unit.trim())))
    c.add(`/${name}/unit`, `must be ${what}; got ${JSON.stringify(m.unit)}`);
  return c.num(m, 'avg', `/${name}`, { required: true, min: 0, max });
}

interface Totals {
  count: number | null;
  thr: number | null;
  tokThr: number | null;
  osl: number | null;
  findings: ImportFinding[];
}

type At = Pick<ImportFinding, 'concurrency' | 'rate'>;

/** Output tokens per second beyond this are a corrupt file (a few thousand GPUs at full speed). */
const MAX_TOKENS_PER_S = 1e9;

/**
 * Request count when the file has no `request_count` metric (before 25.01): the `--request-count` asked, which
 * perf_analyzer measures exactly; else a lower estimate of one measurement window (request_throughput ×
 * measurement_interval): perf_analyzer exports every window it measured at the point (inference_profiler.cc calls
 * AddWindow/AddData per window), at least one, and the file does not say how many.
 */
function inferredCount(c: Checker, cfg: Obj | undefined, thr: number, at: At): [number | null, ImportFinding[]] {
  const asked = cfg?.request_count;
  if (isNum(asked) && Number.isInteger(asked) && asked > 0 && asked <= BOUNDS.count) {
    const message = `no request_count metric (GenAI-Perf < 25.01): taken as the --request-count asked, ${asked}`;
    return [asked, [{ ...at, code: 'count-inferred', severity: 'info', message }]];
  }
  const interval = cfg?.measurement_interval;
  if (!isNum(interval) || interval <= 0 || interval > BOUNDS.durationS * 1000) {
    const why = 'GenAI-Perf before 25.01 writes no request count, and input_config.measurement_interval is missing';
    return (c.add('/request_count', `is required: ${why}`), [null, []]);
  }
  const count = Math.round((thr * interval) / 1000);
  const message =
    `no request_count (GenAI-Perf < 25.01): requests taken as request_throughput × measurement_interval = ` +
    `${thr} × ${interval / 1000} s = ${count}, a lower estimate (perf_analyzer exports every measurement window ` +
    `of the point, at least one); rates are the file's own`;
  return [count, [{ ...at, code: 'count-inferred', severity: 'warning', message }]];
}

function totals(c: Checker, m: ReturnType<typeof numbers>, cfg: Obj | undefined, at: At): Totals {
  const thr = rate(c, m.request_throughput, 'request_throughput', PER_SECOND, 'requests per second', BOUNDS.rate);
  if (!m.request_throughput) c.add('/request_throughput', 'is required (request_throughput.avg)');
  const tokUnit = /^tokens?\s*(\/|per)\s*(s|sec)$/i;
  const tokThr = rate(c, m.output_token_throughput, 'output_token_throughput', tokUnit, 'tokens/sec', MAX_TOKENS_PER_S);
  const oslName = m.output_sequence_length ? 'output_sequence_length' : 'num_output_token';
  const oslM = m[oslName];
  const osl = oslM ? c.num(oslM, 'avg', `/${oslName}`, { required: true, min: 0, max: BOUNDS.tokens }) : null;
  if (m.request_count) {
    const opts = { required: true, min: 0, max: BOUNDS.count, integer: true };
    return { count: c.num(m.request_count, 'avg', '/request_count', opts), thr, tokThr, osl, findings: [] };
  }
  const [count, findings] = thr === null ? [null, []] : inferredCount(c, cfg, thr, at);
  return { count, thr, tokThr, osl, findings };
}

function loadPoint(c: Checker, cfg: Obj | undefined): LoadPoint {
  const stim = pick(cfg, 'perf_analyzer/stimulus');
  if (isObj(stim)) return fromFields(c, stim, '/input_config/perf_analyzer/stimulus', []);
  if (cfg) return fromFields(c, cfg, '/input_config', []);
  c.add('/input_config', 'is required (the load point: concurrency or request_rate)');
  return { concurrency: null, rate: null, findings: [] };
}

/** `model` is a string (2024-05) or a list (`-m a b`); config-file versions write `model_names`. */
function modelOf(cfg: Obj | undefined): { model: string | null; all: string[] } {
  const raw = cfg?.model_names ?? cfg?.model;
  const all = (Array.isArray(raw) ? raw : [raw]).filter((x): x is string => typeof x === 'string' && x.length > 0);
  return { model: all[0] ?? null, all };
}

/** What was asked, as far as the CLI arguments tell: streamed and non-streamed runs are different workloads. */
function workload(cfg: Obj | undefined, model: string | null) {
  const k = (key: string) => cfg?.[key] ?? null;
  const ask = [
    'endpoint_type',
    'endpoint',
    'prompt_source',
    'input_dataset',
    'input_file',
    'synthetic_input_tokens_mean',
    'synthetic_input_tokens_stddev',
    'output_tokens_mean',
    'output_tokens_stddev',
    'output_tokens_mean_deterministic',
    'extra_inputs',
  ].map((key) => [key, k(key)]);
  ask.push(['streaming', streamed(cfg) ?? null]);
  const isl = k('synthetic_input_tokens_mean');
  const osl = k('output_tokens_mean');
  return {
    fingerprint: `genai-perf:${sha({ model, ask }).slice(0, 32)}`,
    // -1 is GenAI-Perf's "not set" for --output-tokens-mean.
    input_tokens: isNum(isl) && Number.isInteger(isl) && isl > 0 ? isl : null,
    output_tokens: isNum(osl) && Number.isInteger(osl) && osl > 0 ? osl : null,
    dataset: 'genai-perf',
  };
}

/** `--streaming`: a top-level argument, or `endpoint.streaming` in config-file versions. */
const streamed = (cfg: Obj | undefined): unknown => cfg?.streaming ?? pick(cfg, 'endpoint/streaming');

function notes(cfg: Obj | undefined, all: string[], t: Totals, lp: LoadPoint, durFromFile: boolean, dur: number) {
  const at = { concurrency: lp.concurrency, rate: lp.rate };
  const f: ImportFinding[] = [...lp.findings, ...t.findings];
  const add = (code: string, severity: ImportFinding['severity'], message: string) =>
    f.push({ ...at, code, severity, message });
  add('failures-unknown', 'warning', 'GenAI-Perf exports no error count: failed requests are unknown (counted 0)');
  if (durFromFile)
    add('duration-inferred', 'info', `no benchmark duration: request_count / request_throughput = ${dur.toFixed(3)} s`);
  if (all.length > 1)
    add('models-several', 'warning', `GenAI-Perf sent to ${all.length} models (${all.join(', ')}): filed as ${all[0]}`);
  if (streamed(cfg) === false)
    add(
      'not-streamed',
      'info',
      'run without --streaming: the first output event is the whole response, so TTFT = request latency and TPOT is unknown',
    );
  return f;
}

function trial(doc: Obj, c: Checker): ImportedTrial[] {
  const cfg = isObj(doc.input_config) ? doc.input_config : undefined;
  if (doc.input_config !== undefined && !cfg) c.add('/input_config', 'must be an object');
  const m = numbers(doc, c);
  const lp = loadPoint(c, cfg);
  const t = totals(c, m, cfg, { concurrency: lp.concurrency, rate: lp.rate });
  const n = t.count ?? 0;
  const dist = (name: Name) => {
    const scale = timeScale(c, m[name], name);
    return scale === null ? null : c.stats(m[name], `/${name}`, NVIDIA_STAT_KEYS, n, scale);
  };
  const ttft = dist('time_to_first_token'),
    tpot = dist('inter_token_latency'),
    e2e = dist('request_latency');
  if (t.thr === 0 && n > 0) c.add('/request_throughput/avg', `is 0 with ${n} requests: the duration is unknown`);
  if (!c.ok || t.count === null || t.thr === null || !ttft || !tpot || !e2e) return [];
  const dur = t.thr > 0 ? t.count / t.thr : 0;
  const out = t.osl === null ? 0 : Math.round(t.osl * t.count);
  const { model, all } = modelOf(cfg);
  const metricsOf = metrics(
    {
      completed: t.count,
      failed: 0,
      output_tokens_total: out,
      ttft_ms: ttft,
      tpot_ms: tpot,
      e2e_ms: e2e,
      tokens: {
        server_counted: 0,
        client_counted: t.osl === null ? 0 : t.count,
        mismatched: 0,
        shortfall: 0,
        mean_output_tokens: t.osl,
      },
    },
    dur,
  );
  // The rates are the file's own numbers (GenAI-Perf: requests or Σ OSL over the same window), kept exact.
  metricsOf.requests_per_s = t.thr;
  metricsOf.output_tokens_per_s = t.tokThr ?? (t.osl === null ? 0 : t.osl * t.thr);
  return [
    {
      server: null,
      target: str(cfg?.u) ?? str(pick(cfg, 'endpoint/url')),
      concurrency: lp.concurrency,
      rate: lp.rate,
      model,
      toolVersion: 'genai-perf',
      workload: workload(cfg, model),
      metrics: metricsOf,
      findings: notes(cfg, all, t, lp, m.request_count !== undefined, dur),
    },
  ];
}

export const parseGenaiPerf = documentOnly('GenAI-Perf', (doc, c) =>
  isObj(doc) ? trial(doc, c) : (c.add('', 'must be a JSON object'), []),
);
