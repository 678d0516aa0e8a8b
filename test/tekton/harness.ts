/**
 * A local stand-in for the Tekton controller: runs the llm-bench Pipeline from tekton/ the way Tekton would,
 * so that the YAML and the CLI are proven to fit without a cluster.
 *
 * What it does as Tekton does:
 *  - pipeline params: defaults applied, unknown or missing required params rejected;
 *  - main tasks in DAG order (runAfter + result references), independent tasks concurrently; after a
 *    failure no new main task starts (the rest are skipped), then every `finally` task runs;
 *  - a task consuming a result that a failed/skipped task never produced is skipped (finally) or fails;
 *  - $(params.*), $(tasks.*.results.*), $(workspaces.*.path|bound), $(results.*.path), $(context.*)
 *    substituted in step env, script, args and workingDir; secretKeyRef env from a secrets map (optional
 *    keys may be absent, as in Kubernetes);
 *  - each step's script runs with its shebang interpreter, its env only (plus PATH/HOME), in its own process
 *    group; task/step timeouts kill it; retries re-run the whole TaskRun;
 *  - results are files in a per-TaskRun results dir, read back after the TaskRun, limited to 4096 bytes.
 *
 * What it cannot do, and does instead (never silently): a step whose image is not the llmbench steps image
 * (buildah) has no way to run here; it must be given a substitution (`substitutions`) with a reason, which
 * is recorded in the TaskRun record; without one the step fails with "cannot execute image".
 * `llmbench` resolves to this checkout's steps/bin/llmbench.js (the steps image's entrypoint).
 *  - `when` expressions (operators in / notin) after substitution, on main and finally tasks: a false one skips the
 *    task ("WhenExpressionsSkipped"); tasks ordered after it (runAfter) still run, tasks consuming its results are
 *    skipped — Tekton's "guard the task only" semantics (tektoncd/pipeline docs/pipelines.md, "Guard Task only").
 *  - the Affinity Assistant's admission rule under its default mode `coschedule: workspaces` (tektoncd/pipeline
 *    docs/affinityassistants.md: "Only one pvc-backed workspace can be mounted to each TaskRun in this mode";
 *    pkg/workspace/validate.go ValidateOnlyOnePVCIsUsed, called by the TaskRun reconciler): when the PipelineRun's
 *    bindings are known (`bindings`), a TaskRun whose workspaces resolve to more than one PVC — distinct claimNames,
 *    each volumeClaimTemplate its own claim — fails "TaskRunValidationFailed: [User error] more than one
 *    PersistentVolumeClaim is bound" before any step runs. Two bindings of one claim (different subPaths) pass;
 *  - a pipeline task's workspace `subPath` (params and $(context.pipelineRun.name) substituted, as
 *    pkg/reconciler/pipelinerun/resources/apply.go does) mounts that subdirectory, created when missing as the
 *    kubelet does (pkg/kubelet/kubelet_pods.go makeMounts).
 * Not implemented, and therefore refused (the TaskRun fails saying so): matrix, embedded
 * taskSpec/pipelineSpec, sidecars, StepActions and steps without a script.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, mkdirSync, chmodSync, statSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { REPO_ROOT } from '../../steps/core/paths.js';
import { deps, loadDocs, ofKind, refs, strings, type Obj } from './tekton.js';

/** The namespace PipelineRuns run in ($(context.pipelineRun.namespace)): the install's pipeline namespace. */
export const PIPELINERUN_NAMESPACE = 'llm-bench-ci';
export const STEPS_IMAGE_PREFIX = 'quay.io/llmbench/llmbench-steps@sha256:';

export interface StepSubstitution {
  /**
   * Shell script run instead of the step's own (same env, same substitutions). Omitted: the step's own script
   * runs on the host, where `buildah` is a stub that fails loudly — so a script that would really build fails.
   */
  script?: string;
  /** Why the real step cannot run here: recorded on the TaskRun. */
  reason: string;
}

export interface HarnessOptions {
  params: Record<string, string>;
  /** Pipeline workspace name → host directory; unlisted optional workspaces stay unbound. */
  workspaces: Record<string, string>;
  /**
   * The PipelineRun's workspace bindings (name → binding: persistentVolumeClaim, volumeClaimTemplate, secret, …),
   * when the run came from a PipelineRun: they decide which TaskRuns bind PVCs (the Affinity Assistant rule).
   */
  bindings?: Record<string, Obj>;
  /** The cluster's Affinity Assistant mode (feature-flags `coschedule`); default: Tekton's, workspaces. */
  coschedule?: 'workspaces' | 'disabled';
  /** Secret name → key → value, for env valueFrom.secretKeyRef. */
  secrets?: Record<string, Record<string, string>>;
  /** "task-name/step-name" → substitution. */
  substitutions?: Record<string, StepSubstitution>;
  /** Extra env for every step (e.g. shorter test backoffs); recorded with the run. */
  extraEnv?: Record<string, string>;
  /** Pipeline name (default llm-bench) and where its objects come from. */
  pipeline?: string;
  docs?: ReturnType<typeof loadDocs>;
  runName?: string;
  /** Called after each TaskRun (for progress output in tests). */
  onTaskRun?: (t: TaskRunRecord) => void;
}

export interface StepRecord {
  name: string;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  substituted?: string;
  durationMs: number;
}

export interface TaskRunRecord {
  pipelineTask: string;
  task: string;
  finally: boolean;
  status: 'Succeeded' | 'Failed' | 'Skipped';
  reason: string;
  attempts: number;
  /** Failed attempts before the last one (retries), newest last. */
  retried: { reason: string; steps: StepRecord[] }[];
  params: Record<string, string>;
  results: Record<string, string>;
  steps: StepRecord[];
  durationMs: number;
}

export interface PipelineRunRecord {
  name: string;
  status: 'Succeeded' | 'Failed';
  reason: string;
  params: Record<string, string>;
  results: Record<string, string>;
  taskRuns: TaskRunRecord[];
  order: string[];
}

const RESULTS_LIMIT = 4096;

/** Tekton durations: 1h30m, 10m, 45s, 500ms. */
export function parseDuration(s: string | undefined): number | undefined {
  if (!s) return undefined;
  let ms = 0;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let m: RegExpExecArray | null;
  let seen = '';
  while ((m = re.exec(s))) {
    ms += Number(m[1]) * { h: 3_600_000, m: 60_000, s: 1000, ms: 1 }[m[2] as 'h' | 'm' | 's' | 'ms'];
    seen += m[0];
  }
  if (seen !== s) throw new Error(`bad duration '${s}'`);
  return ms;
}

/** The bin directory holding `llmbench` → this checkout (what the steps image's PATH provides). */
export function llmbenchShimDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'llmbench-bin-'));
  const shim = path.join(dir, 'llmbench');
  writeFileSync(
    shim,
    `#!/bin/sh\nexec "${process.execPath}" "${path.join(REPO_ROOT, 'steps', 'bin', 'llmbench.js')}" "$@"\n`,
  );
  chmodSync(shim, 0o755);
  // Tools of other images that cannot run here: calling one is a failure, never a silent success.
  for (const tool of ['buildah']) {
    writeFileSync(
      path.join(dir, tool),
      `#!/bin/sh\necho "${tool} cannot run in the local harness (no container engine); this step needs a cluster" >&2\nexit 3\n`,
    );
    chmodSync(path.join(dir, tool), 0o755);
  }
  return dir;
}

type Vars = Record<string, string>;

/** Replaces $(name) for every known variable; unknown ones are left alone and reported by the caller. */
function substitute(s: string, vars: Vars): string {
  return s.replace(/\$\(([a-zA-Z][\w.-]*)\)/g, (all, name: string) => (name in vars ? vars[name] : all));
}

function unresolved(s: string, allowed: RegExp[] = []): string[] {
  return refs(s).filter((r) => !allowed.some((a) => a.test(r)));
}

export class PipelineHarness {
  private readonly docs: ReturnType<typeof loadDocs>;
  private readonly tasks: Map<string, Obj>;
  private readonly pipeline: Obj;
  private binDir = '';
  /** The run's pipeline params after defaults (for pipeline-level substitution in workspace subPaths). */
  private pipelineParams: Record<string, string> = {};
  /** The shim dir and per-step/per-TaskRun temp dirs (scripts, HOME, results), removed after each run. */
  private readonly scratch: string[] = [];

  constructor(private readonly opts: HarnessOptions) {
    this.docs = opts.docs ?? loadDocs();
    this.tasks = new Map(ofKind(this.docs, 'Task').map((d) => [d.obj.metadata.name, d.obj]));
    const p = ofKind(this.docs, 'Pipeline').find((d) => d.obj.metadata.name === (opts.pipeline ?? 'llm-bench'));
    if (!p) throw new Error(`no Pipeline ${opts.pipeline ?? 'llm-bench'} in tekton/`);
    this.pipeline = p.obj;
  }

  async run(): Promise<PipelineRunRecord> {
    this.binDir = llmbenchShimDir();
    this.scratch.push(this.binDir);
    const spec = this.pipeline.spec;
    const runName = this.opts.runName ?? `${this.pipeline.metadata.name}-run-${Math.random().toString(36).slice(2, 7)}`;
    // Params: unknown ones are an error, required ones must be given (the webhook rejects the run otherwise).
    const declared = new Map<string, Obj>((spec.params ?? []).map((p: Obj) => [p.name, p]));
    for (const k of Object.keys(this.opts.params))
      if (!declared.has(k)) throw new Error(`param '${k}' is not declared by Pipeline ${this.pipeline.metadata.name}`);
    const params: Record<string, string> = {};
    for (const [n, p] of declared) {
      if (n in this.opts.params) params[n] = this.opts.params[n];
      else if (p.default !== undefined) params[n] = String(p.default);
      else throw new Error(`required param '${n}' not given`);
    }
    for (const w of spec.workspaces ?? []) {
      if (!w.optional && !this.opts.workspaces[w.name]) throw new Error(`required workspace '${w.name}' not bound`);
    }
    this.pipelineParams = params;

    const records = new Map<string, TaskRunRecord>();
    const order: string[] = [];
    const main: Obj[] = spec.tasks ?? [];
    let stopping = false;
    const pending = new Set(main.map((t) => t.name));
    const running = new Map<string, Promise<void>>();

    const finish = (r: TaskRunRecord) => {
      records.set(r.pipelineTask, r);
      order.push(r.pipelineTask);
      this.opts.onTaskRun?.(r);
    };

    const schedule = () => {
      for (const t of main) {
        if (!pending.has(t.name)) continue;
        const ds = [...deps(t)];
        if (!ds.every((d) => records.has(d))) continue;
        pending.delete(t.name);
        const failedDep = ds.find((d) => records.get(d)!.status !== 'Succeeded' && this.consumesResultOf(t, d));
        if (stopping) {
          finish(this.skipped(t, false, 'PipelineRunStopping: an earlier task failed'));
          continue;
        }
        if (failedDep) {
          finish(this.skipped(t, false, `ParentTasksSkip: consumes results of '${failedDep}', which did not succeed`));
          continue;
        }
        const whenFalse = this.whenFalse(t, params, records, runName);
        if (whenFalse) {
          finish(this.skipped(t, false, `WhenExpressionsSkipped: ${whenFalse}`));
          continue;
        }
        running.set(
          t.name,
          this.runTask(t, false, params, records, runName).then((r) => {
            running.delete(t.name);
            if (r.status === 'Failed') stopping = true;
            finish(r);
          }),
        );
      }
    };
    schedule();
    while (running.size) {
      await Promise.race(running.values());
      schedule();
    }
    // Anything never scheduled (a dependency failed or was skipped) is skipped.
    for (const t of main)
      if (pending.has(t.name)) finish(this.skipped(t, false, 'PipelineRunStopping: an earlier task failed'));

    // finally: all of them, concurrently, whatever happened above.
    await Promise.all(
      (spec.finally ?? []).map(async (t: Obj) => {
        const missing = this.missingResultRefs(t, records);
        if (missing.length)
          return finish(
            this.skipped(
              t,
              true,
              `a finally task consuming a result that was never produced is skipped: ${missing.join(', ')}`,
            ),
          );
        // Finally tasks take when guards too (tektoncd/pipeline docs/pipelines.md, "Guard finally Task execution
        // using when expressions").
        const whenFalse = this.whenFalse(t, params, records, runName);
        if (whenFalse) return finish(this.skipped(t, true, `WhenExpressionsSkipped: ${whenFalse}`));
        finish(await this.runTask(t, true, params, records, runName));
      }),
    );

    for (const d of this.scratch.splice(0)) rmSync(d, { recursive: true, force: true });
    const all = [...records.values()];
    const failed = all.filter((r) => r.status === 'Failed');
    const results: Record<string, string> = {};
    for (const r of spec.results ?? []) {
      const v = this.resolveTaskResults(String(r.value), records);
      if (v !== undefined) results[r.name] = v;
    }
    return {
      name: runName,
      status: failed.length ? 'Failed' : 'Succeeded',
      reason: failed.length ? `Tasks failed: ${failed.map((f) => f.pipelineTask).join(', ')}` : 'Succeeded',
      params,
      results,
      taskRuns: all,
      order,
    };
  }

  /** The first `when` expression that is false (substituted), or null when all hold (or there are none). */
  private whenFalse(
    t: Obj,
    pparams: Record<string, string>,
    records: Map<string, TaskRunRecord>,
    runName: string,
  ): string | null {
    const vars: Vars = { 'context.pipelineRun.name': runName };
    for (const [k, v] of Object.entries(pparams)) vars[`params.${k}`] = v;
    for (const [tn, r] of records)
      for (const [rn, rv] of Object.entries(r.results)) vars[`tasks.${tn}.results.${rn}`] = rv;
    for (const w of (t.when ?? []) as Obj[]) {
      if (w.cel !== undefined) throw new Error(`${t.name}: CEL when expressions are not modelled by the harness`);
      const input = substitute(String(w.input), vars);
      const values = (w.values as string[]).map((v) => substitute(String(v), vars));
      if (w.operator !== 'in' && w.operator !== 'notin') throw new Error(`${t.name}: when operator ${w.operator}`);
      const holds = values.includes(input) === (w.operator === 'in');
      if (!holds) return `"${input}" ${w.operator} [${values.map((v) => `"${v}"`).join(', ')}] is false`;
    }
    return null;
  }

  private consumesResultOf(t: Obj, dep: string): boolean {
    return strings(t).some((s) => refs(s.value).some((r) => r.startsWith(`tasks.${dep}.results.`)));
  }

  private missingResultRefs(t: Obj, records: Map<string, TaskRunRecord>): string[] {
    return strings(t)
      .flatMap((s) => refs(s.value))
      .filter((r) => r.startsWith('tasks.') && r.split('.')[2] === 'results')
      .filter((r) => {
        const [, tn, , rn] = r.split('.');
        return records.get(tn)?.status !== 'Succeeded' || records.get(tn)?.results[rn] === undefined;
      });
  }

  private resolveTaskResults(s: string, records: Map<string, TaskRunRecord>): string | undefined {
    let ok = true;
    const v = s.replace(/\$\(tasks\.([\w-]+)\.results\.([\w-]+)\)/g, (_a, tn: string, rn: string) => {
      const x = records.get(tn)?.results[rn];
      if (x === undefined) ok = false;
      return x ?? '';
    });
    return ok ? v : undefined;
  }

  /**
   * The PVCs a pipeline task's TaskRun would bind, as ValidateOnlyOnePVCIsUsed counts them: a claimName once however
   * many bindings share it, a volumeClaimTemplate as the one claim Tekton creates for that PipelineRun workspace.
   * Empty when the mode is not `coschedule: workspaces` or the bindings are unknown.
   */
  boundClaims(pt: Obj): string[] {
    if ((this.opts.coschedule ?? 'workspaces') !== 'workspaces' || !this.opts.bindings) return [];
    const claims = new Set<string>();
    for (const b of (pt.workspaces ?? []) as Obj[]) {
      const w = this.opts.bindings[b.workspace];
      if (w?.persistentVolumeClaim) claims.add(`persistentVolumeClaim ${w.persistentVolumeClaim.claimName}`);
      else if (w?.volumeClaimTemplate) claims.add(`volumeClaimTemplate of workspace ${b.workspace}`);
    }
    return [...claims];
  }

  private skipped(t: Obj, fin: boolean, reason: string): TaskRunRecord {
    return {
      pipelineTask: t.name,
      task: t.taskRef?.name,
      finally: fin,
      status: 'Skipped',
      reason,
      attempts: 0,
      retried: [],
      params: {},
      results: {},
      steps: [],
      durationMs: 0,
    };
  }

  private async runTask(
    pt: Obj,
    fin: boolean,
    pparams: Record<string, string>,
    records: Map<string, TaskRunRecord>,
    runName: string,
  ): Promise<TaskRunRecord> {
    const task = this.tasks.get(pt.taskRef?.name);
    const base = {
      pipelineTask: pt.name,
      task: pt.taskRef?.name,
      finally: fin,
      retried: [] as TaskRunRecord['retried'],
    };
    // Features this stand-in does not implement fail the TaskRun instead of being ignored.
    const unsupported = [
      ...['matrix', 'taskSpec', 'pipelineRef', 'pipelineSpec'].filter((k) => pt[k] !== undefined),
      ...(task?.spec.sidecars ? ['sidecars'] : []),
      ...(task?.spec.steps ?? [])
        .filter((st: Obj) => st.ref || !st.script)
        .map((st: Obj) => `step ${st.name} without a script (StepAction or command/args)`),
    ];
    if (unsupported.length)
      return {
        ...base,
        status: 'Failed',
        reason: `not supported by the harness: ${unsupported.join(', ')}`,
        attempts: 1,
        params: {},
        results: {},
        steps: [],
        durationMs: 0,
      };
    if (!task)
      return {
        ...base,
        status: 'Failed',
        reason: `CouldntGetTask: ${pt.taskRef?.name}`,
        attempts: 1,
        params: {},
        results: {},
        steps: [],
        durationMs: 0,
      };
    // Pipeline-level substitution of the task's params.
    const pvars: Vars = {
      'context.pipelineRun.name': runName,
      'context.pipelineRun.namespace': PIPELINERUN_NAMESPACE,
      'context.pipeline.name': this.pipeline.metadata.name,
    };
    for (const [k, v] of Object.entries(pparams)) pvars[`params.${k}`] = v;
    for (const [tn, r] of records)
      for (const [rn, rv] of Object.entries(r.results)) pvars[`tasks.${tn}.results.${rn}`] = rv;
    for (const [tn, r] of records) pvars[`tasks.${tn}.status`] = r.status === 'Skipped' ? 'None' : r.status;
    const params: Record<string, string> = {};
    for (const p of task.spec.params ?? []) if (p.default !== undefined) params[p.name] = String(p.default);
    for (const p of pt.params ?? []) {
      const v = substitute(String(p.value), pvars);
      const left = unresolved(v);
      if (left.length)
        return {
          ...base,
          status: 'Failed',
          reason: `InvalidTaskResultReference: ${left.join(', ')} could not be resolved`,
          attempts: 1,
          params,
          results: {},
          steps: [],
          durationMs: 0,
        };
      params[p.name] = v;
    }
    for (const p of task.spec.params ?? [])
      if (!(p.name in params))
        return {
          ...base,
          status: 'Failed',
          reason: `missing param ${p.name}`,
          attempts: 1,
          params,
          results: {},
          steps: [],
          durationMs: 0,
        };

    const pvcs = this.boundClaims(pt);
    if (pvcs.length > 1)
      return {
        ...base,
        status: 'Failed',
        reason: `TaskRunValidationFailed: [User error] more than one PersistentVolumeClaim is bound (${pvcs.join(', ')})`,
        attempts: 1,
        params,
        results: {},
        steps: [],
        durationMs: 0,
      };
    const attempts = 1 + Number(pt.retries ?? 0);
    let last!: TaskRunRecord;
    const retried: TaskRunRecord['retried'] = [];
    for (let a = 1; a <= attempts; a++) {
      if (last) retried.push({ reason: last.reason, steps: last.steps });
      last = { ...(await this.runTaskOnce(pt, task, params, runName)), ...base, attempts: a, retried: [...retried] };
      if (last.status === 'Succeeded') break;
    }
    return last;
  }

  private async runTaskOnce(
    pt: Obj,
    task: Obj,
    params: Record<string, string>,
    runName: string,
  ): Promise<Omit<TaskRunRecord, 'pipelineTask' | 'task' | 'finally' | 'attempts'>> {
    const t0 = Date.now();
    const taskRunName = `${runName}-${pt.name}`;
    const resultsDir = mkdtempSync(path.join(os.tmpdir(), `results-${pt.name}-`));
    this.scratch.push(resultsDir);
    const vars: Vars = {
      'context.taskRun.name': taskRunName,
      'context.task.name': task.metadata.name,
      'context.pipelineRun.name': runName,
      'context.pipelineRun.namespace': PIPELINERUN_NAMESPACE,
    };
    for (const [k, v] of Object.entries(params)) vars[`params.${k}`] = v;
    for (const r of task.spec.results ?? []) vars[`results.${r.name}.path`] = path.join(resultsDir, r.name);
    const bindings = new Map<string, Obj>((pt.workspaces ?? []).map((b: Obj) => [b.name, b]));
    const pipelineVars: Vars = { 'context.pipelineRun.name': runName };
    for (const [k, v] of Object.entries(this.pipelineParams)) pipelineVars[`params.${k}`] = v;
    for (const w of task.spec.workspaces ?? []) {
      const b = bindings.get(w.name);
      const root = b ? this.opts.workspaces[b.workspace] : undefined;
      const sub = b?.subPath ? substitute(String(b.subPath), pipelineVars) : '';
      if (sub && (path.isAbsolute(sub) || sub.split('/').includes('..')))
        return {
          retried: [],
          status: 'Failed',
          reason: `workspace ${w.name}: subPath ${sub} must be relative and must not contain '..'`,
          params,
          results: {},
          steps: [],
          durationMs: 0,
        };
      const host = root && sub ? path.join(root, sub) : root;
      if (!host && !w.optional)
        return {
          retried: [],
          status: 'Failed',
          reason: `workspace ${w.name} not bound`,
          params,
          results: {},
          steps: [],
          durationMs: 0,
        };
      vars[`workspaces.${w.name}.path`] = host ?? '';
      vars[`workspaces.${w.name}.bound`] = host ? 'true' : 'false';
      if (host) mkdirSync(host, { recursive: true });
    }
    const taskTimeout = parseDuration(pt.timeout);
    const deadline = taskTimeout ? t0 + taskTimeout : Infinity;
    const steps: StepRecord[] = [];
    const tmpl = task.spec.stepTemplate ?? {};
    for (const step of task.spec.steps) {
      const key = `${pt.name}/${step.name}`;
      const sub = this.opts.substitutions?.[key];
      const env: Record<string, string> = {};
      const envList: Obj[] = [
        ...(tmpl.env ?? []).filter((e: Obj) => !(step.env ?? []).some((s: Obj) => s.name === e.name)),
        ...(step.env ?? []),
      ];
      for (const e of envList) {
        if (e.value !== undefined) env[e.name] = substitute(String(e.value), vars);
        else if (e.valueFrom?.secretKeyRef) {
          const ref = e.valueFrom.secretKeyRef;
          const v = this.opts.secrets?.[substitute(ref.name, vars)]?.[substitute(ref.key, vars)];
          if (v !== undefined) env[e.name] = v;
          else if (!ref.optional)
            return {
              retried: [],
              status: 'Failed',
              reason: `CreateContainerConfigError: secret ${ref.name}/${ref.key} not found`,
              params,
              results: {},
              steps,
              durationMs: Date.now() - t0,
            };
        } else
          return {
            retried: [],
            status: 'Failed',
            reason: `unsupported env source for ${e.name}`,
            params,
            results: {},
            steps,
            durationMs: Date.now() - t0,
          };
      }
      const image = String(step.image);
      if (!image.startsWith(STEPS_IMAGE_PREFIX) && !sub) {
        steps.push({
          name: step.name,
          exitCode: null,
          signal: null,
          stdout: '',
          stderr: `cannot execute image ${image} here and no substitution was given`,
          durationMs: 0,
        });
        return {
          retried: [],
          status: 'Failed',
          reason: `step ${step.name}: cannot execute image ${image}`,
          params,
          results: {},
          steps,
          durationMs: Date.now() - t0,
        };
      }
      const script = substitute(sub?.script ?? String(step.script ?? ''), vars);
      const left = unresolved(script).filter((r) => /^(params|results|workspaces|context|tasks)\./.test(r));
      for (const v of Object.values(env))
        left.push(...unresolved(v).filter((r) => /^(params|results|workspaces|context|tasks)\./.test(r)));
      if (left.length)
        return {
          retried: [],
          status: 'Failed',
          reason: `step ${step.name}: unresolved ${left.join(', ')}`,
          params,
          results: {},
          steps,
          durationMs: Date.now() - t0,
        };
      const stepTimeout = parseDuration(step.timeout);
      const until = Math.min(deadline, stepTimeout ? Date.now() + stepTimeout : Infinity);
      const rec = await this.exec(step.name, script, env, substitute(step.workingDir ?? '', vars), until);
      if (sub) rec.substituted = sub.reason;
      steps.push(rec);
      if (rec.exitCode !== 0 && step.onError !== 'continue') {
        return {
          retried: [],
          status: 'Failed',
          reason: rec.signal ? `step ${step.name} timed out` : `step ${step.name} exited ${rec.exitCode}`,
          params,
          results: {},
          steps,
          durationMs: Date.now() - t0,
        };
      }
    }
    const results: Record<string, string> = {};
    let size = 0;
    for (const r of task.spec.results ?? []) {
      const f = path.join(resultsDir, r.name);
      if (existsSync(f)) {
        results[r.name] = readFileSync(f, 'utf8');
        size += statSync(f).size;
      }
    }
    if (size > RESULTS_LIMIT)
      return {
        retried: [],
        status: 'Failed',
        reason: `TaskRunResultLargerThanAllowedLimit: ${size} > ${RESULTS_LIMIT} bytes`,
        params,
        results: {},
        steps,
        durationMs: Date.now() - t0,
      };
    return {
      retried: [],
      status: 'Succeeded',
      reason: 'Succeeded',
      params,
      results,
      steps,
      durationMs: Date.now() - t0,
    };
  }

  private exec(
    name: string,
    script: string,
    env: Record<string, string>,
    workingDir: string,
    until: number,
  ): Promise<StepRecord> {
    const t0 = Date.now();
    const dir = mkdtempSync(path.join(os.tmpdir(), `step-${name}-`));
    this.scratch.push(dir);
    const file = path.join(dir, 'script');
    writeFileSync(file, script);
    chmodSync(file, 0o755);
    const shebang = /^#!\s*(\S+)(?:\s+(.*))?/.exec(script.split('\n')[0]);
    const [cmd, args] = shebang ? [shebang[1], [...(shebang[2] ? [shebang[2]] : []), file]] : ['/bin/sh', [file]];
    // The container's env: what the step declares, plus PATH (llmbench first, as in the image) and HOME.
    const fullEnv = {
      PATH: `${this.binDir}:${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
      HOME: dir,
      ...this.opts.extraEnv,
      ...env,
    };
    return new Promise((resolve) => {
      const child = spawn(cmd, args, {
        cwd: workingDir || dir,
        env: fullEnv,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      let timer: NodeJS.Timeout | undefined;
      if (Number.isFinite(until)) {
        timer = setTimeout(
          () => {
            try {
              process.kill(-child.pid!, 'SIGKILL');
            } catch {
              /* already gone */
            }
          },
          Math.max(0, until - Date.now()),
        );
      }
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        resolve({ name, exitCode: code, signal, stdout, stderr, durationMs: Date.now() - t0 });
      });
      child.on('error', (e) => {
        if (timer) clearTimeout(timer);
        resolve({ name, exitCode: 127, signal: null, stdout, stderr: stderr + String(e), durationMs: Date.now() - t0 });
      });
    });
  }
}

/** A PipelineRun document (e.g. from .tekton/ after PaC substitution) → harness params. */
export function paramsOf(run: Obj): Record<string, string> {
  return Object.fromEntries((run.spec.params ?? []).map((p: Obj) => [p.name, String(p.value)]));
}

export function dumpRun(r: PipelineRunRecord): string {
  return yaml.dump(
    {
      name: r.name,
      status: r.status,
      reason: r.reason,
      results: r.results,
      taskRuns: r.taskRuns.map((t) => ({
        task: t.pipelineTask,
        status: t.status,
        reason: t.reason,
        attempts: t.attempts,
        ...(t.retried.length
          ? {
              retried: t.retried.map((r) => ({
                reason: r.reason,
                stderr: r.steps.map((x) => x.stderr.split('\n').slice(-4).join('\n')).join('\n'),
              })),
            }
          : {}),
        results: t.results,
        steps: t.steps.map((s) => ({
          name: s.name,
          exit: s.exitCode,
          ...(s.substituted ? { substituted: s.substituted } : {}),
          stderr: s.stderr.split('\n').slice(-8).join('\n'),
        })),
      })),
    },
    { lineWidth: 200 },
  );
}
