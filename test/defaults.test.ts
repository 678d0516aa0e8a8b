/**
 * One source of defaults across the three ways a benchmark starts: `llmbench run` and `llmbench sweep` (their sweep
 * plans: steps/sweep/plan.test.ts) and Tekton (the Pipeline, its Tasks, the Pipelines-as-Code Repository and
 * PipelineRuns, the Triggers). A Tekton param either defaults to empty, meaning "what the CLI and the bench config
 * decide", or to exactly the CLI's resolved default; the load plan is never pinned by Tekton at all (a pinned
 * `trials: "3"` once overrode the config's 12 on every PR run). Editing one default anywhere fails here.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import type { CommandSpec } from '../steps/core/command.js';
import { CONFIG_DEFAULTS, builtinConfig } from '../steps/core/config.js';
import { createLogger } from '../steps/core/log.js';
import { resolveClusterOptions } from '../steps/cluster/options.js';
import type { RenderOptions } from '../steps/cluster/render.js';
import { SERVER_NAMES } from '../steps/servers/index.js';
import { DEFAULT_CLIENT_THREADS, command as sweepCommand, planFlagsOf } from '../steps/sweep/command.js';
import { defaultRequests, sweepPlan } from '../steps/sweep/plan.js';
import { planned } from '../steps/run/backend.js';
import { command as buildCommand } from '../steps/build/command.js';
import { command as gcCommand } from '../steps/teardown/gc-command.js';
import { command as reportCommand } from '../steps/report/command.js';
import { loadDocs, type Doc } from './tekton/tekton.js';

type Obj = Doc['obj'];
interface Param {
  name: string;
  default?: unknown;
  value?: unknown;
}

/** The default commander gives a flag of a command, as `llmbench <command> --help` shows it. */
function flagDefault(spec: CommandSpec, flag: string): unknown {
  const c = new Command(spec.name);
  spec.configure(c);
  const o = c.options.find((x) => x.long === flag);
  if (!o) throw new Error(`llmbench ${spec.name} has no ${flag}`);
  return o.defaultValue;
}

/** Load-plan params: empty everywhere (the bench config's plan), passed to `llmbench sweep` only when set. */
const LOAD_PLAN = ['concurrency', 'requests', 'trials', 'warmup', 'input-tokens', 'output-tokens'];
/** Defaults with no CLI or config counterpart: Tekton's own wiring (secret names, registry, git refs). */
const TEKTON_ONLY = [
  'registry',
  'registry-tls-verify',
  'tls-verify',
  'storage-driver',
  'baseline-ref',
  'github-token-secret',
  'github-token-key',
  'fail-on-regression',
  'backend', // the entry points' default server: checked below to be one registered server, the same everywhere
];
/** Values an entry point sets on purpose, not defaults: the nightly writes baselines; PaC's App token posts checks. */
// The PR entry points choose the A/B gate (`ab`), as the issue asks of every PR entry point.
const ENTRY_CHOICES = ['update-baseline', 'status-kind', 'fail-on-regression', 'ab'];

/** Tekton param → the CLI's default. The sweep Task's `model` is the served name (what requests ask for). */
function cliDefaults(cli: RenderOptions): (doc: Obj, param: string) => string | undefined {
  const byName: Record<string, string> = {
    model: cli.model,
    'served-model': cli.servedName,
    'gpu-profile': cli.gpuProfile,
    namespace: cli.namespace,
    'ready-timeout': String(cli.readyTimeoutS),
    route: String(cli.route),
    'mig-strategy': cli.migStrategy,
    'model-cache': cli.modelCache,
    'client-namespace': cli.clientNamespace,
    'hf-token-secret': cli.hfTokenSecret,
    'client-threads': String(DEFAULT_CLIENT_THREADS),
    'baseline-path': CONFIG_DEFAULTS.baseline.path,
    'update-baseline': String(CONFIG_DEFAULTS.baseline.update),
    ab: String(CONFIG_DEFAULTS.load.ab),
    'github-api': String(flagDefault(reportCommand, '--github-api')),
    'status-kind': String(flagDefault(reportCommand, '--status-kind')),
  };
  return (doc, param) =>
    doc.kind === 'Task' && doc.metadata.name === 'llmbench-sweep' && param === 'model' ? cli.servedName : byName[param];
}

/**
 * The sweep Task's own step script run by sh with its env from these params (the Task's defaults for the rest) and
 * `llmbench` on PATH recording its arguments: what `llmbench sweep` receives in a PipelineRun.
 */
function sweepStepArgv(task: Obj, params: Record<string, string>, dir: string): string[] {
  const step = (task.spec.steps as Obj[]).find((x) => x.name === 'sweep')!;
  const values: Record<string, string> = Object.fromEntries(
    (task.spec.params as Param[]).map((p) => [p.name, params[p.name] ?? String(p.default ?? '')]),
  );
  const env: Record<string, string> = { PATH: `${dir}:${process.env.PATH}` };
  for (const e of step.env as { name: string; value: string }[])
    env[e.name] = e.value
      .replace(/\$\(params\.([a-z-]+)\)/g, (_m, n: string) => values[n])
      .replace(/\$\(workspaces\.[a-z-]+\.path\)/g, dir)
      .replace(/\$\(workspaces\.[a-z-]+\.bound\)/g, 'false');
  writeFileSync(path.join(dir, 'llmbench'), '#!/bin/sh\nfor a in "$@"; do printf \'%s\\n\' "$a"; done\n');
  chmodSync(path.join(dir, 'llmbench'), 0o755);
  const r = spawnSync('sh', ['-c', step.script], { env, encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`sweep step script exited ${r.status}: ${r.stderr}`);
  return r.stdout.split('\n').slice(0, -1);
}

/** Those arguments parsed by the sweep command's own flags, as plan flags (drops the command word). */
function sweepFlags(argv: string[]) {
  const c = new Command('sweep').exitOverride();
  sweepCommand.configure(c);
  c.parse(argv.slice(1), { from: 'user' });
  return planFlagsOf(c.opts(), builtinConfig().load);
}

const passedThrough = (v: unknown) => typeof v === 'string' && /\$\(|\{\{/.test(v);

/** Every declared param default (Pipeline, Task, TriggerTemplate) against the CLI's. */
function declaredDefaultProblems(docs: Doc[], expected: ReturnType<typeof cliDefaults>): string[] {
  const out: string[] = [];
  for (const d of docs.filter((x) => ['Pipeline', 'Task', 'TriggerTemplate'].includes(x.obj.kind))) {
    for (const p of (d.obj.spec?.params ?? []) as Param[]) {
      if (!('default' in p)) continue;
      const at = `${d.file} ${d.obj.kind}/${d.obj.metadata.name} param ${p.name} default ${JSON.stringify(p.default)}`;
      const want = expected(d.obj, p.name);
      if (LOAD_PLAN.includes(p.name)) {
        if (p.default !== '') out.push(`${at}: must be "" (the bench config's load plan)`);
      } else if (p.default === '') continue;
      else if (want !== undefined) {
        // An entry point's template may choose (the nightly one writes baselines); the Pipeline and Tasks may not.
        const chosen = d.obj.kind === 'TriggerTemplate' && ENTRY_CHOICES.includes(p.name);
        if (p.default !== want && !chosen) out.push(`${at}: the CLI's default is ${JSON.stringify(want)}`);
      } else if (!TEKTON_ONLY.includes(p.name)) out.push(`${at}: not classified (CLI default or Tekton-only?)`);
    }
  }
  return out;
}

/** The params an entry point or the Pipeline sets to a literal value (references are passed through). */
function literalParams(d: Doc): Param[] {
  const o = d.obj;
  const lists: Param[][] = [];
  if (['TriggerBinding', 'Repository', 'PipelineRun'].includes(o.kind)) lists.push(o.spec?.params ?? []);
  if (o.kind === 'TriggerTemplate') for (const t of o.spec.resourcetemplates) lists.push(t.spec?.params ?? []);
  if (o.kind === 'Pipeline') for (const t of [...o.spec.tasks, ...(o.spec.finally ?? [])]) lists.push(t.params ?? []);
  return lists.flat().filter((p) => typeof p.value === 'string' && !passedThrough(p.value));
}

function literalValueProblems(docs: Doc[], expected: ReturnType<typeof cliDefaults>): string[] {
  const out: string[] = [];
  for (const d of docs) {
    for (const p of literalParams(d)) {
      const at = `${d.file} ${d.obj.kind}/${d.obj.metadata.name ?? ''} sets ${p.name}: ${JSON.stringify(p.value)}`;
      // Inside the Pipeline a task param named like a pipeline param means the same (the sweep Task's model aside).
      const want = d.obj.kind === 'Pipeline' ? undefined : expected({ kind: 'entry' }, p.name);
      if (LOAD_PLAN.includes(p.name)) {
        if (p.value !== '') out.push(`${at}: an entry point must not pin the load plan (the bench config's)`);
      } else if (want !== undefined && !ENTRY_CHOICES.includes(p.name) && p.value !== want)
        out.push(`${at}: the CLI's default is ${JSON.stringify(want)}`);
    }
  }
  return out;
}

/** The server each entry point benchmarks when nobody names one (PR, comment without a name, PaC, template). */
function defaultBackends(docs: Doc[]): string[] {
  const out: string[] = [];
  for (const d of docs) {
    const o = d.obj;
    if (o.kind === 'TriggerTemplate')
      // A template without a backend default (the nightly one: its CronJob always names one) defaults nothing.
      out.push(
        ...(o.spec.params as Param[])
          .filter((p) => p.name === 'backend' && 'default' in p)
          .map((p) => String(p.default)),
      );
    if (o.kind === 'TriggerBinding' || o.kind === 'Repository')
      out.push(
        ...(o.spec.params as Param[])
          .filter((p) => p.name === 'backend' && !passedThrough(p.value))
          .map((p) => String(p.value)),
      );
    // A `/benchmark` comment without a server: the CEL overlay's else branch (`… ? <named> : '<default>'`).
    if (o.kind === 'EventListener')
      for (const t of o.spec.triggers as Obj[])
        for (const i of (t.interceptors ?? []) as Obj[])
          for (const ov of ((i.params as Param[] | undefined)?.find((p) => p.name === 'overlays')?.value ??
            []) as Obj[])
            if (ov.key === 'backend') out.push(/:\s*'([a-z0-9-]+)'\s*$/.exec(ov.expression)?.[1] ?? ov.expression);
  }
  return out;
}

// tekton/bootstrap builds the steps image at install time (its own revision and image): no benchmark default there.
const docs = loadDocs().filter((d) => !d.file.startsWith('tekton/bootstrap/'));
let tmp: string;
let cli: RenderOptions;
beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'llmbench-defaults-'));
  cli = (await resolveClusterOptions({ backend: 'vllm' }, tmp)).render;
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('one source of defaults: CLI, bench config and Tekton agree', () => {
  test('render/apply/wait give the same server with no flags as with a config that sets nothing', async () => {
    writeFileSync(path.join(tmp, 'bench.yaml'), 'version: 1\nbackends: [{kind: vllm}]\n');
    const fromConfig = (await resolveClusterOptions({ backend: 'vllm', config: 'bench.yaml' }, tmp)).render;
    // (the config said route: true while render said false: a Route appeared only when a config was given)
    expect(fromConfig).toEqual(cli);
    expect(cli).toMatchObject({
      model: CONFIG_DEFAULTS.model.name,
      servedName: CONFIG_DEFAULTS.model.served_name,
      gpuProfile: CONFIG_DEFAULTS.gpu_profile,
      namespace: CONFIG_DEFAULTS.cluster.namespace,
      route: CONFIG_DEFAULTS.cluster.route,
      readyTimeoutS: CONFIG_DEFAULTS.cluster.ready_timeout_s,
    });
    expect(flagDefault(buildCommand, '--model')).toBe(cli.model);
    expect(flagDefault(gcCommand, '--namespace')).toBe(cli.namespace);
  });

  test('every Tekton param default is empty or the CLI default, and the load plan is never pinned', () => {
    const expected = cliDefaults(cli);
    expect(declaredDefaultProblems(docs, expected)).toEqual([]);
    expect(literalValueProblems(docs, expected)).toEqual([]);
    // What was checked: the Pipeline, every Task, the PaC Repository and PipelineRuns, the Triggers.
    const kinds = new Set(docs.filter((d) => literalParams(d).length || d.obj.spec?.params).map((d) => d.obj.kind));
    for (const k of ['Pipeline', 'Task', 'Repository', 'PipelineRun', 'TriggerTemplate', 'TriggerBinding'])
      expect(kinds).toContain(k);
  });

  test('a PipelineRun with the load params empty sweeps the plan `llmbench sweep` and `llmbench run` make', () => {
    const task = docs.find((d) => d.obj.kind === 'Task' && d.obj.metadata.name === 'llmbench-sweep')!.obj;
    const base = { backend: 'vllm', endpoint: 'http://127.0.0.1:9' };
    const argv = sweepStepArgv(task, base, tmp);
    expect(argv[0]).toBe('sweep');
    const { flags, problems } = sweepFlags(argv);
    expect(problems).toEqual([]);
    const cfg = builtinConfig(); // config "" = the built-in defaults, what `llmbench sweep` uses without --config
    const fromTekton = sweepPlan(cfg, flags);
    expect(fromTekton).toEqual(sweepPlan(cfg, {}));
    const log = createLogger({ level: 'error', json: false, write: () => {} });
    const { gate, env, log: _l, signal, ...fromRun } = planned(cfg, { mode: 'baseline' }, { log });
    void [gate, env, _l, signal];
    const { sequential, ...fromSweep } = fromTekton;
    expect([fromRun, sequential]).toEqual([fromSweep, null]);
    // A param that is set reaches the plan, and only that one.
    const set = sweepFlags(sweepStepArgv(task, { ...base, trials: '5', concurrency: '2,4' }, tmp)).flags;
    const requests = defaultRequests([2, 4], cfg.load.min_samples, 5); // follows the plan, as without Tekton
    expect(sweepPlan(cfg, set)).toEqual({ ...fromTekton, trials: 5, concurrency: [2, 4], requests });
  });

  test('every entry point benchmarks the same registered server when none is named', () => {
    const backends = defaultBackends(docs);
    expect(backends.length).toBeGreaterThanOrEqual(4); // TriggerTemplate, PR binding, comment overlay, PaC Repository
    expect(new Set(backends).size).toBe(1);
    expect(SERVER_NAMES).toContain(backends[0]);
  });

  test('the nightly janitor collects in the default namespace', () => {
    const janitor = docs.find((d) => d.obj.kind === 'CronJob' && d.obj.metadata.name === 'llm-bench-janitor')!.obj;
    const args = janitor.spec.jobTemplate.spec.template.spec.containers[0].args as string[];
    expect(args[args.indexOf('--namespace') + 1]).toBe(cli.namespace);
  });

  test('the check bites: one edited default, one pinned trial count and one stray literal are each reported', () => {
    const edited = structuredClone(docs);
    const pipeline = edited.find((d) => d.obj.kind === 'Pipeline' && d.obj.metadata.name === 'llm-bench')!.obj;
    const param = (n: string) => (pipeline.spec.params as Param[]).find((p) => p.name === n)!;
    param('gpu-profile').default = 'h100-80gb';
    param('trials').default = '3';
    const repo = edited.find((d) => d.obj.kind === 'Repository')!.obj;
    (repo.spec.params as Param[]).find((p) => p.name === 'model')!.value = 'some/other-model';
    const expected = cliDefaults(cli);
    expect(declaredDefaultProblems(edited, expected)).toEqual([
      expect.stringMatching(/param gpu-profile default "h100-80gb": the CLI's default is "a100-mig-3g\.20gb"/),
      expect.stringMatching(/param trials default "3": must be ""/),
    ]);
    expect(literalValueProblems(edited, expected)).toEqual([
      expect.stringMatching(/Repository\/llmbench sets model: "some\/other-model"/),
    ]);
  });
});
