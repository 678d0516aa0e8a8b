import type { Logger } from '../core/log.js';
import { EnvironmentError } from '../core/errors.js';
import { ref, type KObject } from '../cluster/objects.js';
import type { KubeClient } from '../cluster/kube.js';

export interface InventoryEntry {
  apiVersion: string;
  kind: string;
  namespace: string | null;
  name: string;
  uid: string | null;
  generation: number | null;
  /** Shared by every server (namespace, ServiceAccounts, RBAC): teardown keeps them unless --all. */
  prerequisite: boolean;
  /** The model cache: teardown keeps it unless --purge-cache. */
  keep_on_teardown: boolean;
}

/** What apply created: teardown removes exactly this (cluster/<backend>.applied.json; not in deploy/, where every file is a deploy report). */
export interface AppliedInventory {
  schema_version: 1;
  backend: string;
  mode: 'direct' | 'acm';
  cluster: string | null;
  namespace: string;
  server: string;
  applied_at: string;
  objects: InventoryEntry[];
}

/**
 * With --no-prerequisites (the pipeline's direct mode) the namespace and the servers' ServiceAccount must already
 * exist: installed once by a namespace admin. Missing, apply fails at once naming the object and the install
 * command, instead of a Deployment whose pods never get created and a wait that runs into its deadline.
 */
export async function checkPrerequisites(
  client: KubeClient,
  namespace: string,
  serviceAccount: string,
  log: Logger,
): Promise<void> {
  // One read covers both: in a missing namespace the ServiceAccount is not found either.
  if (await client.get('ServiceAccount', namespace, serviceAccount)) return;
  log.event('prerequisite-missing', { object: `ServiceAccount/${namespace}/${serviceAccount}` });
  throw new EnvironmentError(
    'prerequisite-missing',
    `serviceaccounts "${serviceAccount}" not found in namespace "${namespace}": the install has not been run there`,
    {
      hint: `As the namespace admin, once: kubectl apply -f manifests/prerequisites.yaml (README.md, "Install on a cluster"); for another namespace: llmbench render --namespace ${namespace} | kubectl apply -f -`,
    },
  );
}

/**
 * Server-side applies every object in order (field manager `llmbench`, force). Checks first that the cluster
 * serves every kind, so a missing Route or ManifestWork API fails before anything changed. Idempotent:
 * applying the same objects again changes nothing (same generation).
 */
export async function applyObjects(client: KubeClient, objects: KObject[], log: Logger): Promise<KObject[]> {
  const kinds = [...new Map(objects.map((o) => [`${o.apiVersion}/${o.kind}`, o])).values()];
  const missing: string[] = [];
  for (const o of kinds) if (!(await client.served(o.apiVersion, o.kind))) missing.push(`${o.apiVersion} ${o.kind}`);
  if (missing.length) {
    const hint = missing.some((m) => m.includes('Route'))
      ? 'This cluster has no OpenShift Routes: pass --no-route (cluster.route: false) on plain Kubernetes.'
      : missing.some((m) => m.includes('ManifestWork'))
        ? 'ManifestWorks are served by the ACM/OCM hub: point the kubeconfig at the hub cluster.'
        : 'Install the API these objects need, or leave them out.';
    throw new EnvironmentError(
      'kind-not-served',
      `the API server does not serve ${missing.join(', ')}; nothing was applied`,
      { hint },
    );
  }
  const out: KObject[] = [];
  for (const o of objects) {
    const live = await client.apply(o);
    log.event('applied', { object: ref(o), generation: live.metadata?.generation ?? null });
    out.push(live);
  }
  return out;
}
