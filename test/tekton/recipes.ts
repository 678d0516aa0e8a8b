/**
 * Runs the shell recipes of README.md and tekton/README.md against the fake API server, command by command,
 * parsed from the README (never copied), so a recipe that drifts from the repository fails CI.
 *
 * kubectl and tkn are emulated at the level that matters here, each rule taken from their source:
 *  - `kubectl apply [--server-side] [-n NS] -f FILE|DIR ...`: documents read as kubectl reads them (a directory is
 *    its *.yaml/*.yml/*.json files, not recursive); a namespaced object without a namespace gets -n (or
 *    "default"); one whose namespace differs from an explicit -n is refused before anything is sent, with
 *    kubectl's message (k8s.io/cli-runtime pkg/resource/visitor.go, SetNamespace with enforceNamespace); a kind
 *    the server does not serve is "no matches for kind" (pkg/resource/mapper.go). Objects go to the API server
 *    as server-side apply (the fake's one write path); the API server's own checks (namespace exists, URL vs body
 *    namespace, SCC admission) are the fake's.
 *  - `kubectl create secret generic NAME -n NS --from-literal=K=V ...`.
 *  - `tkn pipeline start` / `tkn task start` (tektoncd/cli pkg/cmd/pipeline/start.go): the Pipeline/Task must
 *    exist in -n; --param names must be declared, required ones given (--use-param-defaults fills defaults);
 *    --serviceaccount and each --task-serviceaccount TASK=SA name ServiceAccounts that must exist;
 *    --workspace name=W,(claimName|secret|config|emptyDir|volumeClaimTemplateFile)=X bindings must name declared
 *    workspaces and objects that exist; every non-optional workspace must be bound. Then, as Tekton would, one
 *    pod per TaskRun is created (steps → containers, stepTemplate merged, the TaskRun's ServiceAccount) and
 *    the fake admits or forbids it (SCC admission) — a build pod without its ServiceAccount is refused there.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { REPO_ROOT } from '../../steps/core/paths.js';
import { restPath, type FakeKube } from '../fakes/k8s/server.js';

type Obj = Record<string, any>;

/** Commands of every ```sh block that holds kubectl/tkn lines, continuation lines joined, comments dropped. */
export function recipeCommands(markdown: string): string[] {
  const out: string[] = [];
  for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const joined = block[1].replace(/\\\n\s*/g, ' ');
    for (const raw of joined.split('\n')) {
      const line = raw.replace(/\s+#.*$/, '').trim();
      if (!line || line.startsWith('#')) continue;
      if (/^(kubectl|tkn)\s/.test(line)) out.push(line);
    }
  }
  return out;
}

/** Shell words (no expansions are used in the recipes: a `$` or a backquote is refused). */
export function words(cmd: string): string[] {
  if (/[`$|;&<>]/.test(cmd)) throw new Error(`recipe command uses shell features the runner does not model: ${cmd}`);
  const out: string[] = [];
  for (const m of cmd.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

export class RecipeError extends Error {}

export class RecipeRunner {
  readonly log: string[] = [];
  constructor(
    private readonly fake: FakeKube,
    private readonly cwd = REPO_ROOT,
  ) {}

  async run(cmd: string): Promise<void> {
    const w = words(cmd);
    this.log.push(cmd);
    if (w[0] === 'kubectl' && w[1] === 'apply') return this.kubectlApply(w.slice(2));
    if (w[0] === 'kubectl' && w[1] === 'create' && w[2] === 'secret' && w[3] === 'generic')
      return this.createSecret(w.slice(4));
    if (w[0] === 'tkn' && ['pipeline', 'task'].includes(w[1]) && w[2] === 'start')
      return this.tknStart(w[1] as 'pipeline' | 'task', w.slice(3));
    throw new RecipeError(`the recipe runner does not model: ${cmd}`);
  }

  private async send(obj: Obj, namespace: string | undefined): Promise<void> {
    let url: string;
    try {
      url = restPath(obj.kind, namespace, obj.metadata?.name);
    } catch {
      throw new RecipeError(
        `error: resource mapping not found for name: "${obj.metadata?.name}": no matches for kind "${obj.kind}" in version "${obj.apiVersion}"`,
      );
    }
    const res = await fetch(`${this.fake.url}${url}?fieldManager=kubectl&force=true`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/apply-patch+yaml', authorization: 'Bearer test-token' },
      body: JSON.stringify(obj),
    });
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as Obj;
      throw new RecipeError(`Error from server (${body.reason ?? res.status}): ${body.message ?? res.statusText}`);
    }
  }

  private namespaced(kind: string): boolean {
    return restPath(kind, 'x').includes('/namespaces/x/');
  }

  private readDocs(target: string): Obj[] {
    const p = path.resolve(this.cwd, target);
    if (!existsSync(p)) throw new RecipeError(`error: the path "${target}" does not exist`);
    const files = statSync(p).isDirectory()
      ? readdirSync(p)
          .filter((f) => /\.(ya?ml|json)$/.test(f))
          .sort()
          .map((f) => path.join(p, f))
      : [p];
    return files.flatMap((f) => yaml.loadAll(readFileSync(f, 'utf8')).filter((d): d is Obj => !!d));
  }

  private async kubectlApply(args: string[]): Promise<void> {
    let ns: string | undefined;
    const files: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === '-n' || a === '--namespace') ns = args[++i];
      else if (a === '-f' || a === '--filename') files.push(args[++i]);
      else if (a === '--server-side') continue;
      else throw new RecipeError(`kubectl apply: flag ${a} is not modelled`);
    }
    const docs = files.flatMap((f) => this.readDocs(f));
    // kubectl resolves every object before sending any: a mismatch fails the whole command.
    const plan: [Obj, string | undefined][] = [];
    for (const d of docs) {
      let namespaced: boolean;
      try {
        namespaced = this.namespaced(d.kind);
      } catch {
        throw new RecipeError(
          `error: resource mapping not found for name: "${d.metadata?.name}": no matches for kind "${d.kind}" in version "${d.apiVersion}"`,
        );
      }
      if (!namespaced) {
        plan.push([d, undefined]);
        continue;
      }
      const own = d.metadata?.namespace as string | undefined;
      if (own && ns && own !== ns)
        throw new RecipeError(
          `error: the namespace from the provided object "${own}" does not match the namespace "${ns}". You must pass '--namespace=${own}' to perform this operation.`,
        );
      plan.push([{ ...d, metadata: { ...d.metadata, namespace: own ?? ns ?? 'default' } }, own ?? ns ?? 'default']);
    }
    for (const [d, n] of plan) await this.send(d, n);
  }

  private async createSecret(args: string[]): Promise<void> {
    const name = args[0];
    let ns = 'default';
    const data: Record<string, string> = {};
    for (let i = 1; i < args.length; i++) {
      const a = args[i];
      if (a === '-n' || a === '--namespace') ns = args[++i];
      else if (a.startsWith('--from-literal=')) {
        const kv = a.slice('--from-literal='.length);
        const eq = kv.indexOf('=');
        data[kv.slice(0, eq)] = Buffer.from(kv.slice(eq + 1)).toString('base64');
      } else throw new RecipeError(`kubectl create secret: flag ${a} is not modelled`);
    }
    await this.send({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns }, type: 'Opaque', data }, ns);
  }

  private exists(kind: string, ns: string, name: string): boolean {
    return this.fake.get(kind, ns, name) !== undefined;
  }

  private async tknStart(what: 'pipeline' | 'task', args: string[]): Promise<void> {
    const { name, ns, sa, taskSa, params, bindings, useDefaults } = parseTknStart(what, args);
    const kind = what === 'pipeline' ? 'Pipeline' : 'Task';
    const obj = this.fake.get(kind, ns, name);
    if (!obj) throw new RecipeError(`Error: ${what} name ${name} does not exist in namespace ${ns}`);
    const spec = obj.spec as Obj;
    const problems: string[] = [];
    for (const p of Object.keys(params))
      if (!(spec.params ?? []).some((d: Obj) => d.name === p)) problems.push(`param '${p}' not present in spec`);
    for (const d of spec.params ?? [])
      if (d.default === undefined && !(d.name in params))
        problems.push(
          `param '${d.name}' has no default and was not given${useDefaults ? '' : ' (nor --use-param-defaults)'}`,
        );
    for (const s of [sa, ...Object.values(taskSa)])
      if (!this.exists('ServiceAccount', ns, s))
        problems.push(`serviceaccounts "${s}" not found in ${ns}: run the install (README.md, "Install")`);
    for (const [w, b] of Object.entries(bindings)) {
      if (!(spec.workspaces ?? []).some((d: Obj) => d.name === w)) problems.push(`workspace '${w}' is not declared`);
      if (b.claimName && !this.exists('PersistentVolumeClaim', ns, b.claimName))
        problems.push(
          `persistentvolumeclaims "${b.claimName}" not found in ${ns}: kubectl apply -f tekton/install/storage.yaml`,
        );
      if (b.secret && !this.exists('Secret', ns, b.secret)) problems.push(`secrets "${b.secret}" not found in ${ns}`);
      if (b.config && !this.exists('ConfigMap', ns, b.config))
        problems.push(`configmaps "${b.config}" not found in ${ns}: kubectl apply -f tekton/install/storage.yaml`);
      if (b.volumeClaimTemplateFile && !existsSync(path.resolve(this.cwd, b.volumeClaimTemplateFile)))
        problems.push(`volumeClaimTemplateFile ${b.volumeClaimTemplateFile} does not exist`);
    }
    for (const d of spec.workspaces ?? [])
      if (!d.optional && !bindings[d.name]) problems.push(`workspace '${d.name}' is required and not bound`);
    for (const t of Object.keys(taskSa))
      if (what === 'pipeline' && ![...spec.tasks, ...(spec.finally ?? [])].some((x: Obj) => x.name === t))
        problems.push(`--task-serviceaccount names no pipeline task '${t}'`);
    if (problems.length) throw new RecipeError(`tkn ${what} start ${name}: ${problems.join('; ')}`);
    const runs: [string, Obj, string][] =
      what === 'task'
        ? [[name, obj, sa]]
        : [...spec.tasks, ...(spec.finally ?? [])].map((pt: Obj) => {
            const task = this.fake.get('Task', ns, pt.taskRef.name);
            if (!task) throw new RecipeError(`Task ${pt.taskRef.name} (pipeline task ${pt.name}) not found in ${ns}`);
            return [pt.name, task, taskSa[pt.name] ?? sa];
          });
    for (const [ptName, task, account] of runs)
      await this.send(taskRunPod(`${name}-run-${ptName}-pod`, task, account, ns), ns);
  }
}

export interface TknStart {
  name: string;
  ns: string;
  sa: string;
  taskSa: Record<string, string>;
  params: Record<string, string>;
  /** --workspace name=W,key=value,… → W → its fields. */
  bindings: Record<string, Record<string, string>>;
  useDefaults: boolean;
}

/** The flags of `tkn pipeline|task start NAME …` (tektoncd/cli pkg/cmd/pipeline/start.go). */
export function parseTknStart(what: 'pipeline' | 'task', args: string[]): TknStart {
  const out: TknStart = {
    name: args[0],
    ns: 'default',
    sa: 'default',
    taskSa: {},
    params: {},
    bindings: {},
    useDefaults: false,
  };
  for (let i = 1; i < args.length; i++) {
    const a = args[i];
    const next = () => args[++i];
    if (a === '-n' || a === '--namespace') out.ns = next();
    else if (a === '--serviceaccount' || a === '-s') out.sa = next();
    else if (a === '--task-serviceaccount') {
      const [t, s] = next().split('=');
      out.taskSa[t] = s;
    } else if (a === '--param' || a === '-p') {
      const kv = next();
      out.params[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1);
    } else if (a === '--workspace' || a === '-w') {
      const fields = Object.fromEntries(
        next()
          .split(',')
          .map((f) => [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)]),
      );
      out.bindings[fields.name] = fields;
    } else if (a === '--use-param-defaults') out.useDefaults = true;
    else if (a === '--showlog') continue;
    else throw new RecipeError(`tkn ${what} start: flag ${a} is not modelled`);
  }
  return out;
}

/**
 * The PipelineRun `tkn pipeline start` creates from its flags (tektoncd/cli pkg/cmd/pipeline/start.go and
 * pkg/workspaces/workspaces.go): generateName `<pipeline>-run-`, the params as given (with --use-param-defaults the
 * rest take their defaults, which the harness applies), --serviceaccount as taskRunTemplate.serviceAccountName,
 * each --task-serviceaccount as a taskRunSpecs entry, and each --workspace as a binding: claimName →
 * persistentVolumeClaim, volumeClaimTemplateFile → the file's volumeClaimTemplate, config → configMap, secret →
 * secret, emptyDir → emptyDir, subPath kept.
 */
export function tknPipelineRun(t: TknStart, cwd = REPO_ROOT): Obj {
  const workspaces = Object.entries(t.bindings).map(([name, f]) => {
    const w: Obj = { name };
    if (f.subPath) w.subPath = f.subPath;
    if (f.claimName) w.persistentVolumeClaim = { claimName: f.claimName };
    else if (f.volumeClaimTemplateFile)
      w.volumeClaimTemplate = yaml.load(readFileSync(path.resolve(cwd, f.volumeClaimTemplateFile), 'utf8'));
    else if (f.config) w.configMap = { name: f.config };
    else if (f.secret) w.secret = { secretName: f.secret };
    else if ('emptyDir' in f) w.emptyDir = {};
    else throw new RecipeError(`tkn: workspace ${name}: binding not modelled: ${JSON.stringify(f)}`);
    return w;
  });
  return {
    apiVersion: 'tekton.dev/v1',
    kind: 'PipelineRun',
    metadata: { generateName: `${t.name}-run-`, namespace: t.ns },
    spec: {
      pipelineRef: { name: t.name },
      params: Object.entries(t.params).map(([name, value]) => ({ name, value })),
      taskRunTemplate: { serviceAccountName: t.sa },
      ...(Object.keys(t.taskSa).length
        ? {
            taskRunSpecs: Object.entries(t.taskSa).map(([pipelineTaskName, serviceAccountName]) => ({
              pipelineTaskName,
              serviceAccountName,
            })),
          }
        : {}),
      workspaces,
    },
  };
}

/**
 * The pod Tekton creates for a TaskRun: one container per step (stepTemplate merged under the step, as
 * tektoncd/pipeline pkg/pod/pod.go MergeStepsWithStepTemplate does), the TaskRun's ServiceAccount, emptyDir
 * volumes for Tekton's own mounts and the workspaces. Tekton's init containers run its own images with a
 * restricted security context (set-security-context, on under OpenShift Pipelines) and are left out.
 */
export function taskRunPod(name: string, task: Obj, serviceAccount: string, namespace: string): Obj {
  const tpl = (task.spec.stepTemplate ?? {}) as Obj;
  const containers = (task.spec.steps as Obj[]).map((s) => ({
    name: `step-${s.name}`,
    image: s.image,
    securityContext: { ...(tpl.securityContext ?? {}), ...(s.securityContext ?? {}) },
  }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { 'tekton.dev/task': task.metadata.name } },
    spec: {
      serviceAccountName: serviceAccount,
      restartPolicy: 'Never',
      containers,
      volumes: [
        { name: 'tekton-internal-workspace', emptyDir: {} },
        ...((task.spec.workspaces ?? []) as Obj[]).map((w) => ({ name: `ws-${w.name}`, emptyDir: {} })),
      ],
    },
  };
}
