/**
 * `llmbench sweep`: the thin shell around runSweep. Validates every flag (and the optional bench config) before
 * any work, reporting all problems at once (exit 2); picks the progress display; prints a compact table.
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { validate } from '../core/schemas.js';
import type { DeployReport } from '../core/types/deploy-report.js';
import type { CommandContext, CommandSpec } from '../core/command.js';
import { builtinConfig, CONFIG_DEFAULTS, loadConfig, type ResolvedConfig } from '../core/config.js';
import { readBaseline } from '../analyze/baseline.js';
import { gateBaselineEntry, sequentialGate, sequentialProblems } from '../analyze/gate.js';
import { planFingerprint, sweepPlan, type PlanFlags, type SweepPlan } from './plan.js';
import { EnvironmentError, InvalidInputError, type Problem, problemCount } from '../core/errors.js';
import { ExitCode, type ExitCodeValue } from '../core/exit-codes.js';
import { ADAPTER_KINDS, getAdapter, isAdapterKind, type AdapterKind } from '../servers/adapters.js';
import type { SweepSummary } from '../core/types/sweep-summary.js';
import { barProgress, eventProgress, noProgress, type Progress, type ProgressPlan } from './progress.js';
import {
  planPoints,
  resolveHeaders,
  runAbSweep,
  runSweep,
  type LoadMode,
  type SweepOptions,
  type SweepTarget,
} from './sweep.js';
import { formatTable } from './table.js';
import { datasetProblems, endpointProblems, headerProblems, resolveEnvRefs } from '../core/targets.js';
import { LOAD, WORKLOAD, rangedNumber } from '../core/flag-ranges.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Requests are timed on the main thread unless --client-threads says otherwise (the Tekton param's default too). */
export const DEFAULT_CLIENT_THREADS = 1;

export const command: CommandSpec = {
  name: 'sweep',
  summary: 'Measure one backend over a load sweep; writes samples.ndjson and summary.json',
  configure: (c) =>
    c
      .option('--backend <kind>', `protocol adapter: ${ADAPTER_KINDS.join(' | ')} (or a backend id from --config)`)
      .option('--url <url>', 'server base URL, e.g. http://127.0.0.1:8000')
      .option('--out <dir>', 'output directory (samples.ndjson, summary.json)')
      .option('--model <name>', `model name as served (default: ${CONFIG_DEFAULTS.model.served_name})`)
      .option('--concurrency <list>', 'fixed-concurrency points, comma-separated (default 1,4,8,16)')
      .option('--rate <list>', 'request-rate points, requests/s, comma-separated (open loop)')
      .option('--mode <mode>', 'concurrency | rate | max-throughput (default: from --rate/--concurrency)')
      .option('--arrival <kind>', 'rate mode inter-arrivals: poisson | gamma | constant (default poisson)')
      .option('--burstiness <x>', 'gamma shape: 1 = Poisson, < 1 burstier (default 1)')
      .option('--requests <n>', 'measured requests per point per trial (warmup not included)')
      .option('--duration <seconds>', 'or: measurement time per point per trial')
      .option('--trials <k>', 'fixed trials per point (the unit of replication); turns the sequential gate off')
      .option(
        '--sequential',
        "sequential gate between trials (default: the config's regression.sequential.enabled, on)",
      )
      .option('--no-sequential', 'fixed trials (load.trials or --trials), no gate')
      .option(
        '--max-trials <n>',
        'sequential gate: most trials per side (default regression.sequential.max_trials, 16)',
      )
      .option('--baseline <file>', "sequential gate against a baseline file (this backend's entry), when not A/B")
      .option('--warmup <n>', 'warmup requests per point and trial, excluded from statistics')
      .option('--input-tokens <n>', 'synthetic prompt length, tokens (exact, Mistral tokenizer)')
      .option('--output-tokens <n>', 'requested output tokens (max_tokens / max_new_tokens)')
      .option('--dataset <file>', 'synthetic | builtin | a .jsonl or ShareGPT .json file')
      .option('--prompts <n>', 'distinct prompts to use')
      .option('--seed <n>', 'seed for prompts and arrivals')
      .option('--timeout <seconds>', 'per-request deadline')
      .option(
        '--stall-timeout <seconds>',
        'no output event this long (keep-alive bytes do not count; before the first event: the TTFT deadline) fails as stalled',
      )
      .option('--min-samples <n>', 'minimum successful requests per point for its p99 to count')
      .option(
        '--api <api>',
        ADAPTER_KINDS.map((k) => `${k}: ${getAdapter(k).apis.join(' | ')}`).join('; ') + ' (first = default)',
      )
      .option(
        '--header <k:v>',
        'extra request header (repeatable); a value ${NAME} is read from the environment',
        collect,
      )
      .option('--config <file>', 'bench config: load/workload/slo settings and the backend (by id or kind)')
      .option('--resume', 'continue an interrupted sweep in --out (same flags), keeping every finished request')
      .option('--ab-url <url>', 'A/B mode: candidate server; trials interleave A B A B; writes <out>/a and <out>/b')
      .option(
        '--deploy-report <file>',
        'deploy/<backend>.json from `llmbench wait`: records GPU, server version and image digest as provenance',
      )
      .option(
        '--ab-deploy-report <file>',
        "A/B mode: the candidate's (arm B's) deploy report; default: --deploy-report for both arms",
      )
      .option(
        '--time-scale <x>',
        "target's simulated seconds per real second (llmbench sim --time-scale); metrics are scaled back",
      )
      .option(
        '--scrape-metrics [url]',
        "scrape Prometheus metrics during the sweep (default: the server's metrics URL, <url>/metrics or Triton's port 8002) into server-metrics.ndjson",
      )
      .option(
        '--client-threads <n>',
        `worker threads that time requests, each with its own event loop (default ${DEFAULT_CLIENT_THREADS}: this thread); for streams beyond one core, see steps/sweep/README.md`,
      )
      .option('--progress <kind>', 'auto | bar | json | none (default auto: bar on a TTY, JSON lines under CI)', 'auto')
      .addHelpText(
        'after',
        '\nExamples:\n  llmbench sweep --backend vllm --url http://127.0.0.1:8000 --out runs/vllm --concurrency 1,8,32 --requests 100 --trials 3\n  llmbench sweep --backend tgi --url http://tgi:8080 --out runs/tgi --rate 1,2,4 --arrival gamma --burstiness 0.5 --duration 60\n',
      ),
  async run(opts, ctx) {
    const v = await readSweepFlags(opts, ctx);
    const { options, target, abUrl, outDir } = buildSweep(v, ctx);
    options.progress = pickProgress(v.progressKind, ctx, {
      points: planPoints(options),
      trials: options.trials,
      warmup: options.warmup,
      requests: options.requests ?? null,
      durationS: options.durationS ?? null,
      arms: abUrl ? 2 : 1,
    });
    const summaries = abUrl
      ? await runAbSweep({
          ...options,
          ab: {
            ...target,
            backend: `${target.backend}-b`,
            url: abUrl,
            outDir: path.join(outDir, 'b'),
            provenance: v.abProvenance ?? target.provenance,
          },
        })
      : [await runSweep(options)];
    return report(summaries, v.url, ctx);
  },
};

type Raw = Record<string, string | string[] | boolean | undefined>;
type Reader = ReturnType<typeof flagReader>;
type ConfigBackend = ResolvedConfig['backends'][number];

/** Every flag read and checked; the fields the checks made sure of are set once no problem was found. */
interface SweepFlags {
  o: Raw;
  str: Reader['str'];
  cfg?: ResolvedConfig;
  base: ResolvedConfig;
  cfgBackend?: ConfigBackend;
  kind?: AdapterKind;
  url?: string;
  out?: string;
  api?: string;
  provenance: SweepTarget['provenance'];
  /** Arm B's own provenance (A/B with two deployed servers); undefined: arm A's. */
  abProvenance: SweepTarget['provenance'];
  plan: SweepPlan;
  entry?: ReturnType<typeof gateBaselineEntry>['entry'];
  timeScale: number;
  clientThreads: number;
  progressKind: string;
  headers: Record<string, string>;
}

/** Reads every flag (and the config, deploy report and baseline they name); all problems at once, exit 2. */
async function readSweepFlags(opts: Record<string, unknown>, ctx: CommandContext): Promise<SweepFlags> {
  const problems: Problem[] = [];
  const reader = flagReader(opts, problems);
  const { o, str } = reader;
  const cfg = await readFlagFile('--config', str('config'), ctx, problems, loadConfig);
  const base = cfg ?? builtinConfig();
  const provenance = await readProvenance('--deploy-report', str('deploy-report'), ctx, problems);
  const abProvenance = await readProvenance('--ab-deploy-report', str('ab-deploy-report'), ctx, problems);
  if (str('ab-deploy-report') !== undefined && str('ab-url') === undefined)
    problems.push({ path: '--ab-deploy-report', message: 'is for A/B mode: give --ab-url too' });
  const { kind, cfgBackend } = resolveBackend(str('backend'), cfg, problems);
  const { url, out, api } = targetFlags(reader, kind, cfgBackend, ctx, problems);
  const { plan, entry } = await gatedPlan(reader, base, cfgBackend?.id ?? kind!, ctx, problems);
  const client = clientFlags(reader, cfgBackend, problems);
  const headers = requestHeaders(o, cfgBackend, ctx, problems);
  problems.push(...(await datasetProblems(str('dataset') ?? base.workload.dataset, '--dataset', ctx.cwd)));
  if (o.resume && str('ab-url') === undefined && cfg?.load.ab)
    problems.push({ path: '--ab-url', message: 'the config asks for A/B mode; give --ab-url' });
  if (problems.length) {
    throw new InvalidInputError('sweep-flags-invalid', `invalid sweep flags (${problemCount(problems.length)})`, {
      problems,
      hint: 'Run `llmbench sweep --help` for the flags and examples.',
    });
  }
  return {
    o,
    str,
    cfg,
    base,
    cfgBackend,
    kind,
    url,
    out,
    api,
    provenance,
    abProvenance,
    plan,
    entry,
    ...client,
    headers,
  };
}

/** Reads the file a flag names; its input problems are collected under the flag (e.g. --config/…), not thrown. */
async function readFlagFile<T>(
  flag: string,
  file: string | undefined,
  ctx: CommandContext,
  problems: Problem[],
  read: (absPath: string) => Promise<T>,
): Promise<T | undefined> {
  if (!file) return undefined;
  try {
    return await read(path.resolve(ctx.cwd, file));
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    problems.push(...e.problems.map((p) => ({ ...p, path: `${flag}${p.path}` })));
    return undefined;
  }
}

/**
 * Provenance from `llmbench wait` (GPU product, server version, image digest), so analyze can refuse to compare
 * runs on different hardware or servers.
 */
async function readProvenance(
  flag: string,
  arg: string | undefined,
  ctx: CommandContext,
  problems: Problem[],
): Promise<SweepTarget['provenance']> {
  if (!arg) return undefined;
  const file = path.resolve(ctx.cwd, arg);
  try {
    const rep = JSON.parse(await readFile(file, 'utf8')) as DeployReport;
    const bad = validate('deploy-report', rep);
    if (bad.length) problems.push(...bad.map((p) => ({ ...p, path: `${flag}${p.path}`, file })));
    else
      return {
        gpu: rep.gpu?.product ?? rep.gpu?.profile ?? null,
        server: rep.server_version ?? null,
        image_digest: rep.image_digest ?? null,
      };
  } catch (e) {
    problems.push({ path: flag, message: `cannot read ${file}: ${(e as Error).message}` });
  }
  return undefined;
}

/** Backend: a kind, or a backend id from the config. */
function resolveBackend(
  backendArg: string | undefined,
  cfg: ResolvedConfig | undefined,
  problems: Problem[],
): { kind?: AdapterKind; cfgBackend?: ConfigBackend } {
  const cfgBackend = cfg?.backends.find((b) => b.id === backendArg) ?? cfg?.backends.find((b) => b.kind === backendArg);
  if (!backendArg) problems.push({ path: '--backend', message: `is required (${ADAPTER_KINDS.join(', ')})` });
  else if (cfgBackend) return { kind: cfgBackend.kind, cfgBackend };
  else if (isAdapterKind(backendArg)) return { kind: backendArg, cfgBackend };
  else
    problems.push({
      path: '--backend',
      message: `'${backendArg}' is not one of ${ADAPTER_KINDS.join(', ')}${cfg ? ' nor a backend id in the config' : ''}`,
    });
  return { cfgBackend };
}

/** --url (or the config's endpoint), --ab-url, --out and --api. */
function targetFlags(
  { str }: Reader,
  kind: AdapterKind | undefined,
  cfgBackend: ConfigBackend | undefined,
  ctx: CommandContext,
  problems: Problem[],
): { url?: string; out?: string; api?: string } {
  const url = str('url') ?? cfgBackend?.endpoint;
  // The same checks as `run` (steps/core/targets.ts): WHATWG URL, http(s), ${NAME} references set.
  const checkUrl = (u: string | undefined, flag: string, required: boolean) => {
    if (u === undefined) {
      if (required) problems.push({ path: `--${flag}`, message: 'is required (server base URL)' });
      return;
    }
    problems.push(...endpointProblems(u, `--${flag}`, ctx.env));
  };
  checkUrl(url, 'url', true);
  checkUrl(str('ab-url'), 'ab-url', false);
  const out = str('out');
  if (!out) problems.push({ path: '--out', message: 'is required (output directory)' });
  const api = str('api') ?? cfgBackend?.api;
  if (kind && api !== undefined && !getAdapter(kind).apis.includes(api))
    problems.push({
      path: '--api',
      message: `'${api}' is not available for ${kind} (use ${getAdapter(kind).apis.join(' or ')})`,
    });
  return { url, out, api };
}

/** The plan from the config and flags, with the sequential gate when it has something to compare with. */
async function gatedPlan(
  reader: Reader,
  base: ResolvedConfig,
  backend: string,
  ctx: CommandContext,
  problems: Problem[],
): Promise<{ plan: SweepPlan; entry?: ReturnType<typeof gateBaselineEntry>['entry'] }> {
  const { str } = reader;
  const flags = planFlags(reader, base.load, problems);
  const abUrlArg = str('ab-url');
  const baseline = await readFlagFile('--baseline', str('baseline'), ctx, problems, readBaseline);
  // The gate compares with a baseline entry only when it measured this very workload (else: fixed trials).
  const fixed = sweepPlan(base, flags);
  const fp = baseline && !problems.length ? await planFingerprint(fixed, ctx.cwd).catch(() => '') : '';
  const wanted = sweepPlan(base, flags, { comparable: true }).sequential;
  const { entry, why } = gateBaselineEntry(wanted, base.regression, baseline?.backends, backend, fp);
  if (why && !abUrlArg) ctx.log.info(`${why}: fixed trials, no sequential gate`);
  const plan = sweepPlan(base, flags, { comparable: !!abUrlArg || !!entry });
  if (plan.sequential)
    problems.push(
      ...sequentialProblems({
        ...base.regression,
        sequential: { ...base.regression.sequential, ...plan.sequential },
      }),
    );
  if (flags.sequential === true && !plan.sequential)
    problems.push({
      path: '--sequential',
      message:
        'the gate needs something to compare with: --ab-url, or --baseline with an entry for this backend and workload',
    });
  return { plan, entry };
}

/** How this client runs: simulated time scale, client threads, progress display. */
function clientFlags(
  { str, num, ranged }: Reader,
  cfgBackend: ConfigBackend | undefined,
  problems: Problem[],
): { timeScale: number; clientThreads: number; progressKind: string } {
  const timeScale =
    ranged('time-scale', '/definitions/backend/properties/sim/properties/time_scale') ??
    cfgBackend?.sim?.time_scale ??
    1;
  const clientThreads = num('client-threads', 'client-threads', { int: true, min: 1 }) ?? DEFAULT_CLIENT_THREADS;
  if (clientThreads > 256)
    problems.push({ path: '--client-threads', message: `must be at most 256 (got ${clientThreads})` });
  const progressKind = str('progress') ?? 'auto';
  if (!['auto', 'bar', 'json', 'none'].includes(progressKind))
    problems.push({ path: '--progress', message: 'must be auto, bar, json or none' });
  return { timeScale, clientThreads, progressKind };
}

/** The config backend's headers, then each --header 'Name: value'; `${NAME}` references must be set. */
function requestHeaders(
  o: Raw,
  cfgBackend: ConfigBackend | undefined,
  ctx: CommandContext,
  problems: Problem[],
): Record<string, string> {
  const headers: Record<string, string> = { ...cfgBackend?.headers };
  for (const [i, h] of ((o.header as string[] | undefined) ?? []).entries()) {
    const m = /^([A-Za-z0-9-]+)\s*:\s*(.*)$/.exec(h);
    if (!m) problems.push({ path: `--header/${i}`, message: "must look like 'Name: value'" });
    else headers[m[1]] = m[2];
  }
  problems.push(...headerProblems(headers, '--header', ctx.env));
  return headers;
}

/** The checked flags as sweep options for the target (A/B: arm A, its candidate at abUrl). */
function buildSweep(
  v: SweepFlags,
  ctx: CommandContext,
): { options: SweepOptions; target: SweepTarget; abUrl?: string; outDir: string } {
  const { o, str, cfg, cfgBackend } = v;
  const outDir = path.resolve(ctx.cwd, v.out!);
  const abUrl = str('ab-url') === undefined ? undefined : resolveEnvRefs(str('ab-url')!, ctx.env);
  const scrape = o['scrape-metrics'];
  const target: SweepTarget = {
    backend: cfgBackend?.id ?? v.kind!,
    kind: v.kind!,
    url: resolveEnvRefs(v.url!, ctx.env),
    model: str('model') ?? cfgBackend?.model ?? cfg?.model.served_name ?? CONFIG_DEFAULTS.model.served_name,
    api: v.api,
    headers: Object.keys(v.headers).length ? resolveHeaders(v.headers, ctx.env) : undefined,
    outDir: abUrl ? path.join(outDir, 'a') : outDir,
    timeScale: v.timeScale,
    scrapeMetrics: typeof scrape === 'string' ? scrape : scrape === true,
    provenance: v.provenance,
  };
  const { sequential: design, ...planned } = v.plan;
  const options: SweepOptions = {
    ...target,
    ...planned,
    resume: o.resume === true,
    clientThreads: v.clientThreads,
    log: ctx.log,
    signal: ctx.signal,
    cwd: ctx.cwd,
    gate: design
      ? sequentialGate({
          design,
          regression: v.base.regression,
          slo: v.base.slo,
          reference: abUrl ? { mode: 'ab' } : { mode: 'baseline', baseline: v.entry },
          onStep: (p, t, step, why) =>
            step !== 'continue' &&
            ctx.log.info(`gate at ${p.concurrency ?? p.rate} after trial ${t + 1}: ${step} (${why})`),
        })
      : undefined,
  };
  return { options, target, abUrl, outDir };
}

/** With the plan, the display says point i/n, trial j/k and an ETA (steps/sweep/progress.ts). */
function pickProgress(progressKind: string, ctx: CommandContext, plan: ProgressPlan): Progress {
  return progressKind === 'none'
    ? noProgress
    : progressKind === 'json'
      ? eventProgress(ctx.log, undefined, plan)
      : progressKind === 'bar' || (progressKind === 'auto' && !ctx.log.json && process.stderr.isTTY)
        ? barProgress(process.stderr, plan)
        : progressKind === 'auto' && ctx.log.json
          ? eventProgress(ctx.log, undefined, plan)
          : noProgress;
}

/** Prints each summary's table; a stopped sweep says how to resume; a sweep where nothing succeeded is an error. */
function report(summaries: SweepSummary[], url: string | undefined, ctx: CommandContext): ExitCodeValue {
  for (const s of summaries) ctx.stdout(formatTable(s) + '\n');
  if (ctx.signal.aborted) {
    ctx.log.warn('sweep stopped early; every finished request is in samples.ndjson — continue with --resume');
    return ExitCode.ENVIRONMENT;
  }
  if (summaries.every((s) => s.points.every((p) => p.completed === 0))) {
    const cats = summaries.flatMap((s) => s.points.flatMap((p) => Object.keys(p.errors_by_category ?? {})));
    throw new EnvironmentError(
      'no-successful-requests',
      `no request succeeded against ${url} (${[...new Set(cats)].join(', ') || 'no requests'})`,
      {
        hint: 'Check the URL, the model name (--model) and that the server is ready (llmbench wait). Samples with error details are in samples.ndjson.',
      },
    );
  }
  return ExitCode.OK;
}

/** Typed access to commander's options by their flag names; every bad value becomes a problem with its flag. */
function flagReader(raw: Record<string, unknown>, problems: Problem[]) {
  // commander camel-cases option names (--input-tokens → inputTokens); look flags up by their typed name.
  const o: Raw = {};
  for (const [k, v] of Object.entries(raw)) o[k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())] = v as Raw[string];
  const str = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
  const num = (k: string, flag: string, { int = false, min = 0, exclusive = false } = {}): number | undefined => {
    const v = str(k);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || (int && !Number.isInteger(n)) || (exclusive ? n <= min : n < min)) {
      problems.push({
        path: `--${flag}`,
        message: `must be ${int ? 'an integer' : 'a number'} ${exclusive ? '>' : '≥'} ${min} (got '${v}')`,
      });
      return undefined;
    }
    return n;
  };
  /** A flag that sets a config field: the field's own schema range (steps/core/flag-ranges.ts), as the config. */
  const ranged = (k: string, pointer: string): number | undefined => {
    const v = str(k);
    if (v === undefined) return undefined;
    const r = rangedNumber(v, `--${k}`, pointer);
    if (typeof r === 'number') return r;
    problems.push(r);
    return undefined;
  };
  const list = (k: string, pointer: string): number[] | undefined => {
    const v = str(k);
    if (v === undefined) return undefined;
    const out: number[] = [];
    v.split(',')
      .map((x) => x.trim())
      .forEach((p, i) => {
        const r = rangedNumber(p, `--${k}/${i}`, pointer);
        if (typeof r === 'number') out.push(r);
        else problems.push(r);
      });
    if (new Set(out).size !== out.length) problems.push({ path: `--${k}`, message: 'has duplicate values' });
    return out;
  };
  return { o, str, num, ranged, list };
}

/**
 * The plan flags, parsed and checked; defaults are not applied here but in sweepPlan (steps/sweep/plan.ts), the one
 * place `run` and `sweep` share. Exported for the defaults test.
 */
export function planFlags(r: ReturnType<typeof flagReader>, L: ResolvedConfig['load'], problems: Problem[]): PlanFlags {
  const { o, str, num, ranged, list } = r;
  const conc = list('concurrency', `${LOAD('concurrency')}/items`);
  const rate = list('rate', `${LOAD('rate')}/items`);
  if (conc && rate) problems.push({ path: '--rate', message: 'use either --concurrency or --rate, not both' });
  const modeArg = str('mode');
  if (modeArg && !['concurrency', 'rate', 'max-throughput'].includes(modeArg))
    problems.push({ path: '--mode', message: 'must be concurrency, rate or max-throughput' });
  const mode: LoadMode = (modeArg as LoadMode) ?? (rate ? 'rate' : conc ? 'concurrency' : L.mode);
  // Only when --rate is absent: a given but invalid value was reported above, once.
  if (mode === 'rate' && str('rate') === undefined && !L.rate?.length)
    problems.push({ path: '--rate', message: 'is required in rate mode' });
  if (mode !== 'rate' && rate) problems.push({ path: '--mode', message: `--rate needs mode rate (got ${mode})` });
  const arrival = str('arrival');
  if (arrival !== undefined && !['poisson', 'gamma', 'constant'].includes(arrival))
    problems.push({ path: '--arrival', message: 'must be poisson, gamma or constant' });

  const requests = ranged('requests', LOAD('requests'));
  const duration = ranged('duration', LOAD('duration_s'));
  if (requests !== undefined && duration !== undefined)
    problems.push({ path: '--duration', message: 'use either --requests or --duration, not both' });
  const flags: PlanFlags = {
    mode: modeArg as LoadMode | undefined,
    concurrency: conc,
    rate,
    arrival: arrival as PlanFlags['arrival'],
    burstiness: ranged('burstiness', LOAD('burstiness')),
    requests,
    durationS: duration,
    trials: ranged('trials', LOAD('trials')),
    warmup: ranged('warmup', LOAD('warmup')),
    minSamples: ranged('min-samples', LOAD('min_samples')),
    inputTokens: ranged('input-tokens', WORKLOAD('input_tokens')),
    outputTokens: ranged('output-tokens', WORKLOAD('output_tokens')),
    prompts: ranged('prompts', WORKLOAD('prompts')),
    dataset: str('dataset'),
    seed: ranged('seed', LOAD('seed')),
    timeoutS: ranged('timeout', LOAD('timeout_s')),
    stallTimeoutS: ranged('stall-timeout', LOAD('stall_timeout_s')),
    sequential: typeof o.sequential === 'boolean' ? o.sequential : undefined,
    maxTrials: num('max-trials', 'max-trials', { int: true, min: 2 }),
  };
  return flags;
}

/** Commander options → plan flags (for tests: the flags layer adds no defaults of its own). */
export function planFlagsOf(
  raw: Record<string, unknown>,
  L: ResolvedConfig['load'],
): { flags: PlanFlags; problems: Problem[] } {
  const problems: Problem[] = [];
  return { flags: planFlags(flagReader(raw, problems), L, problems), problems };
}
