import { afterEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../cli.js';
import { startFakeKube, type FakeKube } from '../../test/fakes/k8s/server.js';
import { workloadName } from '../cluster/render.js';

let fake: FakeKube | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function cli(argv: string[]) {
  let err = '';
  const code = await main({
    argv,
    stdout: () => {},
    stderr: (s) => (err += s),
    env: { LLMBENCH_KUBE_RETRY_MS: '5' },
  });
  return { code, err };
}

/** A fake cluster with the PipelineRuns' namespace, a work dir and a kubeconfig for it. */
async function startCluster(): Promise<{ kube: FakeKube; dir: string; kc: string }> {
  const kube = await startFakeKube({ deleteDelayMs: 10 });
  fake = kube;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'llmbench-gc-'));
  const kc = path.join(dir, 'kubeconfig');
  writeFileSync(kc, kube.kubeconfig());
  kube.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'llm-bench-ci' } });
  return { kube, dir, kc };
}

const pipelineRun = (name: string, completionTime?: string) => ({
  apiVersion: 'tekton.dev/v1',
  kind: 'PipelineRun',
  metadata: { name, namespace: 'llm-bench-ci' },
  spec: { pipelineRef: { name: 'llm-bench' } },
  ...(completionTime ? { status: { completionTime } } : {}),
});

describe('llmbench gc (the janitor)', () => {
  test('two runs in one namespace: the hard-cancelled run’s server is collected, the running one and the model cache stay', async () => {
    const { kube, dir, kc } = await startCluster();
    for (const run of ['pr-1-aaaaa', 'pr-2-bbbbb', 'pr-3-ccccc']) {
      const r = await cli([
        'apply',
        '--backend',
        'tgi',
        '--kubeconfig',
        kc,
        '--workdir',
        path.join(dir, run),
        '--run-id',
        run,
        '--pipeline-run',
        run,
      ]);
      expect(r.err).not.toMatch(/"level":"error"/);
      expect(r.code).toBe(0);
    }
    // pr-1 runs; pr-2 was cancelled hard an hour ago (finally never ran); pr-3's PipelineRun was deleted.
    kube.put(pipelineRun('pr-1-aaaaa'));
    kube.put(pipelineRun('pr-2-bbbbb', new Date(Date.now() - 3600_000).toISOString()));
    const dry = await cli(['gc', '--kubeconfig', kc, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(kube.get('Deployment', 'llm-bench', workloadName('tgi', 'pr-3-ccccc'))).toBeDefined();
    const r = await cli(['gc', '--kubeconfig', kc]);
    expect(r.code).toBe(0);
    await new Promise((res) => setTimeout(res, 100));
    const left = kube
      .all()
      .filter(
        (o) => o.metadata.namespace === 'llm-bench' && ['Deployment', 'Service', 'NetworkPolicy'].includes(o.kind),
      )
      .map((o) => o.metadata.name);
    expect(new Set(left)).toEqual(new Set([workloadName('tgi', 'pr-1-aaaaa')]));
    expect(kube.get('PersistentVolumeClaim', 'llm-bench', 'llmbench-model-cache-tgi')).toBeDefined();
    expect(r.err).toMatch(/gc-delete pipelinerun=llm-bench-ci\/pr-2-bbbbb state=finished object=Deployment/);
    expect(r.err).toMatch(/gc-delete pipelinerun=llm-bench-ci\/pr-3-ccccc state=gone object=Deployment/);
  });

  test('a run that finished within the grace period keeps its server (its own teardown goes first)', async () => {
    const { kube, dir, kc } = await startCluster();
    await cli([
      'apply',
      '--backend',
      'vllm',
      '--kubeconfig',
      kc,
      '--workdir',
      dir,
      '--pipeline-run',
      'pr-9',
      '--run-id',
      'pr-9',
    ]);
    kube.put(pipelineRun('pr-9', new Date().toISOString()));
    expect((await cli(['gc', '--kubeconfig', kc, '--grace', '600'])).code).toBe(0);
    expect(kube.get('Deployment', 'llm-bench', workloadName('vllm', 'pr-9'))).toBeDefined();
    expect((await cli(['gc', '--kubeconfig', kc, '--grace', '-1'])).code).toBe(2);
  });
});
