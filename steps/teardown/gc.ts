/**
 * The janitor: servers whose PipelineRun is gone or long finished. `finally` (teardown) does not run on a hard
 * cancel (Tekton: "Cancelled" skips finally tasks, https://tekton.dev/docs/pipelines/pipelineruns/#cancelling-a-pipelinerun),
 * so a GPU server can outlive its run. Every server object carries the owning PipelineRun's name and namespace as
 * labels (steps/cluster/scope.ts); this finds the owners that no longer need them.
 */
import type { KubeClient } from '../cluster/kube.js';
import type { KObject } from '../cluster/objects.js';
import { KEEP_ANNOTATION } from '../cluster/render.js';
import { PIPELINERUN_LABEL, PIPELINERUN_NS_LABEL } from '../cluster/scope.js';
import type { Logger } from '../core/log.js';

/** Kinds a server run owns, deleted workload first. The model cache PVC is kept (KEEP_ANNOTATION). */
export const OWNED_KINDS = ['Deployment', 'Service', 'NetworkPolicy', 'Route', 'ConfigMap'] as const;

export interface GcOptions {
  namespace: string;
  /** A finished run's objects are collected only after this many seconds (its own teardown goes first). */
  graceS: number;
  dryRun: boolean;
  now: Date;
  /** Kinds the cluster serves (Route only on OpenShift). */
  kinds: readonly string[];
}

export interface GcRun {
  pipelineRun: string;
  namespace: string;
  state: 'running' | 'gone' | 'finished';
  objects: string[];
}

type RunState = GcRun['state'] | 'recent';

/** A PipelineRun is done when it has a completionTime (succeeded, failed, cancelled or timed out). */
export function runState(pr: KObject | null, now: Date, graceS: number): RunState {
  if (!pr) return 'gone';
  const done = (pr.status as { completionTime?: string } | undefined)?.completionTime;
  if (!done) return 'running';
  return now.getTime() - Date.parse(done) >= graceS * 1000 ? 'finished' : 'recent';
}

export async function collect(client: KubeClient, o: GcOptions, log: Logger): Promise<GcRun[]> {
  const owned: KObject[] = [];
  for (const kind of OWNED_KINDS.filter((k) => o.kinds.includes(k)))
    owned.push(...(await client.list(kind, o.namespace, { labelSelector: PIPELINERUN_LABEL })));
  const byRun = new Map<string, KObject[]>();
  for (const obj of owned) {
    if (obj.metadata.annotations?.[KEEP_ANNOTATION] === 'true') continue;
    const ns = obj.metadata.labels?.[PIPELINERUN_NS_LABEL] ?? o.namespace;
    const key = `${ns}/${obj.metadata.labels![PIPELINERUN_LABEL]}`;
    byRun.set(key, [...(byRun.get(key) ?? []), obj]);
  }
  const out: GcRun[] = [];
  for (const [key, objs] of byRun) {
    const [ns, name] = key.split('/');
    const state = runState(await client.get('PipelineRun', ns, name), o.now, o.graceS);
    const refs = objs.map((x) => `${x.kind}/${x.metadata.name}`);
    if (state === 'recent' || state === 'running') {
      log.event('gc-keep', { pipelinerun: key, state, objects: refs.length });
      if (state === 'running') out.push({ pipelineRun: name, namespace: ns, state, objects: [] });
      continue;
    }
    for (const x of objs) {
      if (!o.dryRun) await client.delete(x);
      log.event(o.dryRun ? 'gc-would-delete' : 'gc-delete', {
        pipelinerun: key,
        state,
        object: `${x.kind}/${x.metadata.name}`,
      });
    }
    out.push({ pipelineRun: name, namespace: ns, state, objects: refs });
  }
  return out;
}
