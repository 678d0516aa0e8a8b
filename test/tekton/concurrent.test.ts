/**
 * Runs don't collide: two pull requests' PipelineRuns at once against ONE fake API server (as Triggers, nightly
 * and `tkn` runs are not serialized by PaC's concurrency_limit), then a hard-cancelled run's server collected by
 * the janitor CronJob as shipped (tekton/nightly/janitor.yaml's own command).
 * Substitutions as in harness.test.ts: the server is `llmbench sim` reached through the `endpoint` param, the
 * image is prebuilt, the repository is a local git repository over file://.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { REPO_ROOT } from '../../steps/core/paths.js';
import { main } from '../../steps/cli.js';
import type { KObject } from '../../steps/cluster/objects.js';
import { workloadName } from '../../steps/cluster/render.js';
import { startFakeKube, type FakeKube } from '../fakes/k8s/server.js';
import { PipelineHarness, dumpRun, type PipelineRunRecord } from './harness.js';
import { applyPrerequisites, git, startSim } from './setup.js';

const DIGEST = 'sha256:' + 'cd'.repeat(32);
let root: string;
let src: string;
let kube: FakeKube;
let sim: ChildProcess | undefined;
let simUrl = '';
const log: string[] = [];

async function startVllmSim(): Promise<void> {
  // A 4-bit model on a simulated T4, as harness.test.ts uses (fp16 Mistral-7B does not fit 16 GB).
  const args = ['--backend', 'vllm', '--port', '0', '--time-scale', '4', '--gpu', 't4-16gb'];
  const s = await startSim([...args, '--model', 'mistral-7b-instruct-bnb-nf4']);
  sim = s.proc;
  simUrl = s.url;
}
beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'tekton-concurrent-'));
  src = path.join(root, 'src');
  mkdirSync(src);
  git(src, 'init', '-q', '-b', 'main');
  git(src, 'config', 'uploadpack.allowAnySHA1InWant', 'true');
  writeFileSync(
    path.join(src, 'bench.yaml'),
    yaml.dump({ version: 1, backends: [{ kind: 'vllm', sim: { time_scale: 4 } }], load: { min_samples: 4 } }),
  );
  git(src, 'add', '.');
  git(src, 'commit', '-q', '-m', 'bench config');
  await startVllmSim();
  kube = await startFakeKube({ routeHost: new URL(simUrl).host, imageDigest: DIGEST, stepMs: 5, deleteDelayMs: 20 });
  // The namespace admin's install step (README.md): manifests/prerequisites.yaml.
  for (const r of await applyPrerequisites(kube.url)) expect(r.ok).toBe(true);
}, 60_000);

afterAll(async () => {
  if (process.env.LLMBENCH_HARNESS_LOG) console.log(log.join('\n'));
  sim?.kill('SIGTERM');
  await kube?.close();
  rmSync(root, { recursive: true, force: true });
});

function pipelineRun(name: string): Promise<PipelineRunRecord> {
  const kc = path.join(root, `kubeconfig-${name}`);
  mkdirSync(kc);
  writeFileSync(path.join(kc, 'kubeconfig'), kube.kubeconfig());
  return new PipelineHarness({
    runName: name,
    params: {
      'repo-url': `file://${src}`,
      revision: git(src, 'rev-parse', 'HEAD'),
      backend: 'vllm',
      'server-image': `quay.io/llmbench/vllm@${DIGEST}`,
      endpoint: simUrl,
      config: 'bench.yaml',
      concurrency: '2',
      requests: '4',
      trials: '2',
      warmup: '1',
      'input-tokens': '16',
      'output-tokens': '4',
      'ready-timeout': '60',
      'baseline-ref': '',
      'fail-on-regression': 'false',
    },
    workspaces: { work: path.join(root, `work-${name}`), kubeconfig: kc },
    substitutions: {
      'build/build-and-push': { reason: 'buildah image: own script on the host, buildah stubbed to fail' },
    },
    extraEnv: { LLMBENCH_KUBE_RETRY_MS: '20' },
    onTaskRun: (t) => log.push(`${name} ${t.pipelineTask}: ${t.status} (${t.reason}) ${t.durationMs} ms`),
  })
    .run()
    .then((r) => {
      log.push(dumpRun(r));
      return r;
    });
}

describe('runs do not collide', () => {
  it('two PRs at once against one API server: each run applies, waits for and tears down only its own server', async () => {
    const names = ['llm-bench-pr-1-x7k2p', 'llm-bench-pr-2-q9m4z'];
    const runs = await Promise.all(names.map(pipelineRun));
    for (const run of runs) {
      const t = Object.fromEntries(run.taskRuns.map((x) => [x.pipelineTask, x.status]));
      expect(t).toMatchObject({ apply: 'Succeeded', wait: 'Succeeded', sweep: 'Succeeded', teardown: 'Succeeded' });
    }
    const writes = kube.requests.filter((r) => r.method === 'PATCH' || r.method === 'DELETE');
    for (const name of names) {
      const own = workloadName('vllm', name);
      // Both runs' Deployments existed side by side, each deleted by its own teardown only.
      expect(writes.filter((r) => r.method === 'PATCH' && r.path.endsWith(`/deployments/${own}`)).length).toBe(1);
      expect(writes.filter((r) => r.method === 'DELETE' && r.path.endsWith(`/deployments/${own}`)).length).toBe(1);
    }
    // The old shared name was never touched.
    expect(writes.filter((r) => r.path.endsWith('/deployments/llmbench-vllm'))).toEqual([]);
    expect(kube.rejected).toEqual([]);
  }, 600_000);

  it('a hard-cancelled A/B run (finally never ran) leaves both servers; the janitor CronJob, as shipped, collects both', async () => {
    const cancelled = 'llm-bench-pr-3-c4nc3';
    const running = 'llm-bench-pr-4-runnn';
    const dir = path.join(root, 'cancelled');
    mkdirSync(dir);
    const kc = path.join(dir, 'kubeconfig');
    writeFileSync(kc, kube.kubeconfig());
    // The cancelled run's apply tasks ran (same flags as tekton/tasks/apply.yaml passes), then the run was cancelled.
    // Each is an A/B run: the candidate, and the baseline arm (arm "baseline": run id <run>-baseline, owner <run>).
    for (const [run, runId] of [cancelled, running].flatMap((r) => [
      [r, r],
      [r, `${r}-baseline`],
    ])) {
      const code = await main({
        argv: [
          'apply',
          '--backend',
          'tgi',
          '--kubeconfig',
          kc,
          '--workdir',
          path.join(dir, runId),
          '--no-prerequisites',
        ].concat(['--run-id', runId, '--pipeline-run', run, '--client-namespace', 'llm-bench-ci']),
        stdout: () => {},
        stderr: () => {},
        env: { LLMBENCH_KUBE_RETRY_MS: '5' },
      });
      expect(code).toBe(0);
    }
    kube.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'llm-bench-ci' } });
    const hourAgo = new Date(Date.now() - 3600_000).toISOString();
    kube.put({
      apiVersion: 'tekton.dev/v1',
      kind: 'PipelineRun',
      metadata: { name: cancelled, namespace: 'llm-bench-ci' },
      spec: { status: 'Cancelled' },
      status: { completionTime: hourAgo, conditions: [{ type: 'Succeeded', status: 'False', reason: 'Cancelled' }] },
    });
    kube.put({
      apiVersion: 'tekton.dev/v1',
      kind: 'PipelineRun',
      metadata: { name: running, namespace: 'llm-bench-ci' },
    });
    // The janitor's own command line, from the CronJob that ships.
    const cron = (
      yaml.loadAll(readFileSync(path.join(REPO_ROOT, 'tekton/nightly/janitor.yaml'), 'utf8')) as KObject[]
    ).find((d) => d.kind === 'CronJob')!;
    const args = (cron.spec as any).jobTemplate.spec.template.spec.containers[0].args as string[];
    expect(args[0]).toBe('gc');
    const code = await main({
      argv: [...args, '--kubeconfig', kc],
      stdout: () => {},
      stderr: () => {},
      env: { LLMBENCH_KUBE_RETRY_MS: '5' },
    });
    expect(code).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(kube.get('Deployment', 'llm-bench', workloadName('tgi', cancelled))).toBeUndefined();
    expect(kube.get('Service', 'llm-bench', workloadName('tgi', cancelled))).toBeUndefined();
    expect(kube.get('Deployment', 'llm-bench', workloadName('tgi', running))).toBeDefined();
    // Both arms of an A/B run carry the owner's label: the janitor collects the baseline arm with the candidate.
    expect(kube.get('Deployment', 'llm-bench', workloadName('tgi', `${cancelled}-baseline`))).toBeUndefined();
    expect(kube.get('Service', 'llm-bench', workloadName('tgi', `${cancelled}-baseline`))).toBeUndefined();
    expect(kube.get('Deployment', 'llm-bench', workloadName('tgi', `${running}-baseline`))).toBeDefined();
    expect(kube.get('PersistentVolumeClaim', 'llm-bench', 'llmbench-model-cache-tgi')).toBeDefined();
  }, 120_000);
});
