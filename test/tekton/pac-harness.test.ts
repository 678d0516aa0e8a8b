/**
 * The Pipelines-as-Code comment entry point end to end: `/benchmark backend=tgi` on a PR, the .tekton/ PipelineRun
 * substituted as PaC does (test/tekton/pac.ts), its params run by the harness against a simulated TGI, the fake
 * Kubernetes API and a fake GitHub that holds the PaC GitHub App's token (no `statuses` permission).
 * Substitutions (as harness.test.ts): the server is `llmbench sim` reached through `endpoint`, the image is
 * prebuilt, the repository is a local git repository over file://; the load plan comes from its bench config.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { REPO_ROOT } from '../../steps/core/paths.js';
import { workloadName } from '../../steps/cluster/render.js';
import { startFakeKube, type FakeKube } from '../fakes/k8s/server.js';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github/server.js';
import { PipelineHarness, dumpRun } from './harness.js';
import { pacPipelineRun } from './pac.js';
import { applyPrerequisites, benchRepo, git, startSim } from './setup.js';

const TOKEN = 'ghs_PaCinstallationTokenPlanted0123456789';
const DIGEST = 'sha256:' + 'ef'.repeat(32);
const RUN = 'llm-bench-comment-7xk2p';
let root: string;
let src: string;
let kube: FakeKube;
let gh: FakeGitHub;
let sim: ChildProcess | undefined;
let simUrl = '';
// The A/B gate's baseline arm (the comment run sets ab "true"): a second simulated TGI.
let baseSim: ChildProcess | undefined;
let baseSimUrl = '';

async function startTgiSim(): Promise<void> {
  const args = ['--backend', 'tgi', '--port', '0', '--time-scale', '4', '--gpu', 't4-16gb'];
  const [s, b] = await Promise.all([startSim(args), startSim(args)]);
  [sim, simUrl] = [s.proc, s.url];
  [baseSim, baseSimUrl] = [b.proc, b.url];
}
beforeAll(async () => {
  // The load plan lives in the bench config (the PaC runs pass no load params).
  const config = {
    version: 1,
    backends: [{ kind: 'tgi', sim: { time_scale: 4 } }],
    load: { concurrency: [2], requests: 4, trials: 2, warmup: 1, min_samples: 4 },
    workload: { input_tokens: 16, output_tokens: 4 },
    // The A/B gate's arms are two simulators: their TTFT varies far more than 3 % between trials (as in
    // ab-gate.test.ts, it is gated with its own sizes).
    regression: { metrics: { 'ttft_ms.p50': { tolerance_pct: 25, detectable_pct: 40 } } },
  };
  ({ root, src } = benchRepo('tekton-pac-', config));
  await startTgiSim();
  kube = await startFakeKube({ imageDigest: DIGEST, stepMs: 5, deleteDelayMs: 20 });
  for (const r of await applyPrerequisites(kube.url)) expect(r.ok).toBe(true);
  gh = await startFakeGitHub({ token: TOKEN, repos: ['octo/bench'], prs: [7], tokenKind: 'pac-app' });
}, 60_000);

afterAll(async () => {
  sim?.kill('SIGTERM');
  baseSim?.kill('SIGTERM');
  await kube?.close();
  await gh?.close?.();
  rmSync(root, { recursive: true, force: true });
});

describe('Pipelines-as-Code: `/benchmark backend=tgi` on a PR, end to end', () => {
  it('benchmarks TGI with the config’s load plan and reports through a check run with the PaC App token', async () => {
    const sha = git(src, 'rev-parse', 'HEAD');
    const template = yaml.load(readFileSync(path.join(REPO_ROOT, '.tekton/benchmark-comment.yaml'), 'utf8'));
    const repository = yaml.load(readFileSync(path.join(REPO_ROOT, 'tekton/pac/repository.yaml'), 'utf8'));
    const pr = pacPipelineRun(
      template as Record<string, any>,
      repository as Record<string, any>,
      {
        kind: 'comment',
        owner: 'octo',
        repo: 'bench',
        sha,
        targetBranch: 'main',
        sourceBranch: 'feature',
        sender: 'maintainer',
        pullRequest: 7,
        comment: '/benchmark backend=tgi',
      },
      'pac-gitauth-7xk2p',
    );
    const params = Object.fromEntries(
      (pr.spec.params as { name: string; value: string }[]).map((p) => [p.name, p.value]),
    );
    expect(params.backend).toBe('tgi');
    const kc = path.join(root, 'kubeconfig');
    mkdirSync(kc);
    writeFileSync(path.join(kc, 'kubeconfig'), kube.kubeconfig());
    const gitAuth = path.join(root, 'git-auth');
    mkdirSync(gitAuth);
    writeFileSync(path.join(gitAuth, '.git-credentials'), `https://git:${TOKEN}@github.com\n`);
    const run = await new PipelineHarness({
      runName: RUN,
      params: {
        ...params,
        // Local stand-ins for what PaC's values point at on GitHub.
        'repo-url': `file://${src}`,
        'github-api': gh.url,
        'server-image': `quay.io/llmbench/tgi@${DIGEST}`,
        endpoint: simUrl,
        'baseline-endpoint': baseSimUrl,
        config: 'bench.yaml',
        'ready-timeout': '60',
      },
      workspaces: { work: path.join(root, 'work'), kubeconfig: kc, 'git-auth': gitAuth },
      secrets: { 'pac-gitauth-7xk2p': { 'git-provider-token': TOKEN } },
      substitutions: {
        'build/build-and-push': { reason: 'buildah image: own script on the host, buildah stubbed to fail' },
      },
      extraEnv: { LLMBENCH_KUBE_RETRY_MS: '20' },
    }).run();
    const dump = dumpRun(run);
    const t = Object.fromEntries(run.taskRuns.map((x) => [x.pipelineTask, x]));
    expect([dump, t.report.status]).toEqual([dump, 'Succeeded']);
    expect(t.sweep.status).toBe('Succeeded');
    // The config's plan (c = 2 only), not the Pipeline's or sweep's defaults.
    const sweepOut = t.sweep.steps.map((s) => s.stdout + s.stderr).join('');
    expect(sweepOut).toMatch(/c=2 /);
    expect(sweepOut).not.toMatch(/c=(1|4|8|16) /);
    // The TGI server and its A/B baseline arm, each named after this run.
    expect(params.ab).toBe('true');
    const applied = kube.requests.filter((r) => r.method === 'PATCH' && r.path.includes('/deployments/'));
    expect(applied.map((r) => r.path.split('/').pop()).sort()).toEqual(
      [workloadName('tgi', RUN), workloadName('tgi', `${RUN}-baseline`)].sort(),
    );
    expect(t['teardown-baseline'].status).toBe('Succeeded');
    // Swept as A/B arms (baseline a, candidate b), the candidate judged against the baseline arm.
    const b = JSON.parse(readFileSync(path.join(root, 'work', 'runs', 'b', 'summary.json'), 'utf8'));
    expect(b.plan.ab).toMatchObject({ arm: 'b', peer_backend: 'tgi' });
    expect(b.plan.sequential?.reference).toBe('ab');
    // A check run on the head SHA, no commit status (the App has no statuses permission), no 403 at all.
    const repo = gh.repos.get('octo/bench')!;
    expect(repo.checkRuns.map((c) => c.head_sha)).toEqual([sha]);
    expect(repo.statuses).toEqual([]);
    expect(repo.comments.length).toBe(1);
    expect(gh.requests.filter((r) => r.status === 403)).toEqual([]);
    expect(gh.violations).toEqual([]);
  }, 300_000);
});
