/** A Kubernetes object as plain data (what we render, apply and read back). */
export interface KObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

/** Group/version/resource for the kinds llmbench renders; `namespaced` decides the REST path. */
export interface KindInfo {
  group: string;
  version: string;
  resource: string;
  namespaced: boolean;
}

export const KINDS: Record<string, KindInfo> = {
  Namespace: { group: '', version: 'v1', resource: 'namespaces', namespaced: false },
  ServiceAccount: { group: '', version: 'v1', resource: 'serviceaccounts', namespaced: true },
  ConfigMap: { group: '', version: 'v1', resource: 'configmaps', namespaced: true },
  PersistentVolumeClaim: { group: '', version: 'v1', resource: 'persistentvolumeclaims', namespaced: true },
  Service: { group: '', version: 'v1', resource: 'services', namespaced: true },
  Pod: { group: '', version: 'v1', resource: 'pods', namespaced: true },
  Event: { group: '', version: 'v1', resource: 'events', namespaced: true },
  Node: { group: '', version: 'v1', resource: 'nodes', namespaced: false },
  Deployment: { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true },
  ReplicaSet: { group: 'apps', version: 'v1', resource: 'replicasets', namespaced: true },
  NetworkPolicy: { group: 'networking.k8s.io', version: 'v1', resource: 'networkpolicies', namespaced: true },
  Role: { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'roles', namespaced: true },
  RoleBinding: { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings', namespaced: true },
  Route: { group: 'route.openshift.io', version: 'v1', resource: 'routes', namespaced: true },
  SecurityContextConstraints: {
    group: 'security.openshift.io',
    version: 'v1',
    resource: 'securitycontextconstraints',
    namespaced: false,
  },
  ManifestWork: {
    group: 'work.open-cluster-management.io',
    version: 'v1',
    resource: 'manifestworks',
    namespaced: true,
  },
  ManifestWorkReplicaSet: {
    group: 'work.open-cluster-management.io',
    version: 'v1alpha1',
    resource: 'manifestworkreplicasets',
    namespaced: true,
  },
  PipelineRun: { group: 'tekton.dev', version: 'v1', resource: 'pipelineruns', namespaced: true },
  Placement: {
    group: 'cluster.open-cluster-management.io',
    version: 'v1beta1',
    resource: 'placements',
    namespaced: true,
  },
};

export function kindInfo(obj: Pick<KObject, 'kind' | 'apiVersion'>): KindInfo {
  const k = KINDS[obj.kind];
  if (!k) throw new Error(`llmbench does not know the kind ${obj.apiVersion} ${obj.kind}`);
  return k;
}

/** REST path of one object (or of its collection when name is omitted). */
export function objectPath(kind: string, namespace: string | undefined, name?: string): string {
  const k = KINDS[kind];
  const base = k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`;
  const ns = k.namespaced ? `/namespaces/${encodeURIComponent(namespace ?? 'default')}` : '';
  return `${base}${ns}/${k.resource}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

export const ref = (o: KObject) =>
  `${o.kind}/${o.metadata.namespace ? o.metadata.namespace + '/' : ''}${o.metadata.name}`;
