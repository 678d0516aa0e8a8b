/**
 * The rendered pods must be admitted under OpenShift's restricted-v2 SCC and the Pod Security "restricted"
 * level without the opt-in. restricted-v2 is written out below as OpenShift ships it (validated against the
 * SCC CRD) and the pod is checked against each of its constraints.
 */
import { describe, expect, test } from '@jest/globals';
import { renderObjects } from '../../steps/render/render.js';
import { withDefaults } from '../../steps/cluster/render.js';
import { BACKENDS } from '../../steps/cluster/profiles.js';
import type { KObject } from '../../steps/cluster/objects.js';
import { validateObject } from '../fakes/k8s/validate.js';

const RESTRICTED_V2: KObject = {
  apiVersion: 'security.openshift.io/v1',
  kind: 'SecurityContextConstraints',
  metadata: { name: 'restricted-v2' },
  allowHostDirVolumePlugin: false,
  allowHostIPC: false,
  allowHostNetwork: false,
  allowHostPID: false,
  allowHostPorts: false,
  allowPrivilegeEscalation: false,
  allowPrivilegedContainer: false,
  allowedCapabilities: ['NET_BIND_SERVICE'],
  defaultAddCapabilities: null,
  priority: null,
  readOnlyRootFilesystem: false,
  requiredDropCapabilities: ['ALL'],
  fsGroup: { type: 'MustRunAs' },
  runAsUser: { type: 'MustRunAsRange' },
  seLinuxContext: { type: 'MustRunAs' },
  supplementalGroups: { type: 'RunAsAny' },
  seccompProfiles: ['runtime/default'],
  volumes: ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'],
};

/** Every reason restricted-v2 would refuse this pod template (empty = admitted). */
function restrictedV2Violations(pod: any): string[] {
  const v: string[] = [];
  const scc = RESTRICTED_V2 as any;
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) v.push('host namespaces');
  for (const vol of pod.volumes ?? []) {
    const type = Object.keys(vol).find((k) => k !== 'name')!;
    if (!scc.volumes.includes(type)) v.push(`volume type ${type}`);
  }
  const podSc = pod.securityContext ?? {};
  if (podSc.runAsUser === 0) v.push('pod runAsUser 0');
  for (const c of pod.containers) {
    const sc = c.securityContext ?? {};
    if (sc.privileged) v.push(`${c.name}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) v.push(`${c.name}: allowPrivilegeEscalation must be false`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) v.push(`${c.name}: must drop ALL capabilities`);
    for (const cap of sc.capabilities?.add ?? [])
      if (!scc.allowedCapabilities.includes(cap)) v.push(`${c.name}: adds ${cap}`);
    if (sc.runAsUser === 0) v.push(`${c.name}: runAsUser 0`);
    for (const p of c.ports ?? []) if (p.hostPort) v.push(`${c.name}: hostPort`);
    const seccomp = sc.seccompProfile?.type ?? podSc.seccompProfile?.type;
    if (seccomp && seccomp !== 'RuntimeDefault') v.push(`${c.name}: seccomp ${seccomp}`);
  }
  return v;
}

/** Pod Security Standards, "restricted" level (what the namespace label enforces). */
function podSecurityRestrictedViolations(pod: any): string[] {
  const v: string[] = [];
  const podSc = pod.securityContext ?? {};
  for (const c of pod.containers) {
    const sc = c.securityContext ?? {};
    if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) !== true) v.push(`${c.name}: runAsNonRoot`);
    if ((sc.seccompProfile?.type ?? podSc.seccompProfile?.type) !== 'RuntimeDefault')
      v.push(`${c.name}: seccompProfile`);
    if (sc.allowPrivilegeEscalation !== false) v.push(`${c.name}: allowPrivilegeEscalation`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) v.push(`${c.name}: drop ALL`);
  }
  return v;
}

const podOf = (objs: KObject[]) => (objs.find((o) => o.kind === 'Deployment') as any).spec.template.spec;

describe('least privilege', () => {
  test('restricted-v2 as written here is a valid SCC', () => {
    expect(validateObject(RESTRICTED_V2)).toEqual([]);
  });

  test.each(BACKENDS)(
    '%s: admitted by restricted-v2 and Pod Security "restricted"; no SCC binding, no API token',
    (b) => {
      const objs = renderObjects(withDefaults({ backend: b }), { mode: 'direct' });
      const pod = podOf(objs);
      expect(restrictedV2Violations(pod)).toEqual([]);
      expect(podSecurityRestrictedViolations(pod)).toEqual([]);
      expect(objs.find((o) => o.kind === 'Namespace')!.metadata.labels!['pod-security.kubernetes.io/enforce']).toBe(
        'restricted',
      );
      expect(objs.filter((o) => o.kind === 'RoleBinding').map((o) => (o as any).roleRef.name)).toEqual([
        'llmbench-runner',
      ]);
      expect(pod.automountServiceAccountToken).toBe(false);
    },
  );

  test("the checker is not vacuous: the seed's root pod is refused", () => {
    const pod = podOf(renderObjects(withDefaults({ backend: 'vllm', privilegedScc: true }), { mode: 'direct' }));
    pod.containers[0].securityContext = { runAsUser: 0, privileged: true };
    pod.volumes.push({ name: 'dev', hostPath: { path: '/dev' } });
    expect(restrictedV2Violations(pod)).toEqual(
      expect.arrayContaining(['volume type hostPath', 'server: privileged', 'server: runAsUser 0']),
    );
    expect(podSecurityRestrictedViolations(pod).length).toBeGreaterThan(0);
  });

  test('the opt-in binds the privileged SCC to the server ServiceAccount only, and relaxes the namespace label to match', () => {
    const objs = renderObjects(withDefaults({ backend: 'tgi', privilegedScc: true }), { mode: 'direct' });
    const binding = objs.find((o) => (o as any).roleRef?.name === 'system:openshift:scc:privileged') as any;
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'llmbench-server', namespace: 'llm-bench' }]);
    expect(objs.find((o) => o.kind === 'Namespace')!.metadata.labels!['pod-security.kubernetes.io/enforce']).toBe(
      'privileged',
    );
  });
});
