/**
 * The proof that tekton/ and the CLI fit: the llm-bench Pipeline run by the local harness, each step running
 * its real `llmbench` command against a real simulated vLLM server (`llmbench sim`), the fake Kubernetes API
 * server (test/fakes/k8s) and the fake GitHub (test/fakes/github).
 *
 * Substitutions, all explicit (the harness refuses to run an image it cannot execute):
 *  - the server is `llmbench sim` on 127.0.0.1, not a pod: the fake API server plays the rollout and the wait
 *    task reaches the simulator through the Pipeline's `endpoint` param (as a port-forward would);
 *  - the server image is a prebuilt digest (`server-image`): the buildah step's own script runs on the host
 *    and must skip building (a `buildah` stub fails the step if it tries);
 *  - the source repository is a local git repository served over file:// (GitHub in production).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync, mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { REPO_ROOT } from '../../steps/core/paths.js';
import { startFakeKube, type FakeKube } from '../fakes/k8s/server.js';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github/server.js';
import { PipelineHarness, dumpRun, parseDuration, type PipelineRunRecord, type HarnessOptions } from './harness.js';
import { loadDocs, type Doc } from './tekton.js';
import { allowed, attributes, type ApiRequest } from './rbac.js';
import { pushTinyImage, startRegistry, type TestRegistry } from '../cluster/registry.js';
import { applyPrerequisites, git, startSim, stopSim, type Sim } from './setup.js';

const TOKEN = 'ghs_PLANTEDtokenMustNeverAppear0123456789';
const DIGEST = 'sha256:' + 'ab'.repeat(32);

/** `llmbench sim` for the harness runs: vLLM, 4-bit on a simulated T4, twice real speed, plus `extra`. */
function startVllmSim(extra: string[]): Promise<Sim> {
  const args = ['--backend', 'vllm', '--port', '0', '--time-scale', '2', '--gpu', 't4-16gb'];
  return startSim([...args, '--model', 'mistral-7b-instruct-bnb-nf4', ...extra]);
}
const stopHarnessSim = async (s?: Sim) => {
  if (s) await stopSim(s.proc);
};

function byTask(run: PipelineRunRecord) {
  return Object.fromEntries(run.taskRuns.map((t) => [t.pipelineTask, t]));
}

function statuses(run: PipelineRunRecord) {
  return Object.fromEntries(run.taskRuns.map((t) => [t.pipelineTask, t.status]));
}

describe('harness engine (synthetic pipelines: Tekton semantics)', () => {
  const img = 'quay.io/llmbench/llmbench-steps@sha256:' + '0'.repeat(64);
  const task = (name: string, script: string, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'tekton.dev/v1',
    kind: 'Task',
    metadata: { name },
    spec: {
      params: [{ name: 'in', type: 'string', default: '' }],
      results: [{ name: 'out', type: 'string' }],
      workspaces: [{ name: 'w' }],
      steps: [
        {
          name: 's',
          image: img,
          env: [
            { name: 'IN', value: '$(params.in)' },
            { name: 'W', value: '$(workspaces.w.path)' },
          ],
          script: `#!/bin/sh\nset -eu\n${script}`,
        },
      ],
      ...extra,
    },
  });
  const docs = (tasks: object[], pipelineSpec: object): Doc[] => [
    ...tasks.map((obj, i) => ({ file: 'x.yaml', index: i, obj: obj as Record<string, any> })),
    {
      file: 'p.yaml',
      index: 0,
      obj: {
        apiVersion: 'tekton.dev/v1',
        kind: 'Pipeline',
        metadata: { name: 'p' },
        spec: { workspaces: [{ name: 'w' }], ...pipelineSpec },
      },
    },
  ];
  const ws = () => ({ w: mkdtempSync(path.join(os.tmpdir(), 'hw-')) });

  it('runs in DAG order, passes results, runs finally after a failure and skips a finally that consumes a missing result', async () => {
    const d = docs(
      [
        task('ok', 'printf "%s-a" "$IN" > "$(results.out.path)"; echo ran-a >> "$W/log"'),
        task('bad', 'echo ran-b >> "$W/log"; exit 3'),
        task('fin', 'echo "fin:$IN" >> "$W/log"; printf x > "$(results.out.path)"'),
      ],
      {
        tasks: [
          {
            name: 'a',
            taskRef: { name: 'ok' },
            params: [{ name: 'in', value: 'x' }],
            workspaces: [{ name: 'w', workspace: 'w' }],
          },
          {
            name: 'b',
            taskRef: { name: 'bad' },
            params: [{ name: 'in', value: '$(tasks.a.results.out)' }],
            workspaces: [{ name: 'w', workspace: 'w' }],
          },
          { name: 'c', taskRef: { name: 'ok' }, runAfter: ['b'], workspaces: [{ name: 'w', workspace: 'w' }] },
        ],
        finally: [
          {
            name: 'f1',
            taskRef: { name: 'fin' },
            params: [{ name: 'in', value: '$(tasks.a.results.out)' }],
            workspaces: [{ name: 'w', workspace: 'w' }],
          },
          {
            name: 'f2',
            taskRef: { name: 'fin' },
            params: [{ name: 'in', value: '$(tasks.b.results.out)' }],
            workspaces: [{ name: 'w', workspace: 'w' }],
          },
        ],
      },
    );
    const w = ws();
    const run = await new PipelineHarness({ docs: d, pipeline: 'p', params: {}, workspaces: w }).run();
    expect(statuses(run)).toEqual({ a: 'Succeeded', b: 'Failed', c: 'Skipped', f1: 'Succeeded', f2: 'Skipped' });
    expect(run.status).toBe('Failed');
    expect(byTask(run).b.params.in).toBe('x-a');
    expect(readFileSync(path.join(w.w, 'log'), 'utf8').trim().split('\n')).toEqual(['ran-a', 'ran-b', 'fin:x-a']);
    expect(byTask(run).f2.reason).toMatch(/never produced/);
  });

  it('retries a failed TaskRun, kills a step at its timeout, rejects oversize results and unknown images', async () => {
    const d = docs(
      [
        task(
          'flaky',
          'n=$(cat "$W/n" 2>/dev/null || echo 0); echo $((n+1)) > "$W/n"; [ "$n" -ge 1 ]; printf ok > "$(results.out.path)"',
        ),
        task('slow', 'sleep 5'),
        task('big', 'head -c 5000 /dev/zero | tr "\\0" x > "$(results.out.path)"'),
        {
          ...task('foreign', 'true'),
          spec: {
            ...task('foreign', 'true').spec,
            steps: [
              { name: 's', image: 'docker.io/library/alpine@sha256:' + '1'.repeat(64), script: '#!/bin/sh\ntrue' },
            ],
          },
        },
      ],
      {
        tasks: [
          { name: 'flaky', taskRef: { name: 'flaky' }, retries: 2, workspaces: [{ name: 'w', workspace: 'w' }] },
          { name: 'slow', taskRef: { name: 'slow' }, timeout: '300ms', workspaces: [{ name: 'w', workspace: 'w' }] },
          { name: 'big', taskRef: { name: 'big' }, workspaces: [{ name: 'w', workspace: 'w' }] },
          { name: 'foreign', taskRef: { name: 'foreign' }, workspaces: [{ name: 'w', workspace: 'w' }] },
        ],
      },
    );
    const run = await new PipelineHarness({ docs: d, pipeline: 'p', params: {}, workspaces: ws() }).run();
    const t = byTask(run);
    expect([t.flaky.status, t.flaky.attempts]).toEqual(['Succeeded', 2]);
    expect([t.slow.status, t.slow.reason]).toEqual(['Failed', 'step s timed out']);
    expect(t.slow.durationMs).toBeLessThan(3000);
    expect([t.big.status, t.big.reason]).toEqual([
      'Failed',
      expect.stringMatching(/TaskRunResultLargerThanAllowedLimit/),
    ]);
    expect([t.foreign.status, t.foreign.reason]).toEqual([
      'Failed',
      expect.stringMatching(/cannot execute image docker\.io/),
    ]);
    expect(parseDuration('1h30m')).toBe(5_400_000);
  });

  it('when: a false guard skips only its task; ordering dependents run, result consumers are skipped (Tekton)', async () => {
    const d = docs([task('ok', 'printf done > "$(results.out.path)"')], {
      params: [{ name: 'img', type: 'string', default: 'prebuilt@sha256:x' }],
      tasks: [
        {
          name: 'guarded',
          taskRef: { name: 'ok' },
          when: [{ input: '$(params.img)', operator: 'in', values: [''] }],
          workspaces: [{ name: 'w', workspace: 'w' }],
        },
        { name: 'after', taskRef: { name: 'ok' }, runAfter: ['guarded'], workspaces: [{ name: 'w', workspace: 'w' }] },
        {
          name: 'consumer',
          taskRef: { name: 'ok' },
          params: [{ name: 'in', value: '$(tasks.guarded.results.out)' }],
          workspaces: [{ name: 'w', workspace: 'w' }],
        },
        {
          name: 'm',
          taskRef: { name: 'ok' },
          matrix: { params: [{ name: 'in', value: ['x', 'y'] }] },
          workspaces: [{ name: 'w', workspace: 'w' }],
        },
      ],
      // Regression: finally guards were ignored, so the A/B baseline arm's teardown ran on runs without that arm.
      finally: [
        {
          name: 'fin-guarded',
          taskRef: { name: 'ok' },
          when: [{ input: '$(params.img)', operator: 'notin', values: ['prebuilt@sha256:x'] }],
          workspaces: [{ name: 'w', workspace: 'w' }],
        },
        {
          name: 'fin-open',
          taskRef: { name: 'ok' },
          when: [{ input: '$(params.img)', operator: 'in', values: ['prebuilt@sha256:x'] }],
          workspaces: [{ name: 'w', workspace: 'w' }],
        },
      ],
    });
    const run = await new PipelineHarness({ docs: d, pipeline: 'p', params: {}, workspaces: ws() }).run();
    const st = Object.fromEntries(run.taskRuns.map((t) => [t.pipelineTask, [t.status, t.reason]]));
    expect(st.guarded).toEqual(['Skipped', 'WhenExpressionsSkipped: "prebuilt@sha256:x" in [""] is false']);
    expect(st.after[0]).toBe('Succeeded');
    expect(st.consumer[0]).toBe('Skipped');
    expect(st.m).toEqual(['Failed', 'not supported by the harness: matrix']);
    expect(st['fin-guarded']).toEqual([
      'Skipped',
      'WhenExpressionsSkipped: "prebuilt@sha256:x" notin ["prebuilt@sha256:x"] is false',
    ]);
    expect(st['fin-open'][0]).toBe('Succeeded');
  });
});

describe('llm-bench on the harness: real llmbench commands, simulator, fake Kubernetes, fake GitHub', () => {
  let root: string;
  let src: string;
  let kube: FakeKube;
  let gh: FakeGitHub;
  let sim: Sim | undefined;
  const log: string[] = [];
  /** Every request the steps sent to the fake API server, per run (for the RBAC check). */
  const apiRequests: (ApiRequest & { run: string })[] = [];
  let lastRun = '';
  let adminRequests = 0;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'tekton-harness-'));
    // The repository under test: a bench config (tolerance 15 %: a busy CI machine must not fail the green run,
    // and the planted regression is +50 %) (the target is a simulated T4 (4-bit) at twice real speed: its slow tokens (~135 ms) give the load generator's self-check (event-loop lag vs. a share of ITL) room on a busy 2-core machine).
    src = path.join(root, 'src');
    mkdirSync(src);
    git(src, 'init', '-q', '-b', 'main');
    git(src, 'config', 'uploadpack.allowAnySHA1InWant', 'true'); // GitHub allows fetching a PR head SHA
    writeFileSync(
      path.join(src, 'bench.yaml'),
      yaml.dump({
        version: 1,
        backends: [{ kind: 'vllm', sim: { time_scale: 2 } }],
        load: { min_samples: 8 },
        regression: { tolerance_pct: 15 },
      }),
    );
    git(src, 'add', '.');
    git(src, 'commit', '-q', '-m', 'bench config');
    gh = await startFakeGitHub({ token: TOKEN, repos: ['octo/bench'] });
  }, 60_000);

  afterAll(async () => {
    if (process.env.LLMBENCH_HARNESS_LOG) console.log(log.join('\n'));
    await stopHarnessSim(sim);
    await kube?.close();
    await gh?.close?.();
    if (!process.env.LLMBENCH_HARNESS_KEEP) rmSync(root, { recursive: true, force: true });
  });

  async function runPipeline(
    name: string,
    params: Record<string, string>,
    simFlags: string[] = [],
  ): Promise<PipelineRunRecord> {
    await stopHarnessSim(sim);
    sim = await startVllmSim(simFlags);
    if (kube) apiRequests.push(...kube.requests.slice(adminRequests).map((r) => ({ ...r, run: lastRun })));
    lastRun = name;
    await kube?.close();
    kube = await startFakeKube({ routeHost: new URL(sim.url).host, imageDigest: DIGEST, stepMs: 5 });
    // The namespace admin's one-time step (not the pipeline's): manifests/prerequisites.yaml, server-side applied.
    for (const r of await applyPrerequisites(kube.url)) {
      expect([r.kind, r.status]).toEqual([r.kind, expect.any(Number)]);
      expect(r.ok).toBe(true);
    }
    adminRequests = kube.requests.length;
    const kc = path.join(root, `kubeconfig-${name}`);
    mkdirSync(kc);
    writeFileSync(path.join(kc, 'kubeconfig'), kube.kubeconfig());
    const opts: HarnessOptions = {
      runName: name,
      params: {
        'repo-url': `file://${src}`,
        revision: git(src, 'rev-parse', 'HEAD'),
        backend: 'vllm',
        'server-image': `quay.io/llmbench/vllm@${DIGEST}`,
        endpoint: sim.url,
        config: 'bench.yaml',
        concurrency: '2,4',
        requests: '8',
        trials: '3',
        warmup: '1',
        'input-tokens': '32',
        'output-tokens': '8',
        'ready-timeout': '60',
        'github-api': gh.url,
        ...params,
      },
      workspaces: { work: path.join(root, `work-${name}`), history: path.join(root, 'history'), kubeconfig: kc },
      secrets: { 'github-token': { token: TOKEN } },
      // The buildah image cannot run here. Its own script runs on the host instead: with a prebuilt image it
      // must skip building (and if it tried, the harness's buildah stub would fail the step).
      substitutions: {
        'build/build-and-push': { reason: 'buildah image: own script on the host, buildah stubbed to fail' },
      },
      extraEnv: { LLMBENCH_KUBE_RETRY_MS: '20' },
      onTaskRun: (t) => log.push(`${name} ${t.pipelineTask}: ${t.status} (${t.reason}) ${t.durationMs} ms`),
    };
    const run = await new PipelineHarness(opts).run();
    log.push(dumpRun(run));
    return run;
  }

  const printLogOnFailure = (fn: () => Promise<void>) => async () => {
    try {
      await fn();
    } catch (e) {
      console.log(log.join('\n'));
      throw e;
    }
  };

  it(
    'nightly: green, writes a baseline into the history volume and no GitHub call',
    printLogOnFailure(async () => {
      const run = await runPipeline('nightly', {
        'update-baseline': 'true',
        'baseline-ref': '',
        'fail-on-regression': 'false',
      });
      expect(statuses(run)).toEqual({
        source: 'Succeeded',
        // A prebuilt server-image: the build task is skipped by its when expression, image resolves it.
        build: 'Skipped',
        image: 'Succeeded',
        apply: 'Succeeded',
        wait: 'Succeeded',
        // Nightly: no A/B baseline arm (update-baseline), whatever ab says.
        'apply-baseline': 'Skipped',
        'wait-baseline': 'Skipped',
        sweep: 'Succeeded',
        analyze: 'Succeeded',
        plot: 'Succeeded',
        report: 'Succeeded',
        teardown: 'Succeeded',
        'teardown-baseline': 'Skipped',
      });
      expect(run.status).toBe('Succeeded');
      expect(run.results).toEqual({
        verdict: expect.stringMatching(/^(pass|inconclusive)$/),
        image: `quay.io/llmbench/vllm@${DIGEST}`,
        endpoint: sim!.url,
      });
      expect(existsSync(path.join(root, 'history', 'baseline.json'))).toBe(true);
      expect(readdirSync(path.join(root, 'history', 'runs')).length).toBe(1);
      expect(gh.requests.length).toBe(0);
      expect(kube.rejected).toEqual([]);
      // Promote the nightly baseline the way a maintainer would: commit it on main.
      mkdirSync(path.join(src, 'results', 'baselines'), { recursive: true });
      writeFileSync(
        path.join(src, 'results', 'baselines', 'default.json'),
        readFileSync(path.join(root, 'history', 'baseline.json')),
      );
      git(src, 'add', '.');
      git(src, 'commit', '-q', '-m', 'baseline from nightly');
    }),
    300_000,
  );

  it(
    'pull request: green against the baseline, one sticky comment and a success status on the head SHA',
    printLogOnFailure(async () => {
      const console_ = 'https://console.example.com/k8s/ns/llm-bench-ci/tekton.dev~v1~PipelineRun/';
      const run = await runPipeline('pr-green', {
        'github-repo': 'octo/bench',
        'pr-number': '7',
        'baseline-ref': 'main',
        'console-url': console_,
      });
      expect(statuses(run)).toEqual({
        source: 'Succeeded',
        // A prebuilt server-image: the build task is skipped by its when expression, image resolves it.
        build: 'Skipped',
        image: 'Succeeded',
        apply: 'Succeeded',
        wait: 'Succeeded',
        // ab defaults to "false": one server, gated on the baseline file (the A/B gate: ab-gate.test.ts).
        'apply-baseline': 'Skipped',
        'wait-baseline': 'Skipped',
        sweep: 'Succeeded',
        analyze: 'Succeeded',
        plot: 'Succeeded',
        report: 'Succeeded',
        teardown: 'Succeeded',
        'teardown-baseline': 'Skipped',
      });
      expect(run.results.verdict).toBe('pass');
      const repo = gh.repos.get('octo/bench')!;
      expect(repo.comments.length).toBe(1);
      expect(repo.comments[0].body).toContain(`${console_}pr-green`); // $(context.pipelineRun.name) reached the comment
      expect(readFileSync(path.join(root, 'work-pr-green', 'report.html'), 'utf8')).toContain(`${console_}pr-green`);
      expect(repo.statuses.map((s) => [s.state, s.sha ?? s.commit_sha ?? undefined])).toEqual([
        ['success', expect.anything()],
      ]);
      expect(gh.violations).toEqual([]);
      expect(kube.rejected).toEqual([]);
    }),
    300_000,
  );

  it(
    'pull request with a regression planted in the simulator: report posts a failing verdict, teardown runs, the run fails',
    printLogOnFailure(async () => {
      const run = await runPipeline(
        'pr-regression',
        { 'github-repo': 'octo/bench', 'pr-number': '7', 'baseline-ref': 'main' },
        ['--slowdown', '1.5'],
      );
      const t = byTask(run);
      expect(run.results.verdict).toBe('regression');
      expect([t.report.status, t.report.attempts, t.report.steps.map((s) => [s.name, s.exitCode])]).toEqual([
        'Failed',
        1,
        [
          ['report', 0],
          ['gate', 1],
        ],
      ]);
      expect([t.analyze.status, t.plot.status]).toEqual(['Succeeded', 'Succeeded']); // a regression is a verdict, not a crash
      expect(t.teardown.status).toBe('Succeeded');
      expect(run.status).toBe('Failed');
      const repo = gh.repos.get('octo/bench')!;
      expect(repo.comments.length).toBe(1); // sticky: updated in place
      expect(repo.comments[0].body).toMatch(/regression/i);
      expect(repo.statuses.at(-1)!.state).toBe('failure');
      expect(gh.violations).toEqual([]);
    }),
    300_000,
  );

  it(
    'through ACM, when the server never answers: sweep and analyze are skipped but report and teardown still run',
    printLogOnFailure(async () => {
      const run = await runPipeline('pr-down', {
        'github-repo': 'octo/bench',
        'pr-number': '7',
        'baseline-ref': 'main',
        'managed-cluster': 'gpu-cluster-1',
        endpoint: 'http://127.0.0.1:9',
        'ready-timeout': '3',
      });
      expect(statuses(run)).toMatchObject({
        apply: 'Succeeded',
        wait: 'Failed',
        sweep: 'Skipped',
        analyze: 'Skipped',
        plot: 'Skipped',
        teardown: 'Succeeded',
      });
      // The ACM target: a ManifestWork in the managed cluster's namespace on the hub, applied and then deleted.
      const works = kube.requests.filter((r) =>
        r.path.startsWith('/apis/work.open-cluster-management.io/v1/namespaces/gpu-cluster-1/manifestworks/'),
      );
      expect(works.some((r) => r.method === 'PATCH')).toBe(true);
      expect(works.some((r) => r.method === 'DELETE')).toBe(true);
      expect(kube.requests.filter((r) => r.method === 'PATCH' && r.path.startsWith('/apis/apps/'))).toEqual([]);
      const t = byTask(run);
      // The report step still posts (from files): the sticky comment is updated and the status says error.
      expect([t.report.attempts, t.report.steps.map((s) => [s.name, s.exitCode])]).toEqual([
        1,
        [
          ['report', 0],
          ['gate', 1],
        ],
      ]);
      const repo = gh.repos.get('octo/bench')!;
      expect(repo.comments.length).toBe(1);
      expect(repo.statuses.at(-1)!.state).toBe('error');
      expect(run.status).toBe('Failed');
    }),
    300_000,
  );

  it('tekton/rbac grants the pipeline ServiceAccount every API request the steps made (and nothing was forbidden)', () => {
    const all = [...apiRequests, ...kube.requests.slice(adminRequests).map((r) => ({ ...r, run: lastRun }))];
    const rbac = loadDocs()
      .filter((d) => d.file.startsWith('tekton/rbac/'))
      .map((d) => d.obj);
    const sa = { namespace: 'llm-bench-ci', name: 'llm-bench-pipeline' };
    const checked = all.map((r) => ({ r, a: attributes(r) })).filter((x) => x.a !== null);
    expect(new Set(checked.map((x) => x.r.run))).toEqual(new Set(['nightly', 'pr-green', 'pr-regression', 'pr-down']));
    const denied = checked
      .filter((x) => !allowed(rbac, sa, x.a!))
      .map(
        (x) =>
          `${x.r.run}: ${x.a!.verb} ${x.a!.group}/${x.a!.resource} ns=${x.a!.namespace ?? '-'} (${x.r.method} ${x.r.path})`,
      );
    expect([...new Set(denied)]).toEqual([]);
    // What was exercised: deploy objects in llm-bench, nodes, and ManifestWorks on the hub.
    const kinds = new Set(checked.map((x) => `${x.a!.verb} ${x.a!.resource}`));
    for (const k of ['patch deployments', 'get nodes', 'patch manifestworks', 'delete deployments'])
      expect(kinds).toContain(k);
    // And the check bites: without the node-reader ClusterRole, wait's node lookup is denied.
    const narrowed = rbac.filter((o) => o.metadata.name !== 'llm-bench-node-reader');
    expect(checked.some((x) => !allowed(narrowed, sa, x.a!) && x.a!.resource === 'nodes')).toBe(true);
  });

  it('the planted token appears in no step output and no workspace file', () => {
    const outputs = log.join('\n');
    expect(outputs).not.toContain(TOKEN);
    const r = spawnSync('grep', ['-rl', TOKEN, root], { encoding: 'utf8' });
    expect([r.status, r.stdout]).toEqual([1, '']); // grep: 1 = no match
  });
});

describe('build task on the harness: real llmbench build against a real registry (Debian docker-registry)', () => {
  let reg: TestRegistry;
  let src: string;
  let root: string;
  const real = loadDocs();
  const p = real.find((d) => d.obj.kind === 'Pipeline' && d.obj.metadata.name === 'llm-bench')!.obj;
  // The real source and build Tasks, wired exactly as llm-bench wires them.
  const buildOnly: Doc = {
    file: 'tekton/pipeline.yaml',
    index: 0,
    obj: {
      ...p,
      metadata: { name: 'llm-bench-build-only' },
      spec: {
        params: p.spec.params,
        workspaces: p.spec.workspaces,
        tasks: p.spec.tasks.filter((t: { name: string }) => ['source', 'build'].includes(t.name)),
      },
    },
  };
  const docs = [...real.filter((d) => d.obj.kind === 'Task'), buildOnly];

  beforeAll(async () => {
    reg = await startRegistry();
    root = mkdtempSync(path.join(os.tmpdir(), 'tekton-build-'));
    src = path.join(root, 'src');
    mkdirSync(src);
    git(src, 'init', '-q', '-b', 'main');
    git(src, 'config', 'uploadpack.allowAnySHA1InWant', 'true');
    cpSync(path.join(REPO_ROOT, 'docker'), path.join(src, 'docker'), { recursive: true });
    git(src, 'add', '.');
    git(src, 'commit', '-q', '-m', 'docker/');
  }, 60_000);
  afterAll(async () => {
    await reg?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const run = () =>
    new PipelineHarness({
      docs,
      pipeline: 'llm-bench-build-only',
      runName: 'build',
      params: {
        'repo-url': `file://${src}`,
        revision: git(src, 'rev-parse', 'HEAD'),
        backend: 'vllm',
        registry: `${reg.host}/bench`,
        'registry-tls-verify': 'false',
      },
      workspaces: { work: mkdtempSync(path.join(root, 'work-')) },
      substitutions: {
        'build/build-and-push': { reason: 'buildah image: own script on the host, buildah stubbed to fail' },
      },
    }).run();

  it('fails loudly when the image must be built: the buildah step cannot run here', async () => {
    const r = await run();
    const b = byTask(r).build;
    expect([b.status, b.steps.map((s) => [s.name, s.exitCode])]).toEqual([
      'Failed',
      [
        ['plan', 0],
        ['build-and-push', 3],
      ],
    ]);
    expect(b.steps[1].stderr).toMatch(/buildah cannot run in the local harness/);
  }, 120_000);

  it('skips buildah when the registry already has the content-hash tag; results carry the registry digest', async () => {
    // What `llmbench build` plans for this checkout, then that exact tag pushed (umoci + skopeo), as an earlier build would have.
    const planned = spawnSync(
      process.execPath,
      [
        path.join(REPO_ROOT, 'steps/bin/llmbench.js'),
        'build',
        '--backend',
        'vllm',
        '--registry',
        `${reg.host}/bench`,
        '--plain-http',
        '--source',
        src,
        '--json',
      ],
      { encoding: 'utf8' },
    );
    expect(planned.status).toBe(0);
    const img = JSON.parse(planned.stdout).images[0] as { repository: string; tag: string; image: string };
    const digest = pushTinyImage(reg.host, img.repository, img.tag);
    const r = await run();
    const b = byTask(r).build;
    expect(b.status).toBe('Succeeded');
    expect(b.steps[1].stderr).toMatch(/nothing to build/);
    // Built by llmbench build (model baked in): apply renders the server in image mode (offline, HF_HOME in the image).
    expect(b.results).toEqual({
      'image-digest': digest,
      image: `${img.image.replace(/:[^:/]+$/, '')}@${digest}`,
      'model-cache': 'image',
    });
  }, 120_000);
});
