import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { main } from '../cli.js';
import { validateObject } from '../../test/fakes/k8s/validate.js';
import type { KObject } from '../cluster/objects.js';
import { BACKENDS, DEFAULT_IMAGES, GPU_PROFILES } from '../cluster/profiles.js';
import { SERVERS } from '../servers/index.js';
import { withDefaults } from '../cluster/render.js';
import { renderFanOut, renderObjects } from './render.js';

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main({ argv, stdout: (s) => (out += s), stderr: (s) => (err += s), env: {} });
  return { code, out, err, docs: yaml.loadAll(out) as KObject[] };
}
const container = (objs: KObject[]) => {
  const d = objs.find((o) => o.kind === 'Deployment') as any;
  return d.spec.template.spec.containers[0];
};

describe('render', () => {
  test.each(
    // Servers without a published image for a vendor (Triton, SGLang on AMD) need --image: tested below.
    BACKENDS.flatMap((b) => GPU_PROFILES.map((p) => [b, p.id] as const)).filter(
      ([b, p]) => DEFAULT_IMAGES[b][GPU_PROFILES.find((g) => g.id === p)!.vendor] !== null,
    ),
  )('%s on %s: every object is valid (core kinds, CRDs, no unknown fields), direct and ACM', (backend, gpuProfile) => {
    const o = withDefaults({ backend, gpuProfile });
    const direct = renderObjects(o, { mode: 'direct' });
    for (const obj of direct) expect(validateObject(obj)).toEqual([]);
    const works = renderObjects(o, { mode: 'acm', cluster: 'spoke-1' });
    for (const w of works) expect(validateObject(w)).toEqual([]);
    // The ManifestWork wraps exactly the objects direct mode applies (one source).
    const wrapped = works.flatMap((w) => (w.spec as any).workload.manifests);
    expect(wrapped).toEqual(direct);
    expect(works.every((w) => w.metadata.namespace === 'spoke-1')).toBe(true);
  });

  test('reference profile reproduces the seed README settings for each server', () => {
    const v = container(renderObjects(withDefaults({ backend: 'vllm' }), { mode: 'direct' })).args.join(' ');
    expect(v).toContain('--served-model-name mistral');
    expect(v).toContain('--max-model-len 2048 --gpu-memory-utilization 0.85 --dtype half --enforce-eager');
    const t = container(renderObjects(withDefaults({ backend: 'tgi' }), { mode: 'direct' })).args.join(' ');
    expect(t).toContain('--max-total-tokens 2048 --quantize bitsandbytes-nf4');
    const tr = renderObjects(withDefaults({ backend: 'triton' }), { mode: 'direct' });
    const cm = tr.find((o) => o.kind === 'ConfigMap') as any;
    expect(JSON.parse(cm.data['model.json'])).toMatchObject({
      max_model_len: 2048,
      gpu_memory_utilization: 0.85,
      dtype: 'half',
    });
    expect(cm.data['config.pbtxt']).toContain('backend: "vllm"');
    // The vLLM backend exports vllm:* on Triton's metrics port only with REPORT_CUSTOM_METRICS "true".
    expect(cm.data['config.pbtxt']).toMatch(/key: "REPORT_CUSTOM_METRICS"\s+value: \{\s+string_value: "true"/);
    const vol = (tr.find((o) => o.kind === 'Deployment') as any).spec.template.spec.volumes.find(
      (x: any) => x.name === 'model-repository',
    );
    expect(vol.configMap.items.map((i: any) => i.path)).toEqual(['mistral/config.pbtxt', 'mistral/1/model.json']);
  });

  test('memory table: 80 GB runs FP16 with 8192 context; 16 GB quantizes every server', () => {
    const big = container(
      renderObjects(withDefaults({ backend: 'vllm', gpuProfile: 'h100-80gb' }), { mode: 'direct' }),
    ).args.join(' ');
    expect(big).toContain('--max-model-len 8192 --gpu-memory-utilization 0.9');
    expect(big).not.toContain('--quantization');
    expect(big).not.toContain('--enforce-eager');
    const tgiBig = container(
      renderObjects(withDefaults({ backend: 'tgi', gpuProfile: 'h100-80gb' }), { mode: 'direct' }),
    ).args.join(' ');
    expect(tgiBig).not.toContain('--quantize');
    const small = container(
      renderObjects(withDefaults({ backend: 'vllm', gpuProfile: 't4-16gb' }), { mode: 'direct' }),
    ).args.join(' ');
    expect(small).toContain('--max-model-len 1024 --gpu-memory-utilization 0.8');
    expect(small).toContain('--quantization bitsandbytes');
  });

  test('GPU resources: nvidia.com/gpu, MIG slices under the mixed strategy, amd.com/gpu with ROCm images', () => {
    const res = (o: Parameters<typeof withDefaults>[0]) =>
      container(renderObjects(withDefaults(o), { mode: 'direct' }));
    expect(res({ backend: 'vllm' }).resources.limits['nvidia.com/gpu']).toBe('1');
    expect(res({ backend: 'vllm', migStrategy: 'mixed' }).resources.limits['nvidia.com/mig-3g.20gb']).toBe('1');
    const amd = res({ backend: 'vllm', gpuProfile: 'mi300x-192gb' });
    expect(amd.resources.limits['amd.com/gpu']).toBe('1');
    expect(amd.image).toMatch(/rocm/);
    expect(res({ backend: 'tgi', gpuProfile: 'mi250-64gb' }).image).toMatch(/-rocm$/);
  });

  test('least privilege: restricted-v2 by default, privileged SCC only when opted in', () => {
    const def = renderObjects(withDefaults({ backend: 'vllm' }), { mode: 'direct' });
    expect(def.some((o) => (o as any).roleRef?.name === 'system:openshift:scc:privileged')).toBe(false);
    const c = container(def);
    expect(c.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.securityContext.privileged).toBeUndefined();
    expect((def.find((o) => o.kind === 'Deployment') as any).spec.template.spec.automountServiceAccountToken).toBe(
      false,
    );
    const opt = renderObjects(withDefaults({ backend: 'vllm', privilegedScc: true }), { mode: 'direct' });
    expect(opt.filter((o) => (o as any).roleRef?.name === 'system:openshift:scc:privileged')).toHaveLength(1);
  });

  test('probes are sized for model loading: the startup probe covers the whole ready timeout', () => {
    for (const b of BACKENDS) {
      const c = container(renderObjects(withDefaults({ backend: b, readyTimeoutS: 2400 }), { mode: 'direct' }));
      expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBeGreaterThanOrEqual(2400);
      expect(c.readinessProbe.httpGet.path).toBe(SERVERS[b].endpoints.ready);
      expect(c.ports[0]).toEqual({ name: 'http', containerPort: SERVERS[b].container.port, protocol: 'TCP' });
    }
  });

  test('ManifestWork: WellKnownStatus for the Deployment, Route host by JSONPath, model cache orphaned on delete', () => {
    const [, work] = renderObjects(withDefaults({ backend: 'vllm', route: true }), { mode: 'acm', cluster: 'spoke-1' });
    const spec = work.spec as any;
    expect(spec.manifestConfigs).toEqual([
      {
        resourceIdentifier: { group: 'apps', resource: 'deployments', namespace: 'llm-bench', name: 'llmbench-vllm' },
        feedbackRules: [{ type: 'WellKnownStatus' }],
      },
      {
        resourceIdentifier: {
          group: 'route.openshift.io',
          resource: 'routes',
          namespace: 'llm-bench',
          name: 'llmbench-vllm',
        },
        feedbackRules: [{ type: 'JSONPaths', jsonPaths: [{ name: 'host', path: '.status.ingress[0].host' }] }],
      },
    ]);
    expect(spec.deleteOption).toEqual({
      propagationPolicy: 'SelectivelyOrphan',
      selectivelyOrphans: {
        orphaningRules: [
          { group: '', resource: 'persistentvolumeclaims', namespace: 'llm-bench', name: 'llmbench-model-cache-vllm' },
        ],
      },
    });
    const noPvc = renderObjects(withDefaults({ backend: 'vllm', modelCache: 'image', route: false }), {
      mode: 'acm',
      cluster: 'c',
    });
    expect((noPvc[1].spec as any).deleteOption).toEqual({ propagationPolicy: 'Foreground' });
  });

  test("a ManifestWork over the hub's 500 KiB limit is refused at render time (exit 2), not by the hub", () => {
    const o = withDefaults({
      backend: 'vllm',
      engineArgs: Array.from({ length: 6000 }, (_, i) => `--arg-${i}=${'x'.repeat(80)}`),
    });
    expect(() => renderObjects(o, { mode: 'acm', cluster: 'c' })).toThrow(/500 KiB/);
    expect(renderObjects(o, { mode: 'direct' }).length).toBeGreaterThan(0);
  });

  test('fan-out: Placement + ManifestWorkReplicaSet validate against their CRDs', () => {
    const objs = renderFanOut(withDefaults({ backend: 'tgi' }), 'llmbench', { gpu: 'a100' });
    expect(objs.map((o) => o.kind)).toEqual(['Placement', 'ManifestWorkReplicaSet']);
    for (const o of objs) expect(validateObject(o)).toEqual([]);
  });

  test('the validator catches a typo kubernetes-models lets through (imagePullPolisy) and a pruned CRD field', () => {
    const objs = renderObjects(withDefaults({ backend: 'vllm' }), { mode: 'acm', cluster: 'c' });
    const dep = (objs[1].spec as any).workload.manifests.find((o: KObject) => o.kind === 'Deployment');
    dep.spec.template.spec.containers[0].imagePullPolisy = 'Always';
    (objs[1].spec as any).deleteOptions = {};
    const problems = validateObject(objs[1]);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          '/spec/workload/manifests/1/spec/template/spec/containers/0/imagePullPolisy: unknown field',
        ),
        expect.stringContaining('/spec/deleteOptions: unknown field'),
      ]),
    );
  });
});

test('the validator checks SecurityContextConstraints against the SCC CRD (required fields, pruned typos)', () => {
  const scc: KObject = {
    apiVersion: 'security.openshift.io/v1',
    kind: 'SecurityContextConstraints',
    metadata: { name: 'llmbench-test' },
    allowHostDirVolumePlugin: false,
    allowHostIPC: false,
    allowHostNetwork: false,
    allowHostPID: false,
    allowHostPorts: false,
    allowPrivilegedContainer: false,
    readOnlyRootFilesystem: false,
    allowPrivilegeEscalation: false,
    runAsUser: { type: 'MustRunAsRange' },
    seLinuxContext: { type: 'MustRunAs' },
    requiredDropCapabilities: ['ALL'],
    // Required but nullable in the CRD (OpenAPI `nullable`), as in OpenShift's own restricted-v2.
    allowedCapabilities: null,
    defaultAddCapabilities: null,
    priority: null,
    volumes: ['configMap', 'emptyDir', 'persistentVolumeClaim', 'secret'],
  };
  expect(validateObject(scc)).toEqual([]);
  const { allowHostIPC: _, ...missing } = scc as Record<string, unknown>;
  expect(validateObject({ ...missing, alowHostIPC: false })).toEqual(
    expect.arrayContaining([
      expect.stringContaining("must have required property 'allowHostIPC'"),
      expect.stringContaining('/alowHostIPC: unknown field'),
    ]),
  );
});

describe('render CLI', () => {
  test('prints multi-document YAML for each server; --acm --cluster prints ManifestWorks wrapping the same Deployment', async () => {
    for (const b of BACKENDS) {
      const direct = await cli(['render', '--backend', b, '--route']);
      expect(direct.code).toBe(0);
      expect(direct.docs.map((d) => d.kind)).toEqual(
        expect.arrayContaining(['Namespace', 'Deployment', 'Service', 'NetworkPolicy', 'Route']),
      );
      const acm = await cli(['render', '--backend', b, '--acm', '--cluster', 'spoke-1', '--route']);
      expect(acm.code).toBe(0);
      expect(acm.docs.map((d) => d.kind)).toEqual(['ManifestWork', 'ManifestWork']);
      const dep = direct.docs.find((d) => d.kind === 'Deployment');
      expect((acm.docs[1].spec as any).workload.manifests).toContainEqual(dep);
    }
  });

  test('flags: namespace, model, image, --no-route, --engine-arg', async () => {
    const r = await cli([
      ...['render', '--backend', 'vllm', '--namespace', 'bench2', '--model', 'org/m', '--served-name', 'm'],
      ...['--image', 'reg/x:1', '--no-route', '--engine-arg=--seed=1', '--no-prerequisites'],
    ]);
    expect(r.code).toBe(0);
    expect(r.docs.map((d) => d.kind)).toEqual(['PersistentVolumeClaim', 'Deployment', 'Service', 'NetworkPolicy']);
    const c = container(r.docs);
    expect(c.image).toBe('reg/x:1');
    expect(c.args.slice(-1)).toEqual(['--seed=1']);
    expect(r.docs.every((d) => d.metadata.namespace === 'bench2')).toBe(true);
  });

  test('invalid input exits 2 listing every problem: --acm without --cluster, unknown profile, Triton on AMD without an image', async () => {
    const r = await cli(['render', '--backend', 'vllm', '--acm']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--cluster');
    const p = await cli(['render', '--backend', 'vllm', '--gpu-profile', 'b200-nope']);
    expect(p.code).toBe(2);
    expect(p.err).toContain('a100-mig-3g.20gb');
    const t = await cli(['render', '--backend', 'triton', '--gpu-profile', 'mi300x-192gb']);
    expect(t.code).toBe(2);
    expect(t.err).toContain('--image');
    expect(r.out + p.out + t.out).toBe('');
  });

  test('--config supplies cluster, GPU profile, model and per-backend image/args; flags win over it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'llmbench-render-'));
    const cfg = path.join(dir, 'bench.yaml');
    writeFileSync(
      cfg,
      [
        'version: 1',
        'gpu_profile: h100-80gb',
        'model: { name: org/x, served_name: x }',
        'cluster: { namespace: team-a, route: false, privileged_scc: true, mode: acm, managed_cluster: spoke-9 }',
        'backends:',
        '  - { kind: vllm, image: reg/v:1, engine_args: ["--seed=3"] }',
        '',
      ].join('\n'),
    );
    const r = await cli(['render', '--backend', 'vllm', '--config', cfg]);
    expect(r.code).toBe(0);
    expect(r.docs.map((d) => `${d.kind} ${d.metadata.namespace}`)).toEqual([
      'ManifestWork spoke-9',
      'ManifestWork spoke-9',
    ]);
    const inner = r.docs.flatMap((d) => (d.spec as any).workload.manifests as KObject[]);
    expect(inner.some((o) => o.kind === 'Route')).toBe(false);
    expect(inner.some((o) => (o as any).roleRef?.name === 'system:openshift:scc:privileged')).toBe(true);
    const c = container(inner);
    expect(c.image).toBe('reg/v:1');
    expect(c.args.join(' ')).toContain('--model org/x --served-model-name x');
    expect(c.args.join(' ')).toContain('--max-model-len 8192');
    expect(c.args.at(-1)).toBe('--seed=3');
    const flags = await cli([
      'render',
      '--backend',
      'vllm',
      '--config',
      cfg,
      '--namespace',
      'team-b',
      '--route',
      '--cluster',
      'spoke-2',
    ]);
    const inner2 = flags.docs.flatMap((d) => (d.spec as any).workload.manifests as KObject[]);
    expect(flags.docs[0].metadata.namespace).toBe('spoke-2');
    expect(inner2.every((o) => o.kind === 'Namespace' || o.metadata.namespace === 'team-b')).toBe(true);
    expect(inner2.some((o) => o.kind === 'Route')).toBe(true);
  });

  test('--list-gpu-profiles prints every profile with its settings', async () => {
    const r = await cli(['render', '--list-gpu-profiles']);
    expect(r.code).toBe(0);
    for (const p of GPU_PROFILES) expect(r.out).toContain(p.id);
  });
});
