/**
 * The Pipelines-as-Code PR gate as an A/B test against a live baseline server, end to end on the harness: the PR
 * PipelineRun (.tekton/pull-request.yaml, ab "true") deploys a baseline arm beside the candidate (apply-baseline,
 * wait-baseline: names <run>-baseline), the sweep interleaves their trials (llmbench sweep --url <baseline>
 * --ab-url <candidate>) and the sequential gate stops as soon as the answer is clear; analyze decides, report
 * posts the check run and comment, finally tears both servers down. A candidate 5 % slower than its baseline (the
 * simulator's --slowdown) is a regression, an unchanged one passes — each before the design's 16 trials per side.
 * Substitutions as in pac-harness.test.ts: the two servers are `llmbench sim` children reached through endpoint and
 * baseline-endpoint (the fake API server's Deployments become ready, nothing runs in them), the images are prebuilt,
 * the repository a local git repository over file://, GitHub and Kubernetes are the fakes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { REPO_ROOT } from '../../steps/core/paths.js';
import { workloadName } from '../../steps/cluster/render.js';
import type { Verdict } from '../../steps/core/types/verdict.js';
import type { SweepSummary } from '../../steps/core/types/sweep-summary.js';
import type { Sample } from '../../steps/core/types/sample.js';
import type { FakeKube } from '../fakes/k8s/server.js';
import type { FakeGitHub } from '../fakes/github/server.js';
import { dumpRun } from './harness.js';
import { runGatePac, type GateRun } from './gate-run.js';
import { GATE_MAX_TRIALS, git, startGateEnv, startSlowSim, stopSim, type GateEnv } from './setup.js';

const TOKEN = 'ghs_PaCabGateToken0123456789abcdefghijkl';
const DIGEST = 'sha256:' + 'ab'.repeat(32);
const MAX_TRIALS = GATE_MAX_TRIALS;
let env: GateEnv;
let src: string;
let kube: FakeKube;
let gh: FakeGitHub;

beforeAll(async () => {
  env = await startGateEnv('tekton-ab-', TOKEN, DIGEST);
  ({ src, kube, gh } = env);
}, 60_000);

afterAll(() => env?.close());

/** The PR PipelineRun PaC makes from .tekton/pull-request.yaml, run on the harness: baseline arm vs candidate. */
async function runPr(name: string, sha: string, candidateSlowdown: number) {
  const baseline = await startSlowSim(1);
  const candidate = await startSlowSim(candidateSlowdown);
  let r: GateRun;
  try {
    r = await runGatePac(
      env,
      name,
      '.tekton/pull-request.yaml',
      { pullRequest: 7, sha },
      {
        endpoint: candidate.url,
        'baseline-endpoint': baseline.url,
      },
    );
  } finally {
    await stopSim(baseline.proc);
    await stopSim(candidate.proc);
  }
  const { run, work } = r;
  expect(r.pacParams.ab).toBe('true');
  const read = <T>(f: string) => JSON.parse(readFileSync(path.join(work, f), 'utf8')) as T;
  const samples = (arm: string) =>
    readFileSync(path.join(work, 'runs', arm, 'samples.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Sample);
  const t = Object.fromEntries(run.taskRuns.map((x) => [x.pipelineTask, x]));
  const dump = dumpRun(run);
  expect([dump, t.sweep.status, t.analyze.status]).toEqual([dump, 'Succeeded', 'Succeeded']);
  return {
    run,
    t,
    sha,
    verdict: read<Verdict>('analysis/verdict.json'),
    a: read<SweepSummary>('runs/a/summary.json'),
    b: read<SweepSummary>('runs/b/summary.json'),
    samples,
  };
}

type Run = Awaited<ReturnType<typeof runPr>>;

/**
 * Both arms ran the same number of trials, fewer than the maximum, in the order A B A B: trial k of the baseline
 * ends before trial k of the candidate starts, which ends before trial k+1 of the baseline starts.
 */
function expectInterleavedEarlyStop(r: Run): number {
  expect(r.a.plan?.ab).toMatchObject({ arm: 'a', peer_backend: 'vllm-b' });
  expect(r.b.plan?.ab).toMatchObject({ arm: 'b', peer_backend: 'vllm' });
  expect(r.b.plan?.sequential).toMatchObject({ reference: 'ab', design: { max_trials: MAX_TRIALS } });
  const trials = r.b.points[0].trials!.length;
  expect(r.a.points[0].trials!.length).toBe(trials);
  expect(trials).toBeLessThan(MAX_TRIALS);
  const [sa, sb] = [r.samples('a'), r.samples('b')];
  const span = (ls: Sample[], k: number) => {
    const x = ls.filter((l) => l.trial === k);
    return [Math.min(...x.map((l) => l.sent_ms)), Math.max(...x.map((l) => l.end_ms ?? Infinity))];
  };
  const order = Array.from({ length: trials }, (_, k) => [span(sa, k), span(sb, k)]).flat();
  for (let i = 1; i < order.length; i++) expect([i, order[i][0] >= order[i - 1][1]]).toEqual([i, true]);
  return trials;
}

/** Both arms were deployed under their own run-scoped names, and both are gone after finally. */
function expectBothArmsDeployedAndRemoved(r: Run, name: string): void {
  const applied = kube.requests
    .filter((q) => q.method === 'PATCH' && q.path.includes('/deployments/'))
    .map((q) => q.path.split('/').pop()!);
  const arms = [workloadName('vllm', name), workloadName('vllm', `${name}-baseline`)];
  expect(applied.filter((n) => arms.includes(n)).sort()).toEqual([...arms].sort());
  for (const n of arms) expect(kube.get('Deployment', 'llm-bench', n)).toBeUndefined();
  expect([r.t['teardown'].status, r.t['teardown-baseline'].status]).toEqual(['Succeeded', 'Succeeded']);
  expect(kube.rejected).toEqual([]);
}

const gated = (v: Verdict) => v.comparisons.filter((c) => c.gated);

/**
 * Each metric's last look decided `decision` on pairs (as many baseline as candidate trials); a metric decided
 * early stops looking while the sweep goes on for the others, and the last to decide did so at the last trial.
 */
function expectLastLooks(cs: Verdict['comparisons'], decision: string, trials: number): void {
  const lasts = cs.map((c) => c.sequential!.looks.at(-1)!);
  for (const l of lasts) {
    expect(l.decision).toBe(decision);
    expect(l.baseline_trials).toBe(l.candidate_trials);
    expect(l.candidate_trials).toBeLessThanOrEqual(trials);
  }
  expect(Math.max(...lasts.map((l) => l.candidate_trials))).toBe(trials);
}
const checkRun = (sha: string) =>
  gh.repos
    .get('octo/bench')!
    .checkRuns.filter((c) => c.head_sha === sha)
    .at(-1);

/** A commit of its own per PR run (its check run is found by head SHA). */
function commit(name: string): string {
  git(src, 'commit', '-q', '--allow-empty', '-m', `candidate ${name}`);
  return git(src, 'rev-parse', 'HEAD');
}

describe('Pipelines-as-Code PR runs: an A/B gate against a live baseline server (harness, two simulators, fakes)', () => {
  // The two PR runs are independent (own names, servers, commits, work dirs): run side by side, as two PRs would,
  // which keeps this file's wall time near one run's.
  let same: Promise<Run>;
  let slow: Promise<Run>;
  beforeAll(() => {
    const [a, b] = [commit('ab-same'), commit('ab-slow')];
    same = runPr('ab-same', a, 1);
    slow = runPr('ab-slow', b, 1.05);
    // Both settle before the tests read them; a rejection is reported by the test that awaits it.
    same.catch(() => undefined);
    slow.catch(() => undefined);
  });

  it('an unchanged candidate: every gated metric stops at "pass" early, interleaved A B A B; check succeeds', async () => {
    const r = await same;
    expect(r.run.results.verdict).toBe('pass');
    expect(r.run.status).toBe('Succeeded');
    const trials = expectInterleavedEarlyStop(r);
    expect(r.verdict.rule?.sequential?.reference).toBe('ab');
    expect(gated(r.verdict).length).toBeGreaterThan(0);
    for (const c of gated(r.verdict)) expect([c.metric, c.sequential?.stop]).toEqual([c.metric, 'pass']);
    expectLastLooks(gated(r.verdict), 'pass', trials);
    expectBothArmsDeployedAndRemoved(r, 'ab-same');
    expect(checkRun(r.sha)?.conclusion).toBe('success');
  }, 240_000);

  it('a candidate 5 % slower than its baseline: "regression" found early; the check run and the run fail', async () => {
    const r = await slow;
    expect(r.run.results.verdict).toBe('regression');
    const trials = expectInterleavedEarlyStop(r);
    // The sweep ends at the first regression: throughput or TPOT (both 5 % worse) decided it, neither passed.
    const speed = gated(r.verdict).filter((c) => ['output_tokens_per_s', 'tpot_ms.p50'].includes(c.metric));
    expect(speed.map((c) => c.sequential?.stop)).not.toContain('pass');
    const hit = speed.filter((c) => c.sequential?.stop === 'regression');
    expect(hit.length).toBeGreaterThan(0);
    expectLastLooks(hit, 'regression', trials);
    for (const c of hit) {
      const last = c.sequential!.looks.at(-1)!;
      expect([c.metric, Math.abs(last.delta_pct!) > 3]).toEqual([c.metric, true]); // beyond the 3 % tolerance
    }
    // A regression is a verdict, not a crash: report posts it, then fails the run (fail-on-regression).
    expect(r.t.report.steps.map((s) => [s.name, s.exitCode])).toEqual([
      ['report', 0],
      ['gate', 1],
    ]);
    expect(r.run.status).toBe('Failed');
    expectBothArmsDeployedAndRemoved(r, 'ab-slow');
    expect(checkRun(r.sha)?.conclusion).toBe('failure');
    const comments = gh.repos.get('octo/bench')!.comments;
    expect(String(comments.at(-1)?.body)).toMatch(/regression/i);
    expect(gh.violations).toEqual([]);
  }, 240_000);
});

describe('apply, wait and teardown scripts take the arm (their own script, `llmbench` stubbed to print its argv)', () => {
  const argv = (task: string, env: Record<string, string>) => {
    const t = yaml.load(readFileSync(path.join(REPO_ROOT, `tekton/tasks/${task}.yaml`), 'utf8')) as Record<string, any>;
    const step = t.spec.steps[0];
    const dir = mkdtempSync(path.join(os.tmpdir(), `${task}-step-`));
    try {
      // wait reads its deploy report back for the results: the stub writes one where it was told to.
      const stub = [
        '#!/bin/sh',
        'for a in "$@"; do echo "$a"; done',
        'while [ $# -gt 0 ]; do [ "$1" = --workdir ] && w="$2"; shift; done',
        'mkdir -p "$w/deploy" && echo \'{"endpoint":"http://x:8000"}\' > "$w/deploy/vllm.json"',
      ];
      writeFileSync(path.join(dir, 'llmbench'), stub.join('\n') + '\n', { mode: 0o755 });
      const declared = Object.fromEntries((step.env as { name: string }[]).map((e) => [e.name, '']));
      const script = String(step.script).replace(/\$\(results\.([a-z-]+)\.path\)/g, `${dir}/result-$1`);
      const base = { PATH: `${dir}:/usr/bin:/bin`, WORKDIR: dir, BACKEND: 'vllm', NAMESPACE: 'llm-bench' };
      const r = spawnSync('sh', ['-c', script], { env: { ...declared, ...base, ...env }, encoding: 'utf8' });
      return { code: r.status, err: r.stderr, args: r.stdout.split('\n').map((a) => a.replace(dir, '$WORKDIR')) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const after = (a: string[], flag: string) => (a.includes(flag) ? a[a.indexOf(flag) + 1] : undefined);

  it.each(['apply', 'wait', 'teardown'])(
    '%s: arm baseline → run id <run>-baseline, files under arms/baseline/',
    (task) => {
      const arm = argv(task, { PIPELINE_RUN: 'pr-1', ARM: 'baseline' });
      expect([arm.code, arm.err]).toEqual([0, '']);
      expect([after(arm.args, '--run-id'), after(arm.args, '--workdir')]).toEqual([
        'pr-1-baseline',
        '$WORKDIR/arms/baseline',
      ]);
      // The owner label stays the PipelineRun (the janitor finds both arms by it).
      if (task === 'apply') expect(after(arm.args, '--pipeline-run')).toBe('pr-1');
      const one = argv(task, { PIPELINE_RUN: 'pr-1', ARM: '' });
      expect([after(one.args, '--run-id'), after(one.args, '--workdir')]).toEqual(['pr-1', '$WORKDIR']);
      const bad = argv(task, { PIPELINE_RUN: 'pr-1', ARM: 'Base_line' });
      expect([bad.code, bad.err]).toEqual([2, expect.stringContaining("arm 'Base_line'")]);
    },
  );
});
