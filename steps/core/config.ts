import { promises as fs } from 'node:fs';
import yaml from 'js-yaml';
import { InvalidInputError, type Problem, problemCount } from './errors.js';
import { validate } from './schemas.js';
import { YamlLines } from './yaml-lines.js';
import {
  SERVER_CATALOGUE as SERVERS,
  SERVER_KINDS as SERVER_NAMES,
  isServerKind as isServerName,
} from './server-catalogue.js';
import { GPU_PROFILES, REFERENCE_PROFILE } from './gpu-profiles.js';
import { endpointProblems, headerProblems } from './targets.js';
import type { BenchConfig, Backend } from './types/bench-config.js';

export type { BenchConfig, Backend } from './types/bench-config.js';

/** Defaults applied after validation; the schema describes each field. */
export const CONFIG_DEFAULTS = {
  model: { name: 'mistralai/Mistral-7B-Instruct-v0.2', served_name: 'mistral', tokenizer: 'mistral' as const },
  load: {
    mode: 'concurrency' as const,
    concurrency: [1, 4, 8, 16],
    arrival: 'poisson' as const,
    burstiness: 1,
    // 12 trials per side: Welch's t on log trial values then detects a 5 % drop ≥ 95 % with ≤ 1 % A/A false
    // alarms at 3 % run-to-run noise (npm run bench:analyze; steps/analyze/README.md).
    trials: 12,
    warmup: 2,
    timeout_s: 120,
    stall_timeout_s: 30,
    // Below ~100 successful requests numpy's p99 is an interpolation between the two largest values.
    min_samples: 100,
    seed: 42,
    ab: false,
  },
  workload: {
    dataset: 'synthetic',
    input_tokens: 128,
    output_tokens: 100,
    prompts: 64,
    temperature: 0,
    ignore_eos: true,
  },
  regression: {
    tolerance_pct: 3,
    alpha: 0.05,
    max_error_rate: 0.01,
    gate_p99: false,
    metrics: {},
    // The sequential gate, on by default (every PR entry point): a group-sequential design chosen by simulation for
    // 3 % trial noise and 3 % tolerance — 5 % drop found ≥ 95 %, A/A false alarms ≤ 1 %, expected trials per side
    // ≤ 8 under the drop and ≤ 6 under A/A, at most 16 (npm run bench:analyze; steps/stats/sequential.ts).
    sequential: {
      enabled: true,
      detectable_pct: 5,
      max_trials: 16,
      min_trials: 3,
      alpha: 0.015,
      beta: 0.04,
      power: 0.95,
      noise_pct: 3,
      prior_df: 10,
      alpha_spending: 'hsd(-1)',
      beta_spending: 'hsd(2)',
    },
  },
  baseline: { path: 'results/baselines/default.json', history_dir: 'results/history', update: false },
  cluster: {
    mode: 'direct' as const,
    namespace: 'llm-bench',
    // No Route by default: the benchmark reaches the Service from inside the cluster (apply/render --route opts in).
    route: false,
    privileged_scc: false,
    ready_timeout_s: 1800,
  },
  gpu_profile: REFERENCE_PROFILE,
  cost: { gpu_hour_usd: 1.5 },
};

type D = typeof CONFIG_DEFAULTS;
/** A validated config with every defaulted field present. */
export type ResolvedConfig = Omit<
  BenchConfig,
  'model' | 'load' | 'workload' | 'regression' | 'baseline' | 'cluster' | 'gpu_profile' | 'cost' | 'backends'
> & {
  model: Required<NonNullable<BenchConfig['model']>>;
  load: NonNullable<BenchConfig['load']> &
    Omit<D['load'], 'concurrency'> & {
      concurrency?: number[];
      requests?: number;
      duration_s?: number;
      rate?: number[];
    };
  workload: Required<NonNullable<BenchConfig['workload']>>;
  regression: NonNullable<BenchConfig['regression']> & D['regression'];
  baseline: Required<NonNullable<BenchConfig['baseline']>>;
  cluster: NonNullable<BenchConfig['cluster']> & D['cluster'];
  gpu_profile: string;
  cost: Required<NonNullable<BenchConfig['cost']>>;
  backends: (Backend & { id: string })[];
};

/** Checks the schema cannot express; every problem has a path. */
export function semanticProblems(c: BenchConfig): Problem[] {
  const problems: Problem[] = [];
  const ids = new Map<string, number>();
  c.backends.forEach((b, i) => {
    const id = b.id ?? b.kind;
    if (ids.has(id))
      problems.push({
        path: `/backends/${i}/id`,
        message: `duplicate backend id '${id}' (also at /backends/${ids.get(id)}); give each an id`,
      });
    ids.set(id, i);
    if (!isServerName(b.kind)) {
      problems.push({ path: `/backends/${i}/kind`, message: `must be one of ${SERVER_NAMES.join(', ')}` });
    } else if (b.api) {
      const ok = SERVERS[b.kind].adapter.apis;
      if (!ok.includes(b.api))
        problems.push({
          path: `/backends/${i}/api`,
          message: `api '${b.api}' is not available for ${b.kind} (use ${ok.join(' or ')})`,
        });
    }
    // Syntax only here (names, CR/LF, ${NAME} form); whether the variables are set is checked where they are used.
    problems.push(...headerProblems(b.headers ?? {}, `/backends/${i}/headers`, null));
    if (b.endpoint !== undefined) problems.push(...endpointProblems(b.endpoint, `/backends/${i}/endpoint`, null));
  });
  const load = c.load ?? {};
  const mode = load.mode ?? 'concurrency';
  if (mode === 'rate' && !load.rate) problems.push({ path: '/load/rate', message: "is required when mode is 'rate'" });
  if (mode !== 'rate' && load.rate && !load.mode)
    problems.push({ path: '/load/mode', message: 'set mode: rate to use a rate list' });
  if (mode === 'concurrency' && load.rate && load.mode === 'concurrency')
    problems.push({ path: '/load/rate', message: "is only used when mode is 'rate'" });
  if (load.ab && c.backends.length !== 2)
    problems.push({
      path: '/load/ab',
      message: `A/B mode needs exactly two backends (baseline, candidate); found ${c.backends.length}`,
    });
  if (c.cluster?.mode === 'acm' && !c.cluster.managed_cluster)
    problems.push({ path: '/cluster/managed_cluster', message: "is required when mode is 'acm'" });
  if (c.cluster?.managed_cluster && c.cluster.mode !== 'acm')
    problems.push({ path: '/cluster/mode', message: "must be 'acm' when managed_cluster is set" });
  if (c.gpu_profile !== undefined && !GPU_PROFILES.some((g) => g.id === c.gpu_profile))
    problems.push({
      path: '/gpu_profile',
      message: `unknown GPU profile '${c.gpu_profile}' (known: ${GPU_PROFILES.map((g) => g.id).join(', ')})`,
    });
  if (c.github?.pr !== undefined && !c.github.repo)
    problems.push({ path: '/github/repo', message: 'is required when pr is set' });
  return problems;
}

export function resolveConfig(c: BenchConfig): ResolvedConfig {
  const D = CONFIG_DEFAULTS;
  const load = { ...D.load, ...c.load };
  if (load.mode !== 'concurrency' || c.load?.concurrency) {
    if (!c.load?.concurrency && load.mode !== 'max-throughput') delete (load as { concurrency?: number[] }).concurrency;
  }
  return {
    ...c,
    model: { ...D.model, ...c.model },
    load,
    workload: { ...D.workload, ...c.workload },
    regression: {
      ...D.regression,
      ...c.regression,
      metrics: { ...c.regression?.metrics },
      sequential: { ...D.regression.sequential, ...c.regression?.sequential },
    },
    baseline: { ...D.baseline, ...c.baseline },
    cluster: { ...D.cluster, ...c.cluster },
    gpu_profile: c.gpu_profile ?? D.gpu_profile,
    cost: { ...D.cost, ...c.cost },
    backends: c.backends.map((b) => ({ ...b, id: b.id ?? b.kind })),
  } as ResolvedConfig;
}

/**
 * Parses and validates a config document. Every problem is reported at once, with its JSON path and, for
 * YAML, its line. Throws InvalidInputError (exit 2); does no other work, so nothing is written on failure.
 */
export function parseConfig(text: string, file = '<config>'): ResolvedConfig {
  let doc: unknown;
  try {
    doc = yaml.load(text, { filename: file, schema: yaml.CORE_SCHEMA, json: false });
  } catch (e) {
    const err = e as yaml.YAMLException;
    const line = err.mark ? err.mark.line + 1 : undefined;
    throw new InvalidInputError(
      'config-parse',
      `${file}: malformed YAML${line ? ` at line ${line}` : ''}: ${err.reason ?? err.message}`,
      {
        problems: [{ path: '', message: err.reason ?? err.message, line, file }],
        hint: 'Fix the YAML syntax (indentation, colons, quotes) at the line shown.',
        cause: e,
      },
    );
  }
  if (doc === undefined || doc === null) {
    throw new InvalidInputError('config-empty', `${file}: the config is empty`, {
      problems: [{ path: '', message: 'empty document', file }],
      hint: 'Start from the example in README.md (at least `version: 1` and one backend).',
    });
  }
  const problems = validate('bench-config', doc);
  if (!problems.length) problems.push(...semanticProblems(doc as BenchConfig));
  if (problems.length) {
    const locate = new YamlLines(text);
    for (const p of problems) {
      p.file = file;
      p.line = locate.lineOf(p.path);
    }
    throw new InvalidInputError('config-invalid', `${file}: invalid config (${problemCount(problems.length)})`, {
      problems,
      hint: 'Each problem names the field by path and line; schemas/bench-config.schema.json describes every field.',
    });
  }
  return resolveConfig(doc as BenchConfig);
}

export async function loadConfig(file: string): Promise<ResolvedConfig> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new InvalidInputError('config-unreadable', `cannot read config ${file}: ${(e as Error).message}`, {
      problems: [{ path: '', message: 'file not readable', file }],
      hint: 'Check the --config path.',
    });
  }
  return parseConfig(text, file);
}

/** The built-in defaults alone (CONFIG_DEFAULTS), for steps run without a config. */
export function builtinConfig(): ResolvedConfig {
  return resolveConfig({ version: 1, backends: [{ kind: 'vllm' }] });
}

/** The embedded default: the three simulated servers, as `npm start` runs them. */
export function defaultConfig(): ResolvedConfig {
  return resolveConfig({
    version: 1,
    name: 'embedded default: simulated vLLM, TGI and Triton on A100 MIG 3g.20gb, Mistral-7B (simulated time 4x, TGI 6x)',
    // The original framework's reference setup, simulated. Simulated time runs faster so the whole chain takes
    // about a minute; samples record the factor and metrics are reported in simulated time. The client's timing
    // error is multiplied by the factor, so no server runs faster than vLLM's 4x in the terms that matter: TGI
    // (bitsandbytes-nf4: ITL ~50 ms, TTFT ~72 ms at c=1) at 6x has TTFT as long in real time as vLLM's at 4x
    // (~12 ms) and a longer real ITL (~8 ms vs ~6 ms), so its self-check and TTFT are no more sensitive to
    // event-loop jitter; its sweep then takes about as long as vLLM's and Triton's, which run at the same time
    // (steps/run/parallel.ts). The timing error is also why the TTFT tolerance below is wider.
    backends: [
      { kind: 'vllm', sim: { time_scale: 4 } },
      { kind: 'tgi', sim: { time_scale: 6 } },
      { kind: 'triton', sim: { time_scale: 4 } },
    ],
    // A demo, not a gate: 3 trials × 16 requests per point (16 so that c=16 really has 16 in flight). p99 rests on
    // fewer than min_samples requests and is flagged as such; a real gate uses the defaults above (12 trials,
    // ≥ 100 requests per point). At 4x, ~2.5 ms of idle-machine event-loop jitter is ~10 simulated ms, under the
    // self-check's limit of half an ITL (~13 ms); at 5x it trips on an idle 2-core machine.
    load: { requests: 16, trials: 3, warmup: 1 },
    // Three servers against the committed baseline file, 3 fixed trials: the sequential gate (the PR default) would
    // run up to 16 and the demo must stay fast; `load.ab: true` with two backends shows the gate.
    regression: {
      tolerance_pct: 5,
      metrics: { 'ttft_ms.p50': { tolerance_pct: 25 } },
      sequential: { enabled: false },
    },
  });
}
