import { InvalidInputError } from '../core/errors.js';
import { KINDS, type KObject } from './objects.js';
import { KEEP_ANNOTATION, MANAGED_BY, workloadName, type RenderOptions } from './render.js';

export const PREREQ_WORK = 'llmbench-prerequisites';
export const workName = (backend: RenderOptions['backend'], runId?: string) => workloadName(backend, runId);

/** Feedback names the hub reports for the Route (JSONPaths must return scalars). */
export const ROUTE_HOST_FEEDBACK = 'host';

function resourceIdentifier(o: KObject) {
  const k = KINDS[o.kind];
  return {
    group: k.group,
    resource: k.resource,
    ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
    name: o.metadata.name,
  };
}

/**
 * Wraps rendered objects into a ManifestWork in the managed cluster's namespace on the hub. Deployments report
 * WellKnownStatus (ReadyReplicas, Replicas, AvailableReplicas, ObservedGeneration); the Route reports its host.
 * Objects marked keep-on-teardown (the model cache PVC) are orphaned on delete; everything else goes Foreground.
 */
export function manifestWork(
  name: string,
  cluster: string,
  objects: KObject[],
  extraLabels: Record<string, string> = {},
): KObject {
  const manifestConfigs: Record<string, unknown>[] = [];
  for (const o of objects) {
    if (o.kind === 'Deployment') {
      manifestConfigs.push({ resourceIdentifier: resourceIdentifier(o), feedbackRules: [{ type: 'WellKnownStatus' }] });
    } else if (o.kind === 'Route') {
      manifestConfigs.push({
        resourceIdentifier: resourceIdentifier(o),
        feedbackRules: [
          { type: 'JSONPaths', jsonPaths: [{ name: ROUTE_HOST_FEEDBACK, path: '.status.ingress[0].host' }] },
        ],
      });
    }
  }
  const kept = objects.filter((o) => o.metadata.annotations?.[KEEP_ANNOTATION] === 'true');
  // A Namespace carried in the same work (the fan-out's single ManifestWorkReplicaSet) is orphaned with what it
  // keeps: deleting it would delete the kept model cache PVC with it.
  const keptNamespaces = new Set(kept.map((o) => o.metadata.namespace));
  const keep = [...objects.filter((o) => o.kind === 'Namespace' && keptNamespaces.has(o.metadata.name)), ...kept];
  const deleteOption = keep.length
    ? { propagationPolicy: 'SelectivelyOrphan', selectivelyOrphans: { orphaningRules: keep.map(resourceIdentifier) } }
    : { propagationPolicy: 'Foreground' };
  const work: KObject = {
    apiVersion: 'work.open-cluster-management.io/v1',
    kind: 'ManifestWork',
    metadata: {
      name,
      namespace: cluster,
      labels: { 'app.kubernetes.io/part-of': 'llmbench', 'app.kubernetes.io/managed-by': MANAGED_BY, ...extraLabels },
    },
    spec: {
      workload: { manifests: objects },
      deleteOption,
      ...(manifestConfigs.length ? { manifestConfigs } : {}),
    },
  };
  const bytes = Buffer.byteLength(JSON.stringify(work));
  if (bytes > MAX_WORK_BYTES) {
    throw new InvalidInputError(
      'manifestwork-too-large',
      `ManifestWork ${name} would be ${Math.round(bytes / 1024)} KiB; the hub rejects works over 500 KiB`,
      {
        problems: [{ path: '/spec/workload/manifests', message: `${bytes} bytes` }],
        hint: 'Shrink what is embedded (engine args, ConfigMap data), or split it into more ManifestWorks.',
      },
    );
  }
  return work;
}

/** The hub's admission limit for one ManifestWork. */
export const MAX_WORK_BYTES = 500 * 1024;

/** Fan-out to many clusters: a Placement (clusters matching labels) and a ManifestWorkReplicaSet (alpha API). */
export function fanOut(
  name: string,
  hubNamespace: string,
  work: KObject,
  clusterLabels: Record<string, string>,
): KObject[] {
  const placementName = `${name}-placement`;
  const { workload, deleteOption, manifestConfigs } = work.spec as Record<string, unknown>;
  return [
    {
      apiVersion: 'cluster.open-cluster-management.io/v1beta1',
      kind: 'Placement',
      metadata: { name: placementName, namespace: hubNamespace, labels: work.metadata.labels },
      spec: { predicates: [{ requiredClusterSelector: { labelSelector: { matchLabels: clusterLabels } } }] },
    },
    {
      apiVersion: 'work.open-cluster-management.io/v1alpha1',
      kind: 'ManifestWorkReplicaSet',
      metadata: { name, namespace: hubNamespace, labels: work.metadata.labels },
      spec: {
        placementRefs: [{ name: placementName, rolloutStrategy: { type: 'All' } }],
        manifestWorkTemplate: { workload, deleteOption, ...(manifestConfigs ? { manifestConfigs } : {}) },
      },
    },
  ];
}
