/**
 * apply → wait → teardown against the fake Kubernetes API server (both modes), with a simulated server behind
 * the endpoint; and every failure wait must diagnose, each with its code, hint and exit code 3.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { main } from '../../steps/cli.js';
import { validate } from '../../steps/core/schemas.js';
import { startSimulator, type RunningSim } from '../../steps/simulator/server.js';
import { startFakeKube, type FakeKube, type FakeKubeOptions, type Scenario } from '../fakes/k8s/server.js';
import { SERVERS, SERVER_NAMES } from '../../steps/servers/index.js';

let fake: FakeKube | undefined;
let sim: RunningSim | undefined;
afterEach(async () => {
  await fake?.close();
  await sim?.close();
  fake = undefined;
  sim = undefined;
});

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main({
    argv,
    stdout: (s) => (out += s),
    stderr: (s) => (err += s),
    env: { LLMBENCH_KUBE_RETRY_MS: '5', HOME: os.tmpdir() },
  });
  return { code, out, err };
}

async function env(o: FakeKubeOptions = {}) {
  fake = await startFakeKube(o);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'llmbench-life-'));
  writeFileSync(path.join(dir, 'kubeconfig'), fake.kubeconfig());
  const common = ['--kubeconfig', path.join(dir, 'kubeconfig'), '--workdir', dir];
  const report = (b: string) => JSON.parse(readFileSync(path.join(dir, 'deploy', `${b}.json`), 'utf8'));
  return { dir, common, report };
}
/** Polls a condition every 5 ms, for at most 10 s (every loop in tests is bounded). */
async function until(what: string, cond: () => boolean): Promise<void> {
  for (const t0 = Date.now(); !cond(); await sleep(5))
    if (Date.now() - t0 > 10_000) throw new Error(`timed out waiting for ${what}`);
}
const FAST = ['--poll-interval', '0.02', '--request-timeout', '2'];

describe('direct mode', () => {
  test('apply → wait → teardown: ready report with endpoint, digest, node, GPU, engine args, timeline; teardown twice is safe', async () => {
    sim = await startSimulator({ backend: 'vllm', model: 'mistral' });
    const { dir, common, report } = await env();
    expect((await cli(['apply', '--backend', 'vllm', ...common])).code).toBe(0);
    const w = await cli(['wait', '--backend', 'vllm', ...common, ...FAST, '--timeout', '20', '--endpoint', sim.url]);
    expect(w.err).not.toMatch(/error \[/);
    expect(w.code).toBe(0);
    expect(w.out.trim()).toBe(sim.url);
    const r = report('vllm');
    expect(validate('deploy-report', r)).toEqual([]);
    expect(r).toMatchObject({
      backend: 'vllm',
      mode: 'direct',
      ready: true,
      endpoint: sim.url,
      model: 'mistral',
      namespace: 'llm-bench',
      image: 'docker.io/vllm/vllm-openai:v0.10.2',
      image_digest: 'sha256:' + 'ab'.repeat(32),
      node: 'gpu-node-1',
      gpu: {
        product: 'NVIDIA-A100-SXM4-40GB-MIG-3g.20gb',
        count: 1,
        memory_mib: 20096,
        mig: '3g.20gb',
        profile: 'a100-mig-3g.20gb',
      },
      diagnosis: null,
    });
    expect(r.engine_args.join(' ')).toContain('--max-model-len 2048');
    const events = r.timeline.map((t: { event: string }) => t.event);
    for (const e of [
      'wait-started',
      'pod-scheduled',
      'image-pulled',
      'container-started',
      'pod-ready',
      'rollout-complete',
      'health-ok',
      'first-token',
      'ready',
    ])
      expect(events).toContain(e);
    expect(r.timings_s.first_token).toBeGreaterThanOrEqual(r.timings_s.rollout_complete);
    // Regression: apply's inventory once sat in deploy/, where report reads every *.json as a deploy report.
    for (const f of readdirSync(path.join(dir, 'deploy')))
      expect({
        f,
        problems: validate('deploy-report', JSON.parse(readFileSync(path.join(dir, 'deploy', f), 'utf8'))),
      }).toEqual({ f, problems: [] });

    // Finalizers that take a while: teardown must still be waiting when the objects go (it waits on a watch).
    fake!.opts.deleteDelayMs = 800;
    const t1 = await cli(['teardown', '--backend', 'vllm', ...common, '--poll-interval', '0.02']);
    expect(t1.code).toBe(0);
    fake!.opts.deleteDelayMs = 30;
    expect(fake!.get('Deployment', 'llm-bench', 'llmbench-vllm')).toBeUndefined();
    expect(fake!.all('Pod')).toEqual([]);
    // Kept: the model cache and the shared prerequisites.
    expect(fake!.get('PersistentVolumeClaim', 'llm-bench', 'llmbench-model-cache-vllm')).toBeDefined();
    expect(fake!.get('Namespace', undefined, 'llm-bench')).toBeDefined();
    expect(existsSync(path.join(dir, 'cluster', 'vllm.applied.json'))).toBe(false);
    const t2 = await cli(['teardown', '--backend', 'vllm', ...common, '--poll-interval', '0.02']);
    expect(t2.code).toBe(0);
    const t3 = await cli([
      'teardown',
      '--backend',
      'vllm',
      ...common,
      '--poll-interval',
      '0.02',
      '--all',
      '--purge-cache',
    ]);
    expect(t3.code).toBe(0);
    expect(fake!.all().filter((o) => o.kind !== 'Node' && o.kind !== 'Event')).toEqual([]);
    expect(fake!.rejected).toEqual([]);
    // Teardown waits on a watch (woken by DELETED), not only by re-reading.
    expect(
      fake!.requests.some((q) => q.query.watch === 'true' && q.query.fieldSelector?.startsWith('metadata.name=')),
    ).toBe(true);
  });

  test.each<[Scenario, string, RegExp, string[]]>([
    ['crashloop-scc', 'crashloop-scc', /restricted-v2.*random non-root UID/s, []],
    ['scc-forbidden', 'scc-denied', /--privileged-scc/, []],
    ['oomkilled', 'oom-killed', /lower max_model_len.*quantize/s, []],
    ['crashloop', 'crashloop', /exits on start/, []],
    ['pending-gpu', 'gpu-unschedulable', /free GPU.*MIG strategy/s, ['--pending-timeout', '0.15']],
    ['image-pull', 'image-pull', /cannot be pulled/, []],
    ['progress-deadline', 'progress-deadline', /progressDeadlineSeconds/, []],
    ['slow-download', 'slow-model-download', /still downloading.*--model-cache image/s, ['--timeout', '1.5']],
  ])('%s → diagnosis %s, its hint, exit 3 and a not-ready report', async (scenario, code, hint, extra) => {
    const { common, report } = await env({ scenario });
    expect((await cli(['apply', '--backend', 'vllm', ...common])).code).toBe(0);
    const w = await cli([
      'wait',
      '--backend',
      'vllm',
      ...common,
      ...FAST,
      '--timeout',
      '10',
      '--endpoint',
      'http://127.0.0.1:9',
      ...extra,
    ]);
    expect(w.code).toBe(3);
    expect(w.err).toContain(`error [${code}]`);
    expect(w.err).toMatch(hint);
    const r = report('vllm');
    expect(validate('deploy-report', r)).toEqual([]);
    expect(r.ready).toBe(false);
    expect(r.diagnosis.code).toBe(code);
    expect(r.timeline.at(-1).event).toBe('failed');
  });

  test('the OOMKilled diagnosis quotes the last log lines; slow download quotes the progress line', async () => {
    const { common, report } = await env({ scenario: 'slow-download' });
    await cli(['apply', '--backend', 'tgi', ...common]);
    await cli(['wait', '--backend', 'tgi', ...common, ...FAST, '--timeout', '1.5']);
    expect(report('tgi').diagnosis.message).toMatch(/safetensors: +23%/);
    await fake!.close();
    const oom = await env({ scenario: 'oomkilled' });
    await cli(['apply', '--backend', 'vllm', ...oom.common]);
    await cli(['wait', '--backend', 'vllm', ...oom.common, ...FAST, '--timeout', '5']);
    expect(oom.report('vllm').diagnosis.message).toMatch(/OOMKilled, exit 137.*KV cache for max_model_len 8192/s);
  });

  // Regression (CI, 2026-12-07): the Route was read before the router admitted it, so wait fell back to the Service
  // URL. The real API server fills spec.host on create; the router's status comes later (here: after 60 s).
  test('Route host generated on create, readable before the router admits it', async () => {
    const { common } = await env({ stepMs: 60_000 });
    expect((await cli(['apply', '--backend', 'vllm', '--route', ...common])).code).toBe(0);
    const route = fake!.get('Route', 'llm-bench', 'llmbench-vllm') as any;
    expect(route.spec.host).toBe('llmbench-vllm-llm-bench.apps.fake.example.com');
    expect(route.metadata.annotations['openshift.io/host.generated']).toBe('true');
    expect(route.status).toBeUndefined();
    // A re-apply without spec.host keeps it (the applier does not own the generated host).
    expect((await cli(['apply', '--backend', 'vllm', '--route', ...common])).code).toBe(0);
    expect((fake!.get('Route', 'llm-bench', 'llmbench-vllm') as any).spec.host).toBe(route.spec.host);
  });

  test("pods Ready but the endpoint never answers: health-failed after the deadline (the seed's 503s)", async () => {
    const { common, report } = await env({ scenario: 'ready' });
    await cli(['apply', '--backend', 'vllm', '--route', ...common]);
    const w = await cli([
      'wait',
      '--backend',
      'vllm',
      '--route',
      ...common,
      ...FAST,
      '--timeout',
      '2',
      '--request-timeout',
      '0.2',
      '--progress-interval',
      '0.5',
    ]);
    // A long wait says what it still waits on and how long is left (here: the health endpoint).
    expect(w.err).toMatch(/progress step=wait backend=vllm waiting_on=\S+ elapsed_s=\d+ remaining_s=\d+/);
    expect(w.code).toBe(3);
    expect(w.err).toContain('error [health-failed]');
    // Asked for a Route (off by default) and without --endpoint: the Route host, over TLS as the edge Route serves it.
    expect(report('vllm').endpoint).toBe('https://llmbench-vllm-llm-bench.apps.fake.example.com');
  });

  test.each(SERVER_NAMES)(
    '%s: a slow-starting server (503 on health) is waited for, then one token flows',
    async (backend) => {
      const { common, report } = await env();
      expect((await cli(['apply', '--backend', backend, ...common])).code).toBe(0);
      // The server starts (slowly) once the rollout is done, so wait's first health checks meet its 503s.
      await until(
        'rollout',
        () =>
          (fake!.get('Deployment', 'llm-bench', `llmbench-${backend}`)!.status as { readyReplicas?: number })
            .readyReplicas === 1,
      );
      sim = await startSimulator({ backend, model: 'mistral', faults: { slow_start_s: 1 } });
      const w = await cli(['wait', '--backend', backend, ...common, ...FAST, '--timeout', '20', '--endpoint', sim.url]);
      expect(w.err).not.toMatch(/error \[/);
      expect(w.code).toBe(0);
      const r = report(backend);
      const events = r.timeline.map((t: { event: string }) => t.event);
      expect(events.indexOf('health-waiting')).toBeGreaterThan(-1);
      expect(events.indexOf('health-ok')).toBeGreaterThan(events.indexOf('health-waiting'));
      expect(events).toContain('first-token');
      // The server's readiness path, then its model-level one where it has one (Triton: /v2/models/mistral/ready).
      const { ready, modelReady } = SERVERS[backend].endpoints;
      expect(
        r.timeline.filter((t: { event: string }) => t.event === 'health-ok').map((t: { detail: string }) => t.detail),
      ).toEqual([ready, ...(modelReady ? [modelReady('mistral')] : [])]);
      expect(r.server_version).toBe(SERVERS[backend].version);
      expect(typeof r.server_version).toBe('string');
    },
  );

  test('status from the previous generation is not ready (re-apply while the controller has not caught up)', async () => {
    sim = await startSimulator({ backend: 'vllm', model: 'mistral' });
    const { common } = await env();
    await cli(['apply', '--backend', 'vllm', ...common]);
    expect(
      (await cli(['wait', '--backend', 'vllm', ...common, ...FAST, '--timeout', '20', '--endpoint', sim.url])).code,
    ).toBe(0);
    fake!.opts.scenario = 'controller-down';
    await cli(['apply', '--backend', 'vllm', ...common, '--engine-arg=--seed=2']);
    const dep = fake!.get('Deployment', 'llm-bench', 'llmbench-vllm')!;
    expect(dep.metadata.generation).toBe(2);
    expect(dep.status as { readyReplicas: number; observedGeneration: number }).toMatchObject({
      readyReplicas: 1,
      observedGeneration: 1,
    });
    const w = await cli(['wait', '--backend', 'vllm', ...common, ...FAST, '--timeout', '0.4', '--endpoint', sim.url]);
    expect(w.code).toBe(3);
    expect(w.err).toContain('error [not-ready-timeout]');
  });

  test('nothing applied: not-applied, exit 3', async () => {
    const { common } = await env();
    const w = await cli(['wait', '--backend', 'triton', ...common, ...FAST, '--timeout', '1']);
    expect(w.code).toBe(3);
    expect(w.err).toContain('error [not-applied]');
    expect(w.err).toMatch(/run llmbench apply first/);
  });
});

describe('ACM mode', () => {
  const acm = ['--acm', '--cluster', 'spoke-1'];

  test('apply → wait (Applied + Available at the current generation + ReadyReplicas feedback) → teardown', async () => {
    sim = await startSimulator({ backend: 'vllm', model: 'mistral' });
    const { common, report } = await env({
      routeHost: 'vllm.apps.spoke-1.example.com',
      workScenario: 'available-not-ready',
    });
    expect((await cli(['apply', '--backend', 'vllm', ...acm, ...common])).code).toBe(0);
    const waiting = cli([
      'wait',
      '--backend',
      'vllm',
      ...acm,
      ...common,
      ...FAST,
      '--timeout',
      '20',
      '--endpoint',
      sim.url,
    ]);
    // Hold the work at Applied + Available with ReadyReplicas=0 until wait has read it twice, then report ready.
    const readsOfWork = () =>
      fake!.requests.filter((q) => q.method === 'GET' && q.path.endsWith('/manifestworks/llmbench-vllm')).length;
    await until('ReadyReplicas=0 feedback', () =>
      ((fake!.get('ManifestWork', 'spoke-1', 'llmbench-vllm')?.status as any)?.resourceStatus?.manifests ?? []).some(
        (m: any) => m.statusFeedback,
      ),
    );
    const seen = readsOfWork();
    await until('two reads by wait', () => readsOfWork() >= seen + 2);
    fake!.setWorkStatus('spoke-1', 'llmbench-vllm', 1);
    const w = await waiting;
    expect(w.err).not.toMatch(/error \[/);
    expect(w.code).toBe(0);
    const r = report('vllm');
    expect(validate('deploy-report', r)).toEqual([]);
    expect(r).toMatchObject({
      mode: 'acm',
      cluster: 'spoke-1',
      ready: true,
      image: 'docker.io/vllm/vllm-openai:v0.10.2',
    });
    const events = r.timeline.map((t: { event: string }) => t.event);
    for (const e of ['work-applied', 'work-available', 'feedback', 'rollout-complete', 'health-ok', 'first-token'])
      expect(events).toContain(e);
    // Available was reported before ReadyReplicas reached 1 — and wait did not stop there.
    expect(r.timeline.find((t: { detail?: string }) => t.detail === 'ReadyReplicas=0 Replicas=1')).toBeDefined();
    expect(r.timings_s.rollout_complete).toBeGreaterThan(r.timings_s.work_available);

    expect((await cli(['teardown', '--backend', 'vllm', ...acm, ...common, '--poll-interval', '0.02'])).code).toBe(0);
    expect(fake!.all('ManifestWork').map((x) => x.metadata.name)).toEqual(['llmbench-prerequisites']);
    expect(
      (await cli(['teardown', '--backend', 'vllm', ...acm, ...common, '--poll-interval', '0.02', '--all'])).code,
    ).toBe(0);
    expect(fake!.all('ManifestWork')).toEqual([]);
    expect(fake!.rejected).toEqual([]);
  });

  test("fan-out: Placement + ManifestWorkReplicaSet on the hub; each selected cluster's ManifestWork is waited for by name; teardown removes the set", async () => {
    sim = await startSimulator({ backend: 'tgi', model: 'mistral' });
    const { common } = await env({ placementClusters: ['spoke-1', 'spoke-2'] });
    const fan = ['--acm', '--fanout', '--cluster-selector', 'llmbench.dev/gpu=a100', '--hub-namespace', 'bench-hub'];
    // The hub namespace (bound to a ManagedClusterSet) is the hub admin's, not ours.
    fake!.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench-hub' } });
    const a = await cli(['apply', '--backend', 'tgi', ...fan, ...common]);
    expect(a.code).toBe(0);
    expect(
      fake!
        .all()
        .filter((o) => ['Placement', 'ManifestWorkReplicaSet'].includes(o.kind))
        .map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)
        .sort(),
    ).toEqual(['ManifestWorkReplicaSet bench-hub/llmbench-tgi', 'Placement bench-hub/llmbench-tgi-placement']);
    expect(fake!.rejected).toEqual([]);
    for (const cluster of ['spoke-1', 'spoke-2']) {
      const w = await cli([
        'wait',
        '--backend',
        'tgi',
        '--acm',
        '--cluster',
        cluster,
        ...common,
        ...FAST,
        '--timeout',
        '20',
        '--endpoint',
        sim.url,
      ]);
      expect(w.err).not.toMatch(/error \[/);
      expect(w.code).toBe(0);
    }
    expect((await cli(['teardown', '--backend', 'tgi', ...fan, ...common, '--poll-interval', '0.02'])).code).toBe(0);
    expect(fake!.all('ManifestWorkReplicaSet')).toEqual([]);
    expect(fake!.all('Placement')).toEqual([]);
    expect(fake!.all('ManifestWork')).toEqual([]);
  });

  test('--fanout needs --acm and a cluster selector; wait does not take it (wait per cluster)', async () => {
    const { common } = await env();
    const r = await cli(['render', '--backend', 'vllm', '--fanout']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--cluster-selector');
    expect(r.err).toContain('--acm');
    expect((await cli(['wait', '--backend', 'vllm', '--acm', '--fanout', ...common])).code).toBe(2);
  });

  test('conditions from the previous generation are not ready: the agent must report the current one', async () => {
    sim = await startSimulator({ backend: 'vllm', model: 'mistral' });
    const { common } = await env();
    await cli(['apply', '--backend', 'vllm', ...acm, ...common]);
    expect(
      (await cli(['wait', '--backend', 'vllm', ...acm, ...common, ...FAST, '--timeout', '20', '--endpoint', sim.url]))
        .code,
    ).toBe(0);
    fake!.opts.workScenario = 'none';
    await cli(['apply', '--backend', 'vllm', ...acm, ...common, '--engine-arg=--seed=2']);
    const w = await cli([
      'wait',
      '--backend',
      'vllm',
      ...acm,
      ...common,
      ...FAST,
      '--timeout',
      '0.4',
      '--endpoint',
      sim.url,
    ]);
    expect(w.code).toBe(3);
    expect(w.err).toContain('error [acm-not-applied]');
    expect(w.err).toMatch(/generation 2/);
  });

  test('Available alone is not ready: ReadyReplicas stays 0 → acm-not-ready, exit 3', async () => {
    const { common, report } = await env({ workScenario: 'available-not-ready' });
    await cli(['apply', '--backend', 'tgi', ...acm, ...common]);
    const w = await cli([
      'wait',
      '--backend',
      'tgi',
      ...acm,
      ...common,
      ...FAST,
      '--timeout',
      '1.5',
      '--endpoint',
      'http://127.0.0.1:9',
    ]);
    expect(w.code).toBe(3);
    expect(w.err).toContain('error [acm-not-ready]');
    expect(w.err).toMatch(/Available only means the objects exist/);
    expect(report('tgi').timeline.map((t: { event: string }) => t.event)).toContain('work-available');
  });

  test('a manifest the agent could not apply fails fast: acm-apply-failed, exit 3', async () => {
    const { common } = await env({ workScenario: 'applied-false' });
    await cli(['apply', '--backend', 'vllm', ...acm, ...common]);
    const t0 = Date.now();
    const w = await cli(['wait', '--backend', 'vllm', ...acm, ...common, ...FAST, '--timeout', '30']);
    expect(w.code).toBe(3);
    expect(w.err).toContain('error [acm-apply-failed]');
    expect(w.err).toMatch(/exceeded quota/);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  test('no ManifestWork at all: waited for briefly (a fan-out controller creates it late), then not-applied, exit 3', async () => {
    const { common, report } = await env();
    const w = await cli(['wait', '--backend', 'vllm', ...acm, ...common, ...FAST, '--timeout', '0.3']);
    expect(w.code).toBe(3);
    expect(w.err).toContain('error [not-applied]');
    expect(report('vllm').timeline.map((t: { event: string }) => t.event)).toEqual([
      'wait-started',
      'work-missing',
      'failed',
    ]);
  });

  test('the work agent never reports: acm-not-applied at the deadline', async () => {
    const { common } = await env({ workScenario: 'none' });
    await cli(['apply', '--backend', 'vllm', ...acm, ...common]);
    const w = await cli(['wait', '--backend', 'vllm', ...acm, ...common, ...FAST, '--timeout', '0.3']);
    expect(w.code).toBe(3);
    expect(w.err).toContain('error [acm-not-applied]');
  });
});
