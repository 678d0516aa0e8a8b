import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { REPO_ROOT } from '../../../steps/core/paths.js';
import { renderBackend, renderPrerequisites, withDefaults } from '../../../steps/cluster/render.js';
import type { KObject } from '../../../steps/cluster/objects.js';
import { taskRunPod } from '../../tekton/recipes.js';
import { admitPod } from './scc.js';

const docs = (f: string) => yaml.loadAll(readFileSync(path.join(REPO_ROOT, f), 'utf8')) as KObject[];
const buildTask = docs('tekton/tasks/build.yaml')[0] as Record<string, any>;
const rbac = [...docs('tekton/rbac/build.yaml'), ...docs('tekton/rbac/pipeline.yaml')];

describe('fake SCC admission (OpenShift restricted-v2 unless the ServiceAccount may use more)', () => {
  test('the rendered server pod passes restricted-v2 (no UID, no escalation, no added capabilities)', () => {
    const dep = renderBackend(withDefaults({ backend: 'vllm' })).find((o) => o.kind === 'Deployment') as any;
    expect(admitPod([], 'llm-bench', { name: 'server', spec: dep.spec.template.spec })).toBeNull();
  });

  test('the buildah pod is admitted under llm-bench-build through the llm-bench-buildah SCC, refused under any other account', () => {
    const ok = taskRunPod('b', buildTask, 'llm-bench-build', 'llm-bench-ci');
    expect(admitPod(rbac, 'llm-bench-ci', { name: 'b', spec: ok.spec })).toBeNull();
    const refused = taskRunPod('b', buildTask, 'llm-bench-pipeline', 'llm-bench-ci');
    const msg = admitPod(rbac, 'llm-bench-ci', { name: 'b', spec: refused.spec });
    expect(msg).toMatch(/^pods "b" is forbidden: unable to validate against any security context constraint: \[/);
    expect(msg).toMatch(/runAsUser: Invalid value: 1000: must be in the ranges: \[1000680000, 1000689999\]/);
    expect(msg).toMatch(/allowPrivilegeEscalation: Invalid value: true/);
    expect(msg).toMatch(/capabilities.add: Invalid value: "SETUID": capability may not be added/);
    expect(msg).toMatch(/provider "privileged": Forbidden: not usable by user or serviceaccount/);
  });

  test('a binding to system:openshift:scc:privileged (oc adm policy add-scc-to-user) admits a root pod', () => {
    const spec = { serviceAccountName: 'x', containers: [{ name: 'c', securityContext: { runAsUser: 0 } }] };
    expect(admitPod([], 'ns', { name: 'p', spec })).toMatch(/runAsUser: Invalid value: 0/);
    const binding: KObject = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'b', namespace: 'ns' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:openshift:scc:privileged' },
      subjects: [{ kind: 'ServiceAccount', name: 'x', namespace: 'ns' }],
    };
    expect(admitPod([binding], 'ns', { name: 'p', spec })).toBeNull();
    // Bound in another namespace: no effect here.
    expect(
      admitPod([{ ...binding, metadata: { name: 'b', namespace: 'other' } }], 'ns', { name: 'p', spec }),
    ).not.toBeNull();
  });
});

test('regression: the privileged-SCC opt-in asks for uid 0, admitted only with the binding it renders', () => {
  const o = withDefaults({ backend: 'tgi', privilegedScc: true });
  const dep = renderBackend(o).find((x) => x.kind === 'Deployment') as any;
  expect(dep.spec.template.spec.securityContext.runAsUser).toBe(0);
  const pod = { name: 'server', spec: dep.spec.template.spec };
  expect(admitPod([], 'llm-bench', pod)).toMatch(/runAsUser: Invalid value: 0/);
  expect(admitPod(renderPrerequisites(o), 'llm-bench', pod)).toBeNull();
});
