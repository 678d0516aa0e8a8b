/**
 * Every registered server through the same llm-bench Pipeline on the harness (the path harness.test.ts proves for
 * vLLM in detail): source → image → apply → wait → sweep → analyze → plot → report → teardown, each step its real
 * `llmbench` command, against `llmbench sim --backend <server>` and the fake Kubernetes API server. A server added
 * to the registry (steps/servers/) is run here without editing this file; SGLang never ran through Tekton before.
 *
 * Substitutions as in harness.test.ts: the server is the simulator on 127.0.0.1 reached through the `endpoint` param
 * (as a port-forward would), the image is a prebuilt digest (build skipped), the repository is local over file://.
 * Kept cheap: one concurrency level, four requests, two trials, a few output tokens; no GitHub (nightly-like report).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { engineArgs, withDefaults, workloadName } from '../../steps/cluster/render.js';
import { gpuProfile } from '../../steps/core/gpu-profiles.js';
import type { DeployReport } from '../../steps/core/types/deploy-report.js';
import { SERVERS, SERVER_NAMES, type ServerName } from '../../steps/servers/index.js';
import { startFakeKube, type FakeKube } from '../fakes/k8s/server.js';
import { PipelineHarness, dumpRun, type PipelineRunRecord } from './harness.js';
import { applyPrerequisites, benchRepo, git, startSim, stopSim, type Sim } from './setup.js';

const DIGEST = 'sha256:' + 'cd'.repeat(32);
let root: string;
let src: string;
let kube: FakeKube;
const sims = new Map<ServerName, Sim>();

/** A simulated T4 (4-bit weights) at four times real speed: slow enough tokens for the sweep's self-check. */
const simArgs = (name: ServerName) => [
  ...['--backend', name, '--port', '0', '--time-scale', '4'],
  ...['--gpu', 't4-16gb', '--model', 'mistral-7b-instruct-bnb-nf4'],
];

beforeAll(async () => {
  // One bench config naming every server; the load plan is the config's (the runs pass no load params).
  const config = {
    version: 1,
    backends: SERVER_NAMES.map((kind) => ({ kind, sim: { time_scale: 4 } })),
    load: { concurrency: [2], requests: 4, trials: 2, warmup: 1, min_samples: 4 },
    workload: { input_tokens: 16, output_tokens: 6 },
  };
  ({ root, src } = benchRepo('tekton-servers-', config));
  const started = await Promise.all(SERVER_NAMES.map((n) => startSim(simArgs(n))));
  SERVER_NAMES.forEach((n, i) => sims.set(n, started[i]));
  kube = await startFakeKube({ imageDigest: DIGEST, stepMs: 5, deleteDelayMs: 20 });
  for (const r of await applyPrerequisites(kube.url)) expect(r.ok).toBe(true);
}, 60_000);

afterAll(async () => {
  await Promise.all([...sims.values()].map((s) => stopSim(s.proc)));
  await kube?.close();
  rmSync(root, { recursive: true, force: true });
});

async function runPipeline(name: ServerName): Promise<PipelineRunRecord> {
  const kc = path.join(root, `kubeconfig-${name}`);
  mkdirSync(kc);
  writeFileSync(path.join(kc, 'kubeconfig'), kube.kubeconfig());
  return new PipelineHarness({
    runName: `llm-bench-${name}-x1`,
    params: {
      'repo-url': `file://${src}`,
      revision: git(src, 'rev-parse', 'HEAD'),
      backend: name,
      'server-image': `quay.io/llmbench/${name}@${DIGEST}`,
      endpoint: sims.get(name)!.url,
      config: 'bench.yaml',
      'ready-timeout': '60',
      'baseline-ref': '',
    },
    workspaces: { work: path.join(root, `work-${name}`), kubeconfig: kc },
    substitutions: {
      'build/build-and-push': { reason: 'buildah image: own script on the host, buildah stubbed to fail' },
    },
    extraEnv: { LLMBENCH_KUBE_RETRY_MS: '20' },
  }).run();
}

const ndjson = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('the llm-bench Pipeline on the harness, once per registered server', () => {
  // The runs are independent (own simulator, own names in the one fake cluster): run side by side, as four
  // PipelineRuns would, so the file costs the steps' CPU time, not four runs' waits end to end.
  let runs: Promise<Map<ServerName, PipelineRunRecord>>;
  beforeAll(() => {
    runs = Promise.all(SERVER_NAMES.map((n) => runPipeline(n))).then(
      (r) => new Map(SERVER_NAMES.map((n, i) => [n, r[i]])),
    );
    runs.catch(() => {}); // reported by each test
  });

  test.each(SERVER_NAMES)(
    '%s: deployed, waited for, swept and reported through the same tasks',
    async (name) => {
      const run = (await runs).get(name)!;
      const dump = dumpRun(run);
      const statuses = Object.fromEntries(run.taskRuns.map((t) => [t.pipelineTask, t.status]));
      expect([dump, statuses]).toEqual([
        dump,
        {
          source: 'Succeeded',
          build: 'Skipped', // a prebuilt server-image: skipped by its when expression
          image: 'Succeeded',
          apply: 'Succeeded',
          wait: 'Succeeded',
          sweep: 'Succeeded',
          analyze: 'Succeeded',
          plot: 'Succeeded',
          report: 'Succeeded',
          teardown: 'Succeeded',
          // A run by hand (ab=false, the Pipeline's default) compares with the baseline file: no baseline arm.
          'apply-baseline': 'Skipped',
          'wait-baseline': 'Skipped',
          'teardown-baseline': 'Skipped',
        },
      ]);
      expect(run.results).toMatchObject({ image: `quay.io/llmbench/${name}@${DIGEST}`, endpoint: sims.get(name)!.url });
      const work = path.join(root, `work-${name}`);
      // apply created this server under this run's name; teardown deleted it.
      const deployment = `/deployments/${workloadName(name, run.name)}`;
      const calls = kube.requests.filter((r) => r.path.endsWith(deployment)).map((r) => r.method);
      expect([calls.includes('PATCH'), calls.includes('DELETE')]).toEqual([true, true]);
      // wait read the version from the server's own endpoint: the simulator reports the registry's pinned version.
      const deploy = JSON.parse(readFileSync(path.join(work, 'deploy', `${name}.json`), 'utf8')) as DeployReport;
      expect([deploy.backend, deploy.server_version]).toEqual([name, SERVERS[name].version]);
      // The server started with its own arguments, as render makes them for the Pipeline's defaults.
      const o = withDefaults({ backend: name });
      expect(deploy.engine_args).toEqual(engineArgs(o, gpuProfile(o.gpuProfile)));
      // sweep spoke the server's default API: every request answered, two trials of four at c=2.
      const samples = ndjson(path.join(work, 'runs', name, 'samples.ndjson')).filter((s) => !s.warmup);
      expect(samples.length).toBe(8);
      expect(samples.filter((s) => s.ok !== true)).toEqual([]);
      expect(new Set(samples.map((s) => s.api))).toEqual(new Set([SERVERS[name].adapter.apis[0]]));
      expect(kube.rejected).toEqual([]);
    },
    300_000, // the first test waits for all four runs
  );
});
