/**
 * A small Kubernetes RBAC authorizer over the objects in tekton/rbac/, for the harness: every API request a
 * pipeline step sent to the fake API server must be allowed to the ServiceAccount the TaskRuns run as —
 * proof that the least-privilege Roles are not too narrow for what llmbench actually does.
 */
import type { Obj } from './tekton.js';

export interface ApiRequest {
  method: string;
  path: string;
  query: Record<string, string>;
}

export interface ResourceAttributes {
  verb: string;
  group: string;
  resource: string; // "pods" or "pods/log"
  namespace?: string;
  name?: string;
}

/** Request → RBAC attributes, as the API server derives them; null for non-resource URLs (discovery). */
export function attributes(r: ApiRequest): ResourceAttributes | null {
  let group: string;
  let rest: string[];
  let m = /^\/api\/v1\/(.+)$/.exec(r.path);
  if (m) {
    group = '';
    rest = m[1].split('/');
  } else if ((m = /^\/apis\/([^/]+)\/([^/]+)\/(.+)$/.exec(r.path))) {
    group = m[1];
    rest = m[3].split('/');
  } else return null;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, sub] = rest.map(decodeURIComponent);
  const collection = name === undefined;
  const verb =
    r.method === 'GET'
      ? r.query.watch === 'true' || r.query.watch === '1'
        ? 'watch'
        : collection
          ? 'list'
          : 'get'
      : r.method === 'POST'
        ? 'create'
        : r.method === 'PATCH'
          ? 'patch'
          : r.method === 'PUT'
            ? 'update'
            : r.method === 'DELETE'
              ? collection
                ? 'deletecollection'
                : 'delete'
              : r.method.toLowerCase();
  return { verb, group, resource: sub ? `${resource}/${sub}` : resource, namespace, name };
}

/** Is the request allowed to ServiceAccount ns/name by the Roles/ClusterRoles and their bindings in `docs`? */
export function allowed(objs: Obj[], sa: { namespace: string; name: string }, a: ResourceAttributes): boolean {
  const isSubject = (b: Obj) =>
    (b.subjects ?? []).some(
      (s: Obj) => s.kind === 'ServiceAccount' && s.name === sa.name && s.namespace === sa.namespace,
    );
  const rulesOf = (kind: string, name: string, ns?: string) =>
    objs.find(
      (o) => o.kind === kind && o.metadata.name === name && (kind === 'ClusterRole' || o.metadata.namespace === ns),
    )?.rules ?? [];
  const rules: Obj[] = [];
  for (const b of objs.filter((o) => o.kind === 'ClusterRoleBinding' && isSubject(o)))
    rules.push(...rulesOf('ClusterRole', b.roleRef.name));
  for (const b of objs.filter(
    (o) => o.kind === 'RoleBinding' && isSubject(o) && o.metadata.namespace === a.namespace,
  )) {
    rules.push(...rulesOf(b.roleRef.kind, b.roleRef.name, b.metadata.namespace));
  }
  return rules.some(
    (r) =>
      (r.apiGroups ?? []).some((g: string) => g === '*' || g === a.group) &&
      (r.resources ?? []).some((x: string) => x === '*' || x === a.resource) &&
      (r.verbs ?? []).some((v: string) => v === '*' || v === a.verb) &&
      (!r.resourceNames?.length || (a.name !== undefined && r.resourceNames.includes(a.name))),
  );
}
