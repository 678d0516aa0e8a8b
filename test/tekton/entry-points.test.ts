/**
 * Every entry point's PipelineRun, as that entry point creates it, run by the harness end to end against the fake
 * Kubernetes API, `llmbench sim` and the fake GitHub:
 *  - Tekton Triggers: a GitHub pull_request payload through the EventListener (dispatch: CEL, bindings, template);
 *  - the nightly fan-out: the CronJob's MATRIX, each combination through Pipelines-as-Code's /incoming
 *    (.tekton/nightly.yaml with the Repository's params), one run per backend, concurrently as Triggers would;
 *  - `tkn pipeline start` from README.md, turned into the PipelineRun tkn creates.
 * The runs' workspace bindings are the entry points' own (test/tekton/pipelinerun.ts materializes them), so the
 * Affinity Assistant rule (one PVC per TaskRun) applies to what ships; a regression test shows it refusing the
 * two-PVC layout analyze used to get.
 *
 * Local stand-ins, as in pac-harness.test.ts (each a param override): the repository is a local git repository over
 * file://, the server image is prebuilt (build is skipped by its `when`), the server is `llmbench sim` reached through
 * `endpoint`, GitHub is the fake; the kubeconfig Secret holds the fake API server's kubeconfig (in place of the
 * in-cluster ServiceAccount). The load plan is the repository's bench config (small: one point, two trials).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { REPO_ROOT } from '../../steps/core/paths.js';
import { SERVER_NAMES } from '../../steps/servers/index.js';
import { workloadName } from '../../steps/cluster/render.js';
import { startFakeKube, type FakeKube } from '../fakes/k8s/server.js';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github/server.js';
import { PipelineHarness, dumpRun, type PipelineRunRecord } from './harness.js';
import { harnessOptionsFor } from './pipelinerun.js';
import { pacPipelineRun } from './pac.js';
import { parseTknStart, recipeCommands, tknPipelineRun, words } from './recipes.js';
import { dispatch } from './triggers.js';
import { loadDocs, ofKind, type Obj } from './tekton.js';
import { applyPrerequisites, benchRepo, git, startSim, stopSim, type Sim } from './setup.js';

const TOKEN = 'ghp_TriggersClassicTokenPlanted012345678';
const DIGEST = 'sha256:' + 'ab'.repeat(32);
const docs = loadDocs();
const pipeline = ofKind(docs, 'Pipeline').find((d) => d.obj.metadata.name === 'llm-bench')!.obj;
const repository = ofKind(docs, 'Repository')[0].obj;
const load = (f: string) => yaml.load(readFileSync(path.join(REPO_ROOT, f), 'utf8')) as Obj;

/** The nightly CronJob's fan-out, as shipped: MATRIX entries backend:model:gpu-profile. */
const matrix = (): { backend: string; model: string; gpu: string }[] => {
  const cj = ofKind(docs, 'CronJob').find((d) => d.obj.metadata.name === 'llm-bench-nightly')!.obj;
  const env = cj.spec.jobTemplate.spec.template.spec.containers[0].env as Obj[];
  return String(env.find((e) => e.name === 'MATRIX')!.value)
    .split(/\s+/)
    .filter(Boolean)
    .map((c) => {
      const [backend, model, gpu] = c.split(':');
      return { backend, model, gpu };
    });
};

let root: string;
let src: string;
let sha: string;
let kube: FakeKube;
let kubeconfig: string;
const sims = new Map<string, Sim>();
const log: string[] = [];

beforeAll(async () => {
  const backends = [...new Set(['vllm', ...matrix().map((m) => m.backend)])];
  const config = {
    version: 1,
    backends: backends.map((kind) => ({ kind, sim: { time_scale: 4 } })),
    load: { concurrency: [2], requests: 4, trials: 2, warmup: 1, min_samples: 4 },
    workload: { input_tokens: 16, output_tokens: 4 },
  };
  ({ root, src } = benchRepo('tekton-entry-', config));
  sha = git(src, 'rev-parse', 'HEAD');
  // vllm for the PR and tkn runs; one per nightly backend, in real time: a nightly run writes a baseline only when
  // the load generator kept up (no client-bottleneck), and real-time inter-token gaps leave it room on a busy machine.
  const starts: [string, string[]][] = [
    ['vllm', ['--backend', 'vllm', '--time-scale', '4']],
    // The Triggers PR run gates A/B: its own candidate and baseline servers, loaded by nothing else. (Sharing the
    // candidate with the concurrent tkn run slowed arm B only, and the gate rightly called that a regression.)
    ['pr-candidate', ['--backend', 'vllm', '--time-scale', '4']],
    ['pr-baseline', ['--backend', 'vllm', '--time-scale', '4']],
    ...backends.map((b): [string, string[]] => [`nightly-${b}`, ['--backend', b, '--time-scale', '1']]),
  ];
  await Promise.all(starts.map(async ([k, args]) => sims.set(k, await startSim([...args, '--port', '0']))));
  kubeconfig = path.join(root, 'kubeconfig');
  kube = await startFakeKube({ imageDigest: DIGEST, stepMs: 5, deleteDelayMs: 20 });
  writeFileSync(kubeconfig, kube.kubeconfig());
  for (const r of await applyPrerequisites(kube.url)) expect(r.ok).toBe(true);
}, 60_000);

afterAll(async () => {
  if (process.env.LLMBENCH_HARNESS_LOG) console.log(log.join('\n'));
  await Promise.all([...sims.values()].map((s) => stopSim(s.proc)));
  await kube?.close();
  rmSync(root, { recursive: true, force: true });
});

/**
 * Runs one entry point's PipelineRun in the harness with the local stand-ins (see the header); `sim` names the
 * simulated server. The pods' in-cluster credentials are KUBECONFIG in every step (the fake API server speaks plain
 * HTTP on loopback, not the in-cluster https): the optional kubeconfig Secret stays absent, as after the install.
 */
async function runEntry(
  run: Obj,
  backend: string,
  sim: string,
  extra: { secrets?: Record<string, Record<string, string>>; overrides?: Record<string, string> } = {},
): Promise<PipelineRunRecord> {
  const opts = harnessOptionsFor(
    run,
    {
      root: path.join(root, 'volumes'),
      secrets: extra.secrets,
      configMaps: { 'llm-bench-trusted-ca': {} },
    },
    {
      'repo-url': `file://${src}`,
      'server-image': `quay.io/llmbench/${backend}@${DIGEST}`,
      endpoint: sims.get(sim)!.url,
      config: 'bench.yaml',
      'ready-timeout': '60',
      ...extra.overrides,
    },
  );
  const r = await new PipelineHarness({
    ...opts,
    extraEnv: { LLMBENCH_KUBE_RETRY_MS: '20', KUBECONFIG: kubeconfig },
    onTaskRun: (t) => log.push(`${opts.runName} ${t.pipelineTask}: ${t.status} (${t.reason}) ${t.durationMs} ms`),
  }).run();
  log.push(dumpRun(r));
  return r;
}

const byTask = (r: PipelineRunRecord) => Object.fromEntries(r.taskRuns.map((t) => [t.pipelineTask, t]));
const applied = (name: string) =>
  kube.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(`/deployments/${name}`)).length;

describe('a nightly work directory outlives its run (one per combination on the history claim)', () => {
  it('regression: source empties it first, so yesterday’s runs/, analysis/ and report never reach today’s tasks', async () => {
    const source = ofKind(docs, 'Task').find((d) => d.obj.metadata.name === 'llmbench-source')!;
    const p = {
      file: 'p.yaml',
      index: 0,
      obj: {
        apiVersion: 'tekton.dev/v1',
        kind: 'Pipeline',
        metadata: { name: 'only-source' },
        spec: {
          params: [{ name: 'repo-url' }, { name: 'revision' }],
          workspaces: [{ name: 'work' }],
          tasks: [
            {
              name: 'source',
              taskRef: { name: 'llmbench-source' },
              params: [
                { name: 'repo-url', value: '$(params.repo-url)' },
                { name: 'revision', value: '$(params.revision)' },
              ],
              workspaces: [{ name: 'work', workspace: 'work' }],
            },
          ],
        },
      },
    };
    const work = mkdtempSync(path.join(root, 'nightly-work-'));
    for (const f of ['runs/vllm/samples.ndjson', 'analysis/verdict.json', 'report/comment.md', 'SUMMARY.md']) {
      mkdirSync(path.dirname(path.join(work, f)), { recursive: true });
      writeFileSync(path.join(work, f), 'yesterday');
    }
    mkdirSync(path.join(work, 'lost+found'));
    const run = await new PipelineHarness({
      docs: [source, p],
      pipeline: 'only-source',
      params: { 'repo-url': `file://${src}`, revision: sha },
      workspaces: { work },
    }).run();
    expect([dumpRun(run), run.status]).toEqual([dumpRun(run), 'Succeeded']);
    expect(readdirSync(work).sort()).toEqual(['baseline', 'lost+found', 'source']);
  });
});

describe('the Affinity Assistant rule: at most one PVC per TaskRun (coschedule: workspaces, the default)', () => {
  // What analyze was bound to before: the per-run work claim and the history claim (the Triggers template for every
  // run, .tekton/nightly.yaml, the tkn recipe).
  const oldLayout = {
    work: { name: 'work', volumeClaimTemplate: load('tekton/workspace-template.yaml') },
    history: { name: 'history', persistentVolumeClaim: { claimName: 'llm-bench-history' } },
  };
  const analyze = (pipeline.spec.tasks as Obj[]).find((t) => t.name === 'analyze')!;

  it('regression: analyze with the work claim and the history claim fails TaskRunValidationFailed before any step', async () => {
    expect(new PipelineHarness({ params: {}, workspaces: {}, bindings: oldLayout }).boundClaims(analyze)).toEqual([
      'volumeClaimTemplate of workspace work',
      'persistentVolumeClaim llm-bench-history',
    ]);
    // The harness fails such a TaskRun as Tekton's reconciler does: no step runs, the finally tasks still do.
    const img = 'quay.io/llmbench/llmbench-steps@sha256:' + '0'.repeat(64);
    const step = { name: 's', image: img, script: '#!/bin/sh\necho ran >> "$(workspaces.a.path)/log"\n' };
    const task = (ws: string[]) => ({ workspaces: ws.map((name) => ({ name })), steps: [step] });
    const d = [
      { apiVersion: 'tekton.dev/v1', kind: 'Task', metadata: { name: 'two' }, spec: task(['a', 'b']) },
      { apiVersion: 'tekton.dev/v1', kind: 'Task', metadata: { name: 'one' }, spec: task(['a']) },
      {
        apiVersion: 'tekton.dev/v1',
        kind: 'Pipeline',
        metadata: { name: 'p' },
        spec: {
          workspaces: [{ name: 'work' }, { name: 'history' }],
          tasks: [
            {
              name: 'analyze',
              taskRef: { name: 'two' },
              workspaces: [
                { name: 'a', workspace: 'work' },
                { name: 'b', workspace: 'history' },
              ],
            },
          ],
          // A pipeline task's subPath, substituted as Tekton does (apply.go: params and context in SubPath).
          finally: [
            {
              name: 'report',
              taskRef: { name: 'one' },
              workspaces: [{ name: 'a', workspace: 'work', subPath: 'r/$(context.pipelineRun.name)' }],
            },
          ],
        },
      },
    ].map((obj, index) => ({ file: 'x.yaml', index, obj }));
    const dirs = { work: mkdtempSync(path.join(root, 'aa-')), history: mkdtempSync(path.join(root, 'aa-')) };
    const run = (bindings: Record<string, Obj>, coschedule?: 'disabled') =>
      new PipelineHarness({
        docs: d,
        pipeline: 'p',
        params: {},
        workspaces: dirs,
        bindings,
        coschedule,
        runName: 'aa',
      }).run();
    const old = await run(oldLayout);
    expect(byTask(old).analyze).toMatchObject({ status: 'Failed', steps: [] });
    expect(byTask(old).analyze.reason).toMatch(
      /^TaskRunValidationFailed: \[User error\] more than one PersistentVolumeClaim is bound/,
    );
    expect(byTask(old).report.status).toBe('Succeeded');
    expect(readFileSync(path.join(dirs.work, 'r/aa/log'), 'utf8')).toBe('ran\n');
    // One claim in two subdirectories is one PVC; with the assistant disabled the rule does not apply.
    const oneClaim = {
      work: { name: 'work', persistentVolumeClaim: { claimName: 'llm-bench-history' }, subPath: 'n/work' },
      history: { name: 'history', persistentVolumeClaim: { claimName: 'llm-bench-history' }, subPath: 'n/history' },
    };
    expect(byTask(await run(oneClaim)).analyze.status).toBe('Succeeded');
    expect(byTask(await run(oldLayout, 'disabled')).analyze.status).toBe('Succeeded');
  });

  it('every entry point’s PipelineRun binds at most one PVC in every TaskRun', () => {
    const prEvent = {
      action: 'opened',
      number: 42,
      pull_request: { number: 42, base: { ref: 'main' }, head: { sha, repo: { full_name: 'octo/bench' } }, labels: [] },
      repository: { full_name: 'octo/bench', clone_url: 'https://github.com/octo/bench.git' },
    };
    const event = { owner: 'octo', repo: 'bench', sha, targetBranch: 'main', sourceBranch: 'f', sender: 'u' };
    const nightlyBody = {
      backend: 'tgi',
      model: 'm/x',
      gpu_profile: 'g',
      revision: 'main',
      repo_url: 'u',
      github_repo: 'o/r',
    };
    const runs: [string, Obj][] = [
      ['Triggers pull_request', dispatch('pull_request', prEvent)!.run],
      ['Triggers nightly', dispatch('llmbench-nightly', nightlyBody)!.run],
      [
        'PaC pull_request',
        pacPipelineRun(load('.tekton/pull-request.yaml'), repository, {
          kind: 'pull_request',
          pullRequest: 42,
          ...event,
        }),
      ],
      [
        'PaC comment',
        pacPipelineRun(load('.tekton/benchmark-comment.yaml'), repository, {
          kind: 'comment',
          pullRequest: 42,
          comment: '/benchmark backend=tgi',
          ...event,
        }),
      ],
      [
        'PaC nightly',
        pacPipelineRun(load('.tekton/nightly.yaml'), repository, {
          kind: 'incoming',
          params: { backend: 'tgi' },
          ...event,
        }),
      ],
      ...['README.md', 'tekton/README.md'].map((f): [string, Obj] => {
        const cmd = recipeCommands(readFileSync(path.join(REPO_ROOT, f), 'utf8')).find((c) =>
          c.startsWith('tkn pipeline start'),
        )!;
        return [`${f} tkn recipe`, tknPipelineRun(parseTknStart('pipeline', words(cmd).slice(3)))];
      }),
    ];
    for (const [what, run] of runs) {
      const bindings = Object.fromEntries((run.spec.workspaces as Obj[]).map((w) => [w.name, w]));
      const h = new PipelineHarness({ params: {}, workspaces: {}, bindings });
      for (const t of [...pipeline.spec.tasks, ...pipeline.spec.finally] as Obj[])
        expect([what, t.name, h.boundClaims(t).length <= 1]).toEqual([what, t.name, true]);
    }
    // Without the bindings (plain host directories) there is nothing to count.
    expect(new PipelineHarness({ params: {}, workspaces: {} }).boundClaims(analyze)).toEqual([]);
  });
});

/**
 * The entry points' runs against one fake API server: the Triggers PR run and the tkn run alongside the nightly
 * chain (Triggers and `tkn` runs are not serialized), the nightly runs one after another (PaC queues them behind
 * the Repository's concurrency_limit: 1).
 */
describe('entry points run end to end', () => {
  const PAC_TOKEN = 'ghs_PaCinstallationTokenPlanted0123456789';
  let ghTriggers: FakeGitHub;
  let ghPac: FakeGitHub;
  let triggersRun: Promise<PipelineRunRecord>;
  let nightlyRuns: Promise<PipelineRunRecord[]>;
  let tknRun: Promise<PipelineRunRecord>;
  const fanOut = matrix();

  beforeAll(async () => {
    ghTriggers = await startFakeGitHub({ token: TOKEN, repos: ['octo/bench'], prs: [42], tokenKind: 'classic' });
    ghPac = await startFakeGitHub({ token: PAC_TOKEN, repos: ['octo/bench'], tokenKind: 'pac-app' });
    triggersRun = startTriggersPr();
    // One after another, as the Repository's concurrency_limit: 1 queues them.
    nightlyRuns = fanOut.reduce<Promise<PipelineRunRecord[]>>(
      (done, m) => done.then(async (rs) => [...rs, await startNightly(m)]),
      Promise.resolve([]),
    );
    tknRun = startTknRecipe();
    // Settle all before the first assertion (a rejection here fails the tests that await it).
    await Promise.allSettled([triggersRun, nightlyRuns, tknRun]);
  }, 300_000);

  afterAll(async () => {
    await ghTriggers?.close();
    await ghPac?.close();
  });

  function startTriggersPr(): Promise<PipelineRunRecord> {
    const event = {
      action: 'opened',
      number: 42,
      pull_request: { number: 42, base: { ref: 'main' }, head: { sha, repo: { full_name: 'octo/bench' } }, labels: [] },
      repository: { full_name: 'octo/bench', clone_url: 'https://github.com/octo/bench.git' },
    };
    const d = dispatch('pull_request', event)!;
    expect(d.trigger).toBe('pull-request');
    return runEntry(d.run, 'vllm', 'pr-candidate', {
      secrets: { 'github-token': { token: TOKEN } },
      overrides: { 'github-api': ghTriggers.url, 'baseline-endpoint': sims.get('pr-baseline')!.url },
    });
  }

  /** One nightly combination: the CronJob's /incoming request → PaC → .tekton/nightly.yaml. */
  function startNightly(m: { backend: string; model: string; gpu: string }): Promise<PipelineRunRecord> {
    const gitAuth = `pac-gitauth-nightly-${m.backend}`;
    const run = pacPipelineRun(
      load('.tekton/nightly.yaml'),
      repository,
      {
        kind: 'incoming',
        owner: 'octo',
        repo: 'bench',
        sha,
        targetBranch: 'main',
        sourceBranch: 'main',
        sender: 'llm-bench-nightly',
        params: { backend: m.backend, model: m.model, 'gpu-profile': m.gpu },
      },
      gitAuth,
    );
    return runEntry(run, m.backend, `nightly-${m.backend}`, {
      secrets: {
        [gitAuth]: { 'git-provider-token': PAC_TOKEN, '.git-credentials': `https://git:${PAC_TOKEN}@github.com\n` },
      },
      overrides: { 'github-api': ghPac.url },
    });
  }

  /** README.md's `tkn pipeline start`, parsed from the README, as the PipelineRun tkn creates. */
  function startTknRecipe(): Promise<PipelineRunRecord> {
    const cmd = recipeCommands(readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8')).find((c) =>
      c.startsWith('tkn pipeline start'),
    )!;
    const t = parseTknStart('pipeline', words(cmd).slice(3));
    return runEntry(tknPipelineRun(t), t.params.backend, t.params.backend);
  }

  it('Tekton Triggers: a pull_request event → the EventListener → a run that ends with the PR comment and a commit status', async () => {
    const run = await triggersRun;
    const t = byTask(run);
    const dump = dumpRun(run);
    expect([dump, t.sweep.status, t.analyze.status, t.report.status]).toEqual([
      dump,
      'Succeeded',
      'Succeeded',
      'Succeeded',
    ]);
    expect(applied(workloadName('vllm', run.name))).toBe(1);
    // The PR entry point gates A/B: a baseline arm deployed beside the candidate, under its own run-scoped name.
    expect(applied(workloadName('vllm', `${run.name}-baseline`))).toBe(1);
    const full = JSON.parse(
      readFileSync(path.join(root, 'volumes/vct', run.name, 'work/analysis/verdict.json'), 'utf8'),
    ) as { verdict: string; rule?: { sequential?: { reference?: string } } };
    expect(full.rule?.sequential?.reference).toBe('ab');
    const verdict = full.verdict;
    expect(t.analyze.results.verdict).toBe(verdict);
    const repo = ghTriggers.repos.get('octo/bench')!;
    // One sticky comment on PR 42 carrying the verdict, one commit status on the head SHA (a classic token).
    expect(repo.comments.length).toBe(1);
    expect(repo.comments[0].body).toContain(verdict);
    // Two arms of the same simulated server: no regression. Whether the gate could already rule one out decides
    // pass (status `success`) or inconclusive (`error`, never a pass); the A/B verdicts themselves are ab-gate.test.ts's.
    expect(['pass', 'inconclusive']).toContain(verdict);
    const state = verdict === 'pass' ? 'success' : 'error';
    expect(repo.statuses.map((s) => [s.sha, s.state])).toEqual([[sha, state]]);
    expect(repo.checkRuns).toEqual([]);
    expect(ghTriggers.violations).toEqual([]);
  });

  it('nightly fan-out: each MATRIX backend benchmarked once, each with its own history entry and baseline', async () => {
    const runs = await nightlyRuns;
    const backends = fanOut.map((m) => m.backend);
    // Three or more distinct registered servers, not one backend three times.
    expect(new Set(backends).size).toBe(backends.length);
    expect(backends.length).toBeGreaterThanOrEqual(3);
    for (const b of backends) expect(SERVER_NAMES as readonly string[]).toContain(b);
    runs.forEach((run, i) => {
      const { backend, model, gpu } = fanOut[i];
      const t = byTask(run);
      const dump = dumpRun(run);
      expect([dump, run.status, run.params.backend, run.params['update-baseline']]).toEqual([
        dump,
        'Succeeded',
        backend,
        'true',
      ]);
      expect(applied(workloadName(backend as (typeof SERVER_NAMES)[number], run.name))).toBe(1);
      expect(t.wait.results.endpoint).toBe(sims.get(`nightly-${backend}`)!.url);
      // The history claim: this combination's own directory, one entry, a baseline of this backend only.
      const dir = path.join(root, 'volumes/pvc/llm-bench-history/nightly', backend, gpu, model, 'history');
      const entries = readdirSync(path.join(dir, 'runs'));
      expect([backend, entries.length]).toEqual([backend, 1]);
      const entry = JSON.parse(readFileSync(path.join(dir, 'runs', entries[0]), 'utf8'));
      expect(entry.backends.map((x: Obj) => x.backend)).toEqual([backend]);
      const baseline = JSON.parse(readFileSync(path.join(dir, 'baseline.json'), 'utf8'));
      expect(baseline.backends.map((x: Obj) => x.backend)).toEqual([backend]);
    });
    // Nightly has no PR: SUMMARY.md only, nothing posted to GitHub.
    expect(ghPac.requests).toEqual([]);
  });

  it('README.md `tkn pipeline start`: the run tkn creates reaches its report (SUMMARY.md, no GitHub)', async () => {
    const run = await tknRun;
    const t = byTask(run);
    const dump = dumpRun(run);
    expect([dump, run.status, t.report.status]).toEqual([dump, 'Succeeded', 'Succeeded']);
    // The recipe's own params and bindings, not the harness defaults.
    expect([run.params.backend, run.params['fail-on-regression'], run.params.registry]).toEqual([
      'vllm',
      'false',
      'image-registry.openshift-image-registry.svc:5000/llm-bench-ci',
    ]);
    const work = path.join(root, 'volumes/vct', run.name, 'work');
    expect(existsSync(path.join(work, 'SUMMARY.md'))).toBe(true);
    expect(readFileSync(path.join(work, 'SUMMARY.md'), 'utf8')).toContain(t.analyze.results.verdict);
  });
});
