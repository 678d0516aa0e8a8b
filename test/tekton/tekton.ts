/**
 * Shared by the Tekton validation test and the local harness: loads every object under tekton/ and .tekton/,
 * validates them against the published CRD schemas (test/fixtures/specs), checks references, and reads the flags
 * each step passes to `llmbench`.
 */
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Command } from 'commander';
import { REPO_ROOT } from '../../steps/core/paths.js';
import { loadCommands } from '../../steps/commands.js';
import { SPECS_DIR } from '../specs-dir.js';

export const TEKTON_DIR = path.join(REPO_ROOT, 'tekton');
export const PAC_DIR = path.join(REPO_ROOT, '.tekton');
export { SPECS_DIR };

export type Obj = Record<string, any>;
export interface Doc {
  file: string; // relative to REPO_ROOT
  index: number; // document index in the file
  obj: Obj;
}

export function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(e)) out.push(p);
  }
  return out;
}

export function loadDocs(dirs = [TEKTON_DIR, PAC_DIR]): Doc[] {
  const docs: Doc[] = [];
  for (const f of dirs.flatMap((d) => yamlFiles(d))) {
    yaml.loadAll(readFileSync(f, 'utf8'), (obj) => {
      if (obj && typeof obj === 'object')
        docs.push({
          file: path.relative(REPO_ROOT, f),
          index: docs.filter((d) => d.file === path.relative(REPO_ROOT, f)).length,
          obj: obj as Obj,
        });
    });
  }
  return docs;
}

export const where = (d: Doc) =>
  `${d.file}#${d.index} ${d.obj.kind}/${d.obj.metadata?.name ?? d.obj.metadata?.generateName}`;
export const ofKind = (docs: Doc[], kind: string) => docs.filter((d) => d.obj.kind === kind);

// ---------------------------------------------------------------------------------------------------------
// CRD schemas → strict JSON Schema validators
// ---------------------------------------------------------------------------------------------------------

/**
 * Turns a CRD's structural openAPIV3Schema into a JSON Schema ajv can run, with the API server's strict
 * field validation: objects that declare `properties` (and do not preserve unknown fields) reject unknown
 * keys, which is how a typo such as `stpes` is caught. x-kubernetes-int-or-string becomes integer|string;
 * other x-kubernetes-* keywords (list types, CEL validations, embedded resources) are dropped — CEL rules are
 * enforced by the API server only, and none of the Tekton/PaC CRDs used here carry any.
 */
export function toStrictJsonSchema(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(toStrictJsonSchema);
  if (!s || typeof s !== 'object') return s;
  const src = s as Obj;
  const out: Obj = {};
  for (const [k, v] of Object.entries(src)) {
    if (k.startsWith('x-kubernetes-')) continue;
    if (k === 'properties' || k === 'patternProperties' || k === 'definitions') {
      out[k] = Object.fromEntries(Object.entries(v as Obj).map(([pk, pv]) => [pk, toStrictJsonSchema(pv)]));
    } else if (k === 'format' || k === 'example' || k === 'externalDocs') {
      continue; // Kubernetes formats (int32, int64, byte, ...) are informative here.
    } else {
      out[k] = toStrictJsonSchema(v);
    }
  }
  if (src['x-kubernetes-int-or-string']) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (src.nullable && out.type && typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    delete out.nullable;
  }
  if (out.properties && !src['x-kubernetes-preserve-unknown-fields'] && out.additionalProperties === undefined)
    out.additionalProperties = false;
  return out;
}

interface Crd {
  group: string;
  kind: string;
  versions: Map<string, { served: boolean; schema: Obj }>;
}

export function loadCrd(file: string): Crd {
  const d = yaml.load(readFileSync(path.join(SPECS_DIR, file), 'utf8')) as Obj;
  const versions = new Map<string, { served: boolean; schema: Obj }>();
  for (const v of d.spec.versions) versions.set(v.name, { served: v.served, schema: v.schema?.openAPIV3Schema ?? {} });
  return { group: d.spec.group, kind: d.spec.names.kind, versions };
}

/** The CRDs in test/fixtures/specs that cover what tekton/ and .tekton/ contain. */
export const CRD_FILES = [
  'tekton-pipeline-300-task.yaml',
  'tekton-pipeline-300-pipeline.yaml',
  'tekton-pipeline-300-pipelinerun.yaml',
  'tekton-triggers-300-eventlistener.yaml',
  'tekton-triggers-300-triggerbinding.yaml',
  'tekton-triggers-300-triggertemplate.yaml',
  'pac-300-repositories.yaml',
  'openshift-security-v1-securitycontextconstraints.crd.yaml',
];

export interface SchemaProblem {
  path: string;
  message: string;
}

/** Validates objects of the CRD kinds against the served version's schema (strict), metadata by our own rules. */
export class CrdValidator {
  private readonly ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true, validateFormats: false });
  private readonly byApiKind = new Map<string, { fn: ValidateFunction; structural: boolean }>();
  readonly unknownFieldsOnly = new Set<string>();

  constructor(files = CRD_FILES) {
    for (const f of files) {
      const crd = loadCrd(f);
      for (const [name, v] of crd.versions) {
        if (!v.served) continue;
        const structural = !!v.schema.properties && !v.schema['x-kubernetes-preserve-unknown-fields'];
        const schema = toStrictJsonSchema(v.schema) as Obj;
        // metadata is `type: object` in every CRD; it is checked by metadataProblems instead.
        if (schema.properties?.metadata) schema.properties.metadata = { type: 'object' };
        const key = `${crd.group}/${name} ${crd.kind}`;
        this.byApiKind.set(key, { fn: this.ajv.compile(schema), structural });
        if (!structural) this.unknownFieldsOnly.add(key);
      }
    }
  }

  knows(obj: Obj): boolean {
    return this.byApiKind.has(`${obj.apiVersion} ${obj.kind}`);
  }

  /** True when the served schema is only `x-kubernetes-preserve-unknown-fields` (Tekton Triggers). */
  isPreserveUnknownOnly(obj: Obj): boolean {
    return this.unknownFieldsOnly.has(`${obj.apiVersion} ${obj.kind}`);
  }

  validate(obj: Obj, opts: { generateNameAllowed?: boolean } = {}): SchemaProblem[] {
    const v = this.byApiKind.get(`${obj.apiVersion} ${obj.kind}`);
    if (!v) return [{ path: '/apiVersion', message: `no served CRD version for ${obj.apiVersion} ${obj.kind}` }];
    const problems = metadataProblems(obj.metadata, opts);
    if (!v.fn(obj)) problems.push(...(v.fn.errors ?? []).map(ajvProblem));
    return problems;
  }
}

function ajvProblem(e: ErrorObject): SchemaProblem {
  const extra =
    e.keyword === 'additionalProperties'
      ? ` '${(e.params as { additionalProperty: string }).additionalProperty}'`
      : e.keyword === 'enum'
        ? ` ${JSON.stringify((e.params as { allowedValues: unknown }).allowedValues)}`
        : '';
  return { path: e.instancePath || '/', message: `${e.message}${extra}` };
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const META_KEYS = new Set(['name', 'generateName', 'namespace', 'labels', 'annotations']);

/** ObjectMeta as the API server checks it for what we write: names, namespaces, string-valued maps. */
export function metadataProblems(meta: unknown, opts: { generateNameAllowed?: boolean } = {}): SchemaProblem[] {
  const p: SchemaProblem[] = [];
  if (!meta || typeof meta !== 'object') return [{ path: '/metadata', message: 'is required' }];
  const m = meta as Obj;
  for (const k of Object.keys(m))
    if (!META_KEYS.has(k)) p.push({ path: `/metadata/${k}`, message: 'unknown or server-owned field' });
  if (m.name === undefined && !(opts.generateNameAllowed && m.generateName))
    p.push({ path: '/metadata/name', message: 'is required' });
  if (m.name !== undefined && (typeof m.name !== 'string' || m.name.length > 253 || !DNS1123_SUBDOMAIN.test(m.name)))
    p.push({ path: '/metadata/name', message: `'${m.name}' is not a DNS-1123 subdomain` });
  if (m.namespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(m.namespace))
    p.push({ path: '/metadata/namespace', message: `'${m.namespace}' is not a DNS-1123 label` });
  for (const map of ['labels', 'annotations']) {
    for (const [k, v] of Object.entries((m[map] ?? {}) as Obj)) {
      if (typeof v !== 'string') p.push({ path: `/metadata/${map}/${k}`, message: 'value must be a string' });
      if (!/^([a-z0-9.-]{1,253}\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(k))
        p.push({ path: `/metadata/${map}/${k}`, message: 'invalid key' });
      if (
        map === 'labels' &&
        typeof v === 'string' &&
        !/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(v.replace(/\$\([^)]*\)/g, 'x'))
      )
        p.push({ path: `/metadata/labels/${k}`, message: `invalid label value '${v}'` });
      if (map === 'labels' && typeof v === 'string' && v.length > 63)
        p.push({ path: `/metadata/labels/${k}`, message: 'label value longer than 63' });
    }
  }
  return p;
}

// ---------------------------------------------------------------------------------------------------------
// Variable references
// ---------------------------------------------------------------------------------------------------------

/** Every string in an object, with its JSON path. */
export function strings(o: unknown, p = ''): { path: string; value: string }[] {
  if (typeof o === 'string') return [{ path: p || '/', value: o }];
  if (Array.isArray(o)) return o.flatMap((v, i) => strings(v, `${p}/${i}`));
  if (o && typeof o === 'object') return Object.entries(o).flatMap(([k, v]) => strings(v, `${p}/${k}`));
  return [];
}

/** `$(x.y.z)` expressions in a string (Tekton and Triggers syntax); `$(` in shell is command substitution, see scripts. */
export function refs(s: string): string[] {
  return [...s.matchAll(/\$\(([a-zA-Z][\w.-]*(?:\[[^\]]*\])?[\w.-]*)\)/g)].map((m) => m[1]);
}

export interface RefProblem {
  where: string;
  message: string;
}

/** Names of params, results, workspaces a Task declares. */
export function taskDecl(task: Obj) {
  const spec = task.spec ?? {};
  return {
    params: new Map<string, Obj>((spec.params ?? []).map((p: Obj) => [p.name, p])),
    results: new Set<string>((spec.results ?? []).map((r: Obj) => r.name)),
    workspaces: new Map<string, Obj>((spec.workspaces ?? []).map((w: Obj) => [w.name, w])),
  };
}

/** References inside a Task: $(params.*), $(results.*.path), $(workspaces.*.path|bound), $(context.*), $(steps.*). */
export function checkTask(d: Doc): RefProblem[] {
  const t = d.obj;
  const decl = taskDecl(t);
  const problems: RefProblem[] = [];
  const used = new Set<string>();
  for (const { path: p, value } of strings(t.spec)) {
    for (const r of refs(value)) {
      const parts = r.split('.');
      const w = `${where(d)} spec${p}`;
      if (parts[0] === 'params') {
        if (!decl.params.has(parts[1])) problems.push({ where: w, message: `$(${r}): no param '${parts[1]}'` });
        used.add(parts[1]);
        if (/\/script$/.test(p))
          problems.push({
            where: w,
            message: `$(${r}) inside a script: pass params through env (catalog rule; prevents script injection)`,
          });
      } else if (parts[0] === 'results') {
        if (!decl.results.has(parts[1]) || parts[2] !== 'path')
          problems.push({ where: w, message: `$(${r}): no result '${parts[1]}' (or not .path)` });
      } else if (parts[0] === 'workspaces') {
        if (!decl.workspaces.has(parts[1])) problems.push({ where: w, message: `$(${r}): no workspace '${parts[1]}'` });
        if (!['path', 'bound', 'claim', 'volume'].includes(parts[2]))
          problems.push({ where: w, message: `$(${r}): unknown workspace variable` });
        if (parts[2] === 'bound' && !decl.workspaces.get(parts[1])?.optional)
          problems.push({ where: w, message: `$(${r}): .bound on a workspace that is not optional` });
      } else if (parts[0] === 'context' || parts[0] === 'steps') {
        /* built-in */
      } else {
        problems.push({ where: w, message: `$(${r}): not a Task variable` });
      }
    }
  }
  for (const name of decl.params.keys())
    if (!used.has(name)) problems.push({ where: where(d), message: `param '${name}' is never used` });
  // Every result and workspace should be written/used somewhere, or it is dead interface.
  const all = strings(t.spec)
    .map((s) => s.value)
    .join('\n');
  for (const r of decl.results)
    if (!all.includes(`$(results.${r}.path)`))
      problems.push({ where: where(d), message: `result '${r}' is never written` });
  for (const [w] of decl.workspaces)
    if (!all.includes(`$(workspaces.${w}.`))
      problems.push({ where: where(d), message: `workspace '${w}' is never used` });
  return problems;
}

/** A Pipeline against its Tasks: params/results/workspaces resolve, every param is used, the DAG is sound. */
export function checkPipeline(d: Doc, tasks: Map<string, Obj>): RefProblem[] {
  const pl = d.obj;
  const spec = pl.spec;
  const problems: RefProblem[] = [];
  const pparams = new Map<string, Obj>((spec.params ?? []).map((p: Obj) => [p.name, p]));
  const pws = new Map<string, Obj>((spec.workspaces ?? []).map((w: Obj) => [w.name, w]));
  const all: Obj[] = [...(spec.tasks ?? []), ...(spec.finally ?? [])];
  const byName = new Map<string, Obj>(all.map((t) => [t.name, t]));
  const finallyNames = new Set<string>((spec.finally ?? []).map((t: Obj) => t.name));
  const used = new Set<string>();

  const checkRef = (r: string, w: string, inFinally: boolean, from?: string) => {
    const parts = r.split('.');
    if (parts[0] === 'params') {
      if (!pparams.has(parts[1])) problems.push({ where: w, message: `$(${r}): no pipeline param '${parts[1]}'` });
      used.add(parts[1]);
    } else if (parts[0] === 'tasks') {
      const [_, tname, kind, rname] = parts;
      const target = byName.get(tname);
      if (!target || finallyNames.has(tname))
        return problems.push({ where: w, message: `$(${r}): no pipeline task '${tname}'` });
      if (kind !== 'results' && kind !== 'status') return problems.push({ where: w, message: `$(${r}): unsupported` });
      if (kind === 'results') {
        const tdef = tasks.get(target.taskRef?.name);
        if (!tdef || !taskDecl(tdef).results.has(rname))
          problems.push({ where: w, message: `$(${r}): task '${tname}' has no result '${rname}'` });
        if (inFinally && from === 'report' && tname !== 'source')
          problems.push({
            where: w,
            message: `$(${r}): report must read files, not results of '${tname}' (a finally task consuming a failed task's result is skipped)`,
          });
      }
    } else if (parts[0] === 'workspaces' || parts[0] === 'context') {
      /* checked via workspace bindings / built-in */
    } else problems.push({ where: w, message: `$(${r}): not a Pipeline variable` });
  };

  for (const [i, t] of all.entries()) {
    const inFinally = finallyNames.has(t.name);
    const w = `${where(d)} ${inFinally ? 'finally' : 'tasks'}[${t.name}]`;
    const tdef = tasks.get(t.taskRef?.name);
    if (!tdef) {
      problems.push({ where: w, message: `taskRef '${t.taskRef?.name}' is not a Task in tekton/tasks` });
      continue;
    }
    const decl = taskDecl(tdef);
    for (const { value } of strings(t)) for (const r of refs(value)) checkRef(r, w, inFinally, t.name);
    const given = new Set<string>((t.params ?? []).map((p: Obj) => p.name));
    for (const p of given)
      if (!decl.params.has(p))
        problems.push({ where: w, message: `param '${p}' is not a param of Task ${tdef.metadata.name}` });
    for (const [name, p] of decl.params)
      if (p.default === undefined && !given.has(name))
        problems.push({ where: w, message: `required param '${name}' of Task ${tdef.metadata.name} is not given` });
    const wsGiven = new Map<string, string>((t.workspaces ?? []).map((b: Obj) => [b.name, b.workspace]));
    for (const [name, ws] of decl.workspaces) {
      if (!ws.optional && !wsGiven.has(name))
        problems.push({ where: w, message: `required workspace '${name}' of Task ${tdef.metadata.name} is not bound` });
    }
    for (const [name, pw] of wsGiven) {
      if (!decl.workspaces.has(name))
        problems.push({ where: w, message: `workspace '${name}' is not a workspace of Task ${tdef.metadata.name}` });
      const pipelineWs = pws.get(pw);
      if (!pipelineWs) problems.push({ where: w, message: `pipeline workspace '${pw}' does not exist` });
      else if (pipelineWs.optional && !decl.workspaces.get(name)?.optional)
        problems.push({
          where: w,
          message: `optional pipeline workspace '${pw}' bound to required task workspace '${name}'`,
        });
    }
    for (const ra of t.runAfter ?? []) {
      if (inFinally) problems.push({ where: w, message: 'finally tasks cannot have runAfter' });
      if (!byName.has(ra) || finallyNames.has(ra))
        problems.push({ where: w, message: `runAfter '${ra}' is not a pipeline task` });
    }
    void i;
  }
  for (const r of spec.results ?? [])
    for (const x of refs(String(r.value))) checkRef(x, `${where(d)} results[${r.name}]`, false);
  for (const name of pparams.keys())
    if (!used.has(name)) problems.push({ where: where(d), message: `pipeline param '${name}' is never used` });
  for (const [name] of pws)
    if (!all.some((t) => (t.workspaces ?? []).some((b: Obj) => b.workspace === name)))
      problems.push({ where: where(d), message: `pipeline workspace '${name}' is never bound to a task` });
  try {
    dagOrder(spec.tasks ?? [], tasks);
  } catch (e) {
    problems.push({ where: where(d), message: (e as Error).message });
  }
  return problems;
}

/** Dependencies of a pipeline task: runAfter plus every task whose results it consumes. */
export function deps(t: Obj): Set<string> {
  const s = new Set<string>(t.runAfter ?? []);
  for (const { value } of strings(t.params ?? []))
    for (const r of refs(value)) if (r.startsWith('tasks.')) s.add(r.split('.')[1]);
  for (const { value } of strings(t.when ?? []))
    for (const r of refs(value)) if (r.startsWith('tasks.')) s.add(r.split('.')[1]);
  return s;
}

/** Kahn's algorithm over the main tasks; throws on a cycle or an unknown dependency. */
export function dagOrder(tasks: Obj[], _defs?: Map<string, Obj>): string[][] {
  const names = new Set(tasks.map((t) => t.name));
  const pending = new Map<string, Set<string>>(tasks.map((t) => [t.name, deps(t)]));
  for (const [n, ds] of pending)
    for (const x of ds) if (!names.has(x)) throw new Error(`task '${n}' depends on unknown task '${x}'`);
  const levels: string[][] = [];
  const done = new Set<string>();
  while (done.size < names.size) {
    const ready = [...pending].filter(([n, ds]) => !done.has(n) && [...ds].every((x) => done.has(x))).map(([n]) => n);
    if (!ready.length) throw new Error(`dependency cycle among: ${[...names].filter((n) => !done.has(n)).join(', ')}`);
    levels.push(ready);
    ready.forEach((n) => done.add(n));
  }
  return levels;
}

/** A PipelineRun (in .tekton/ or a TriggerTemplate) against the Pipeline it references. */
export function checkPipelineRun(
  where_: string,
  run: Obj,
  pipeline: Obj,
  extraAllowedRefs: RegExp[] = [],
): RefProblem[] {
  const problems: RefProblem[] = [];
  const pparams = new Map<string, Obj>((pipeline.spec.params ?? []).map((p: Obj) => [p.name, p]));
  const given = new Set<string>((run.spec.params ?? []).map((p: Obj) => p.name));
  for (const p of given)
    if (!pparams.has(p))
      problems.push({ where: where_, message: `param '${p}' is not a param of Pipeline ${pipeline.metadata.name}` });
  for (const [n, p] of pparams)
    if (p.default === undefined && !given.has(n))
      problems.push({
        where: where_,
        message: `required param '${n}' of Pipeline ${pipeline.metadata.name} is not given`,
      });
  const pws = new Map<string, Obj>((pipeline.spec.workspaces ?? []).map((w: Obj) => [w.name, w]));
  const wgiven = new Set<string>((run.spec.workspaces ?? []).map((w: Obj) => w.name));
  for (const w of wgiven)
    if (!pws.has(w))
      problems.push({
        where: where_,
        message: `workspace '${w}' is not a workspace of Pipeline ${pipeline.metadata.name}`,
      });
  for (const [n, w] of pws)
    if (!w.optional && !wgiven.has(n))
      problems.push({ where: where_, message: `required workspace '${n}' is not bound` });
  const taskNames = new Set<string>(
    [...(pipeline.spec.tasks ?? []), ...(pipeline.spec.finally ?? [])].map((t: Obj) => t.name),
  );
  for (const s of run.spec.taskRunSpecs ?? [])
    if (!taskNames.has(s.pipelineTaskName))
      problems.push({ where: where_, message: `taskRunSpecs names unknown pipeline task '${s.pipelineTaskName}'` });
  for (const { path: p, value } of strings(run)) {
    for (const r of refs(value))
      if (!extraAllowedRefs.some((re) => re.test(r)))
        problems.push({ where: `${where_}${p}`, message: `$(${r}) cannot be resolved in a PipelineRun` });
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// Step scripts and the llmbench CLI
// ---------------------------------------------------------------------------------------------------------

export interface LlmbenchCall {
  task: string;
  step: string;
  command: string;
  flags: string[];
}

/** Joins backslash continuations, drops comments. */
export function scriptLines(script: string): string[] {
  return script
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.replace(/^\s*#.*$/, '').trimEnd())
    .filter((l) => l.trim());
}

/**
 * The `llmbench <command> --flags` calls in a step script. Flags passed through `set -- …` (the scripts
 * build optional flags that way) count for the next `llmbench … "$@"`.
 */
export function llmbenchCalls(task: string, step: string, script: string): LlmbenchCall[] {
  const calls: LlmbenchCall[] = [];
  let pending: string[] = [];
  for (const line of scriptLines(script)) {
    const set = /(?:^|;|then|&&)\s*set -- (.*)$/.exec(line);
    if (set) {
      if (!set[1].trim().startsWith('"$@"')) pending = [];
      pending.push(...flagsOf(set[1]));
      continue;
    }
    const m = /(?:^|[;&|]|then|do)\s*llmbench\s+([a-z][a-z-]*)(.*)$/.exec(line);
    if (!m) continue;
    const flags = flagsOf(m[2]);
    if (/"\$@"/.test(m[2])) flags.push(...pending);
    calls.push({ task, step, command: m[1], flags: [...new Set(flags)] });
  }
  return calls;
}

function flagsOf(s: string): string[] {
  return [...s.matchAll(/(?:^|\s)(--[a-z][a-z0-9-]*)/g)].map((m) => m[1]);
}

export function allLlmbenchCalls(docs: Doc[]): LlmbenchCall[] {
  return ofKind(docs, 'Task').flatMap((d) =>
    (d.obj.spec.steps ?? []).flatMap((s: Obj) =>
      s.script ? llmbenchCalls(d.obj.metadata.name, s.name, s.script) : [],
    ),
  );
}

export interface CliCommandInfo {
  name: string;
  built: boolean;
  flags: Set<string>;
}

/** The CLI as commander sees it: each command's long flags, and whether it is still a notBuilt stub. */
export async function cliCommands(): Promise<Map<string, CliCommandInfo>> {
  const out = new Map<string, CliCommandInfo>();
  for (const spec of await loadCommands()) {
    const c = new Command(spec.name);
    spec.configure(c);
    const flags = new Set<string>(c.options.map((o) => o.long).filter((x): x is string => !!x));
    // commander derives --no-x from negatable options; both spellings are accepted.
    for (const o of c.options) if (o.negate && o.long) flags.add(o.long);
    flags.add('--help');
    out.set(spec.name, { name: spec.name, built: !spec.summary.includes('[not built yet]'), flags });
  }
  return out;
}
