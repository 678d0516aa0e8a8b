/**
 * OpenShift SecurityContextConstraints admission, as the fake API server applies it to pods: a pod is admitted by
 * the first SCC (highest priority first, then most restrictive) that its ServiceAccount may `use` and that accepts
 * it; restricted-v2 is usable by every authenticated user (its `groups: [system:authenticated]`). Otherwise the pod
 * is forbidden with "unable to validate against any security context constraint: [...]", one entry per provider.
 * Sources: the restricted-v2 definition and the admission order in the OpenShift docs, "Managing security context
 * constraints" (https://docs.openshift.com/container-platform/4.15/authentication/managing-security-context-constraints.html);
 * message shapes from openshift/apiserver-library-go pkg/securitycontextconstraints/sccadmission/admission.go.
 * Only the fields our pods use are checked: runAsUser, runAsNonRoot, privilege escalation, capabilities,
 * privileged, seccomp, volume types.
 */
import type { KObject } from '../../../steps/cluster/objects.js';

/** restricted-v2 as OpenShift ships it (fields the checks below read). */
export const RESTRICTED_V2: KObject = {
  apiVersion: 'security.openshift.io/v1',
  kind: 'SecurityContextConstraints',
  metadata: { name: 'restricted-v2' },
  priority: null,
  allowPrivilegeEscalation: false,
  allowPrivilegedContainer: false,
  allowedCapabilities: ['NET_BIND_SERVICE'],
  requiredDropCapabilities: ['ALL'],
  runAsUser: { type: 'MustRunAsRange' },
  seccompProfiles: ['runtime/default'],
  volumes: ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'],
  groups: ['system:authenticated'],
};

/** OpenShift's other default SCCs a binding may name (same docs page): everything, and any UID. */
export const DEFAULT_SCCS: KObject[] = [
  {
    apiVersion: 'security.openshift.io/v1',
    kind: 'SecurityContextConstraints',
    metadata: { name: 'privileged' },
    priority: null,
    allowPrivilegeEscalation: true,
    allowPrivilegedContainer: true,
    allowedCapabilities: ['*'],
    requiredDropCapabilities: [],
    runAsUser: { type: 'RunAsAny' },
    seccompProfiles: ['*'],
    volumes: ['*'],
  },
  {
    apiVersion: 'security.openshift.io/v1',
    kind: 'SecurityContextConstraints',
    metadata: { name: 'anyuid' },
    priority: 10,
    allowPrivilegeEscalation: true,
    allowPrivilegedContainer: false,
    allowedCapabilities: [],
    requiredDropCapabilities: ['MKNOD'],
    runAsUser: { type: 'RunAsAny' },
    seccompProfiles: [],
    volumes: [
      'configMap',
      'csi',
      'downwardAPI',
      'emptyDir',
      'ephemeral',
      'persistentVolumeClaim',
      'projected',
      'secret',
    ],
  },
];

/** The namespace's UID range (annotation openshift.io/sa.scc.uid-range, "1000680000/10000"). */
export const DEFAULT_UID_RANGE: [number, number] = [1000680000, 1000689999];

type Scc = Record<string, any>;
type Container = Record<string, any>;

/** SCC names a ServiceAccount may use through (Cluster)RoleBindings to rules with verb `use`. */
export function usableSccs(all: KObject[], namespace: string, serviceAccount: string): string[] {
  const roles = (kind: string, name: string, ns?: string) =>
    all.find(
      (o) => o.kind === kind && o.metadata.name === name && (kind === 'ClusterRole' || o.metadata.namespace === ns),
    );
  const out: string[] = [];
  for (const b of all.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')) {
    if (b.kind === 'RoleBinding' && b.metadata.namespace !== namespace) continue;
    const subjects = (b.subjects ?? []) as { kind: string; name: string; namespace?: string }[];
    const bound = subjects.some(
      (s) =>
        (s.kind === 'ServiceAccount' &&
          s.name === serviceAccount &&
          (s.namespace ?? b.metadata.namespace) === namespace) ||
        (s.kind === 'Group' &&
          (s.name === 'system:serviceaccounts' || s.name === `system:serviceaccounts:${namespace}`)),
    );
    if (!bound) continue;
    const ref = b.roleRef as { kind: string; name: string };
    // `oc adm policy add-scc-to-user` binds the ClusterRole system:openshift:scc:<name>.
    const sccRole = /^system:openshift:scc:(.+)$/.exec(ref.name);
    if (ref.kind === 'ClusterRole' && sccRole && !roles('ClusterRole', ref.name)) {
      out.push(sccRole[1]);
      continue;
    }
    const role = roles(ref.kind, ref.name, b.metadata.namespace);
    for (const r of (role?.rules ?? []) as Record<string, string[]>[]) {
      if (!r.apiGroups?.includes('security.openshift.io') || !r.verbs?.includes('use')) continue;
      if (!r.resources?.includes('securitycontextconstraints')) continue;
      out.push(...(r.resourceNames ?? []));
    }
  }
  return out;
}

function containerProblems(scc: Scc, c: Container, at: string, podSc: Record<string, any>, range: [number, number]) {
  const p: string[] = [];
  const sc = c.securityContext ?? {};
  const uid = sc.runAsUser ?? podSc.runAsUser;
  const type = scc.runAsUser?.type;
  if (type === 'MustRunAsRange' && uid !== undefined && (uid < range[0] || uid > range[1]))
    p.push(`${at}.securityContext.runAsUser: Invalid value: ${uid}: must be in the ranges: [${range[0]}, ${range[1]}]`);
  if (type === 'MustRunAs' && uid !== undefined && uid !== scc.runAsUser.uid)
    p.push(`${at}.securityContext.runAsUser: Invalid value: ${uid}: must be: ${scc.runAsUser.uid}`);
  if (type === 'MustRunAsNonRoot' && uid === 0)
    p.push(`${at}.securityContext.runAsUser: Invalid value: 0: running with the root UID is forbidden`);
  if (sc.privileged && !scc.allowPrivilegedContainer)
    p.push(`${at}.securityContext.privileged: Invalid value: true: Privileged containers are not allowed`);
  // Admission mutates what a pod leaves unset (escalation off, required capabilities dropped) and rejects only
  // what the pod asks for explicitly.
  if (sc.allowPrivilegeEscalation === true && scc.allowPrivilegeEscalation === false)
    p.push(
      `${at}.securityContext.allowPrivilegeEscalation: Invalid value: true: Allowing privilege escalation for containers is not allowed`,
    );
  const allowed = new Set<string>(scc.allowedCapabilities ?? []);
  const required = new Set<string>(scc.requiredDropCapabilities ?? []);
  for (const cap of (sc.capabilities?.add ?? []) as string[])
    if ((!allowed.has(cap) && !allowed.has('*')) || required.has(cap))
      p.push(`${at}.securityContext.capabilities.add: Invalid value: "${cap}": capability may not be added`);
  const seccomp = sc.seccompProfile?.type ?? podSc.seccompProfile?.type;
  const profiles: string[] = scc.seccompProfiles ?? [];
  if (profiles.length && !profiles.includes('*') && seccomp && seccomp !== 'RuntimeDefault')
    p.push(`${at}.securityContext.seccompProfile.type: Forbidden: ${seccomp} is not an allowed seccomp profile`);
  return p;
}

/** Problems of one pod spec under one SCC (empty: admitted). */
export function sccProblems(scc: Scc, spec: Record<string, any>, range = DEFAULT_UID_RANGE): string[] {
  const podSc = spec.securityContext ?? {};
  const p: string[] = [];
  const allowedVolumes = new Set<string>(scc.volumes ?? []);
  for (const [i, v] of ((spec.volumes ?? []) as Record<string, unknown>[]).entries()) {
    const type = Object.keys(v).find((k) => k !== 'name')!;
    if (!allowedVolumes.has(type) && !allowedVolumes.has('*'))
      p.push(`spec.volumes[${i}]: Invalid value: "${type}": ${type} volumes are not allowed to be used`);
  }
  for (const [kind, list] of [
    ['initContainers', spec.initContainers ?? []],
    ['containers', spec.containers ?? []],
  ] as const)
    (list as Container[]).forEach((c, i) => p.push(...containerProblems(scc, c, `spec.${kind}[${i}]`, podSc, range)));
  return p;
}

/**
 * Admission of one pod: null when admitted, else the Forbidden message. restricted-v2 is always a candidate (every
 * authenticated subject may use it); bound SCCs come first when their priority is higher.
 */
export function admitPod(
  all: KObject[],
  namespace: string,
  pod: { name: string; spec: Record<string, any> },
): string | null {
  const sa = pod.spec.serviceAccountName ?? 'default';
  const byName = new Map(
    [...DEFAULT_SCCS, ...all.filter((o) => o.kind === 'SecurityContextConstraints')].map((o) => [o.metadata.name, o]),
  );
  const usable = [...new Set(usableSccs(all, namespace, sa))].filter((n) => byName.has(n)).map((n) => byName.get(n)!);
  const candidates = [...usable.sort((a, b) => Number(b.priority ?? 0) - Number(a.priority ?? 0)), RESTRICTED_V2];
  const errors: string[] = [];
  for (const scc of candidates) {
    const problems = sccProblems(scc as Scc, pod.spec);
    if (!problems.length) return null;
    errors.push(...problems.map((m) => `provider ${scc.metadata.name}: .${m}`));
  }
  for (const name of ['anyuid', 'privileged'])
    if (!usable.some((s) => s.metadata.name === name))
      errors.push(`provider "${name}": Forbidden: not usable by user or serviceaccount`);
  return `pods "${pod.name}" is forbidden: unable to validate against any security context constraint: [${errors.join(', ')}]`;
}
