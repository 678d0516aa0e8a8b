import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../core/paths.js';
import { renderBackend, withDefaults, workloadName, serviceUrl } from './render.js';
import { BACKENDS, GPU_PROFILES, gpuProfile } from './profiles.js';
import { gpuNodeSelector, scopedName, PIPELINERUN_LABEL } from './scope.js';
import type { KObject } from './objects.js';

const deployment = (objs: KObject[]) => objs.find((o) => o.kind === 'Deployment')! as any;
const envOf = (objs: KObject[]) =>
  Object.fromEntries(
    (deployment(objs).spec.template.spec.containers[0].env as { name: string; value?: string }[])
      .filter((e) => e.value !== undefined)
      .map((e) => [e.name, e.value]),
  );

/** ENV of a Dockerfile's final stage, as the image config carries it (later ENV lines win). */
function dockerfileEnv(file: string): Record<string, string> {
  const env: Record<string, string> = {};
  const text = readFileSync(file, 'utf8').replace(/\\\n/g, ' ');
  for (const line of text.split('\n')) {
    if (/^FROM\s/i.test(line)) for (const k of Object.keys(env)) delete env[k];
    const m = /^ENV\s+(.*)$/i.exec(line.trim());
    if (!m) continue;
    for (const kv of m[1].trim().split(/\s+/)) {
      const [k, ...v] = kv.split('=');
      env[k] = v.join('=');
    }
  }
  return env;
}

describe('servers start: the model cache mode and the image ENV agree', () => {
  for (const b of BACKENDS) {
    test(`${b}: image mode reads the baked weights offline; pvc mode is never offline on the empty cache`, () => {
      const image = dockerfileEnv(path.join(REPO_ROOT, 'docker', b, 'Dockerfile'));
      // The container's env overrides the image's ENV (Kubernetes: "env ... takes precedence over ENV").
      const effective = (mode: 'pvc' | 'image') => ({
        ...image,
        ...envOf(renderBackend(withDefaults({ backend: b, modelCache: mode }))),
      });
      const img = effective('image');
      expect(img.HF_HUB_OFFLINE).toBe('1');
      expect(img.HF_HOME).toBe(image.HF_HOME); // where download_model.py put the weights
      const pvc = effective('pvc');
      expect(pvc.HF_HUB_OFFLINE).not.toBe('1');
      expect(pvc.HF_HOME).toMatch(/^\/models-cache\//);
      const pvcObjs = renderBackend(withDefaults({ backend: b, modelCache: 'pvc' }));
      const mounts = deployment(pvcObjs).spec.template.spec.containers[0].volumeMounts as { mountPath: string }[];
      expect(mounts.some((m) => String(pvc.HF_HOME).startsWith(m.mountPath))).toBe(true);
    });
  }
});

describe('runs do not collide: names carry the run id', () => {
  test('scopedName: bounded to 63 characters, DNS-safe, distinct for long ids sharing a prefix', () => {
    expect(scopedName('llmbench-vllm')).toBe('llmbench-vllm');
    expect(scopedName('llmbench-vllm', 'llm-bench-pull-request-x7k2p')).toBe(
      'llmbench-vllm-llm-bench-pull-request-x7k2p',
    );
    const a = scopedName('llmbench-triton', 'x'.repeat(80) + 'a');
    const b2 = scopedName('llmbench-triton', 'x'.repeat(80) + 'b');
    expect(a.length).toBeLessThanOrEqual(63);
    expect(a).not.toBe(b2);
    expect(a).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])?$/);
    expect(scopedName('llmbench-tgi', 'Run_ID.01')).toBe('llmbench-tgi-run-id-01');
  });

  test('two runs of one backend in one namespace share no object but the model cache PVC', () => {
    const one = renderBackend(withDefaults({ backend: 'vllm', runId: 'pr-1-abcde', pipelineRun: 'pr-1-abcde' }));
    const two = renderBackend(withDefaults({ backend: 'vllm', runId: 'pr-2-fghij', pipelineRun: 'pr-2-fghij' }));
    const names = (objs: KObject[]) =>
      objs.filter((o) => o.kind !== 'PersistentVolumeClaim').map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names(one).filter((n) => names(two).includes(n))).toEqual([]);
    const d1 = deployment(one);
    expect(d1.metadata.name).toBe(workloadName('vllm', 'pr-1-abcde'));
    expect(d1.metadata.labels[PIPELINERUN_LABEL]).toBe('pr-1-abcde');
    expect(d1.spec.template.metadata.labels[PIPELINERUN_LABEL]).toBe('pr-1-abcde');
    expect(d1.spec.selector.matchLabels).not.toEqual(deployment(two).spec.selector.matchLabels);
    expect(serviceUrl({ backend: 'vllm', namespace: 'llm-bench', runId: 'pr-1-abcde' })).toBe(
      'http://llmbench-vllm-pr-1-abcde.llm-bench.svc:8000',
    );
  });
});

describe('measured from inside the cluster', () => {
  test('no Route by default; a NetworkPolicy admits only this run’s pods in the client namespace, on the server ports', () => {
    const objs = renderBackend(withDefaults({ backend: 'triton', runId: 'r1', pipelineRun: 'r1' }));
    expect(objs.some((o) => o.kind === 'Route')).toBe(false);
    const np = objs.find((o) => o.kind === 'NetworkPolicy') as any;
    expect(np.spec.podSelector.matchLabels).toEqual(deployment(objs).spec.selector.matchLabels);
    expect(np.spec.policyTypes).toEqual(['Ingress']);
    expect(np.spec.ingress).toEqual([
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'llm-bench-ci' } },
            podSelector: { matchLabels: { 'tekton.dev/pipelineRun': 'r1' } },
          },
        ],
        ports: [8000, 8001, 8002].map((port) => ({ protocol: 'TCP', port })),
      },
    ]);
  });

  test('a Route, when asked, also admits the OpenShift router, on the HTTP port only', () => {
    const objs = renderBackend(withDefaults({ backend: 'vllm', route: true }));
    expect(objs.some((o) => o.kind === 'Route')).toBe(true);
    const np = objs.find((o) => o.kind === 'NetworkPolicy') as any;
    expect(np.spec.ingress[0].from[0].podSelector.matchLabels).toEqual({ 'tekton.dev/pipeline': 'llm-bench' });
    expect(np.spec.ingress[1]).toEqual({
      from: [{ namespaceSelector: { matchLabels: { 'policy-group.network.openshift.io/ingress': '' } } }],
      ports: [{ protocol: 'TCP', port: 8000 }],
    });
  });
});

describe('GPU targeting', () => {
  test('nvidia.com/gpu.product from the profile; under the mixed MIG strategy the whole GPU’s name', () => {
    const dep = deployment(renderBackend(withDefaults({ backend: 'vllm', gpuProfile: 'a100-mig-3g.20gb' })));
    expect(dep.spec.template.spec.nodeSelector).toEqual({
      'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-40GB-MIG-3g.20gb',
    });
    const mixed = deployment(
      renderBackend(withDefaults({ backend: 'vllm', gpuProfile: 'a100-mig-3g.20gb', migStrategy: 'mixed' })),
    );
    expect(mixed.spec.template.spec.nodeSelector).toEqual({ 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-40GB' });
    expect(mixed.spec.template.spec.containers[0].resources.limits).toHaveProperty(['nvidia.com/mig-3g.20gb']);
    expect(gpuNodeSelector(gpuProfile('mi300x-192gb'), 'single')).toEqual({
      'amd.com/gpu.product-name': 'AMD_Instinct_MI300X',
    });
    // A profile without a known label pins nothing rather than a guess.
    for (const p of GPU_PROFILES.filter((g) => !g.product_label)) expect(gpuNodeSelector(p, 'single')).toEqual({});
  });
});

describe('ACM fan-out keeps the model cache', () => {
  test('regression: the ManifestWorkReplicaSet orphans the Namespace it embeds with the cache PVC (deleting it deleted the PVC)', async () => {
    const { renderFanOut } = await import('../render/render.js');
    const [, mwrs] = renderFanOut(withDefaults({ backend: 'vllm' }), 'llmbench', { gpu: 'a100' });
    const del = (mwrs.spec as any).manifestWorkTemplate.deleteOption;
    expect(del.propagationPolicy).toBe('SelectivelyOrphan');
    expect(del.selectivelyOrphans.orphaningRules).toEqual(
      expect.arrayContaining([
        { group: '', resource: 'namespaces', name: 'llm-bench' },
        { group: '', resource: 'persistentvolumeclaims', namespace: 'llm-bench', name: 'llmbench-model-cache-vllm' },
      ]),
    );
  });
});
