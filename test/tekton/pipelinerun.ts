/**
 * A PipelineRun object (what Triggers, Pipelines-as-Code or `tkn pipeline start` create) → what the harness runs:
 * its params, its pipelineRef, its name (generateName gets a random suffix, as the API server does) and its
 * workspace bindings materialized as host directories, so that the Tekton rules that depend on the kind of
 * binding (the Affinity Assistant's one-PVC-per-TaskRun) apply to the bindings the entry point really ships.
 *
 * Volumes, as Kubernetes provides them:
 *  - persistentVolumeClaim: one directory per claim under `root/pvc/`, shared by every run that binds the claim
 *    (that is the point of a PVC: the nightly history outlives runs); `subPath` is a subdirectory of it, created
 *    when missing (the kubelet creates a missing subPath: pkg/kubelet/kubelet_pods.go makeMounts);
 *  - volumeClaimTemplate: a fresh directory per PipelineRun and workspace (Tekton creates one PVC per run);
 *  - emptyDir: a fresh directory;
 *  - secret / configMap: a directory with one file per key from `secrets` / `configMaps`; a missing object is an
 *    empty directory when the binding says `optional: true` (Kubernetes' optional volume), else an error naming it
 *    (the pod would never start: CreateContainerConfigError).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { HarnessOptions } from './harness.js';
import type { Obj } from './tekton.js';

export interface Volumes {
  /** Where the volumes live on this machine. */
  root: string;
  /** Secret name → key → value (volume files and env secretKeyRef). */
  secrets?: Record<string, Record<string, string>>;
  /** ConfigMap name → key → value. */
  configMaps?: Record<string, Record<string, string>>;
}

function filesDir(dir: string, data: Record<string, string> | undefined, what: string, optional: boolean): string {
  if (!data && !optional) throw new Error(`${what} not found: the TaskRun pods would not start`);
  mkdirSync(dir, { recursive: true });
  for (const [k, v] of Object.entries(data ?? {})) writeFileSync(path.join(dir, k), v);
  return dir;
}

function hostDir(runName: string, b: Obj, v: Volumes): string {
  const sub = b.subPath ? String(b.subPath) : '';
  if (sub && (path.isAbsolute(sub) || sub.split('/').includes('..')))
    throw new Error(`workspace ${b.name}: subPath ${sub} must be relative and must not contain '..'`);
  let base: string;
  if (b.persistentVolumeClaim) base = path.join(v.root, 'pvc', b.persistentVolumeClaim.claimName);
  else if (b.volumeClaimTemplate) base = path.join(v.root, 'vct', runName, b.name);
  else if (b.emptyDir) base = path.join(v.root, 'emptydir', runName, b.name);
  else if (b.secret)
    base = filesDir(
      path.join(v.root, 'secret', runName, b.name),
      v.secrets?.[b.secret.secretName],
      `secrets "${b.secret.secretName}"`,
      b.secret.optional === true,
    );
  else if (b.configMap)
    base = filesDir(
      path.join(v.root, 'configmap', runName, b.name),
      v.configMaps?.[b.configMap.name],
      `configmaps "${b.configMap.name}"`,
      b.configMap.optional === true,
    );
  else throw new Error(`workspace ${b.name}: volume source not modelled: ${Object.keys(b).join(', ')}`);
  const dir = sub ? path.join(base, sub) : base;
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The harness options for one PipelineRun; `overrides` replace param values (each a local stand-in, see callers). */
export function harnessOptionsFor(
  run: Obj,
  v: Volumes,
  overrides: Record<string, string> = {},
): Pick<HarnessOptions, 'params' | 'workspaces' | 'bindings' | 'secrets' | 'runName' | 'pipeline'> {
  const runName =
    run.metadata?.name ?? `${run.metadata.generateName}${Math.random().toString(36).slice(2, 7).padEnd(5, '0')}`;
  if (!run.spec.pipelineRef?.name) throw new Error('only PipelineRuns with a pipelineRef by name are modelled');
  const params: Record<string, string> = {};
  for (const p of (run.spec.params ?? []) as Obj[]) params[p.name] = String(p.value);
  Object.assign(params, overrides);
  const workspaces: Record<string, string> = {};
  const bindings: Record<string, Obj> = {};
  for (const b of (run.spec.workspaces ?? []) as Obj[]) {
    bindings[b.name] = b;
    workspaces[b.name] = hostDir(runName, b, v);
  }
  return { params, workspaces, bindings, secrets: v.secrets, runName, pipeline: run.spec.pipelineRef.name };
}
