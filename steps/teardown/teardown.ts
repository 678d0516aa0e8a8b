import type { Logger } from '../core/log.js';
import { EnvironmentError } from '../core/errors.js';
import type { KubeClient } from '../cluster/kube.js';
import type { InventoryEntry } from '../apply/apply.js';

export interface TeardownOptions {
  /** Also remove the prerequisites (namespace, ServiceAccounts, RBAC) — and with the namespace everything in it. */
  all: boolean;
  /** Also remove the model cache PVC (kept by default so the next run does not download again). */
  purgeCache: boolean;
  timeoutS: number;
  pollMs: number;
}

export interface TeardownResult {
  deleted: string[];
  alreadyGone: string[];
  kept: string[];
  seconds: number;
}

const label = (e: InventoryEntry) => `${e.kind}/${e.namespace ? e.namespace + '/' : ''}${e.name}`;

/**
 * Deletes what apply created, newest first (Foreground: dependents go first), then waits until every object is
 * gone — a ManifestWork disappears only after its finalizer cleaned the managed cluster. Objects already gone
 * are fine: running it twice is safe.
 */
export async function teardown(
  client: KubeClient,
  entries: InventoryEntry[],
  o: TeardownOptions,
  log: Logger,
): Promise<TeardownResult> {
  const t0 = Date.now();
  const deadline = t0 + o.timeoutS * 1000;
  const res: TeardownResult = { deleted: [], alreadyGone: [], kept: [], seconds: 0 };
  const targets: InventoryEntry[] = [];
  for (const e of [...entries].reverse()) {
    if ((e.prerequisite && !o.all) || (e.keep_on_teardown && !o.purgeCache && !o.all)) res.kept.push(label(e));
    else targets.push(e);
  }
  // With the namespace going, its contents go with it; delete it last.
  for (const e of targets) {
    const obj = {
      apiVersion: e.apiVersion,
      kind: e.kind,
      metadata: { name: e.name, ...(e.namespace ? { namespace: e.namespace } : {}) },
    };
    const existed = await client.delete(obj, 'Foreground');
    (existed ? res.deleted : res.alreadyGone).push(label(e));
    log.event('delete', { object: label(e), result: existed ? 'deleting' : 'already gone' });
  }
  for (const e of targets) {
    for (;;) {
      const live = await client.get(e.kind, e.namespace ?? undefined, e.name);
      if (!live) break;
      const left = deadline - Date.now();
      if (left <= 0) {
        const fin = (live.metadata.finalizers as string[] | undefined)?.join(', ');
        throw new EnvironmentError(
          'teardown-timeout',
          `${label(e)} still exists after ${o.timeoutS} s${fin ? ` (finalizers: ${fin})` : ''}`,
          {
            hint:
              e.kind === 'ManifestWork'
                ? 'The work agent must clean the managed cluster before the ManifestWork goes: check the cluster is available (oc get managedcluster). Run teardown again later; it is safe.'
                : 'Something holds it (finalizers, a stuck pod): inspect it, then run teardown again; it is safe to repeat.',
          },
        );
      }
      // A watch from the read's resourceVersion wakes us on DELETED, even one that came between the read and the
      // watch; the re-read covers a dropped watch (or a version the server no longer holds: 410 Expired).
      await client.watchUntil(
        e.kind,
        e.namespace ?? undefined,
        e.name,
        (type) => type === 'DELETED',
        Math.min(left, Math.max(o.pollMs, 50) * 4),
        typeof live.metadata.resourceVersion === 'string' ? live.metadata.resourceVersion : undefined,
      );
    }
    log.event('gone', { object: label(e) });
  }
  res.seconds = (Date.now() - t0) / 1000;
  return res;
}
