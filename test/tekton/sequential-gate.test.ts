/**
 * The sequential gate on the Pipelines-as-Code entry points, end to end on the harness: the nightly PipelineRun
 * (.tekton/nightly.yaml, fixed trials) writes a 16-trial baseline, a maintainer commits it on main, and the PR
 * PipelineRun (.tekton/pull-request.yaml, its A/B gate turned off: ab "false") then gates each trial on it
 * (llmbench sweep --baseline, the file source fetched for analyze) and stops as soon as the answer is clear: an
 * unchanged server passes, one slowed by 5 %
 * (the simulator's faults.slowdown) is a regression — each long before the design's 16 trials.
 * Substitutions as in pac-harness.test.ts: the server is `llmbench sim` reached through `endpoint`, the image is
 * prebuilt, the repository a local git repository over file://, GitHub and Kubernetes are the fakes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { REPO_ROOT } from '../../steps/core/paths.js';
import type { Verdict } from '../../steps/core/types/verdict.js';
import type { SweepSummary } from '../../steps/core/types/sweep-summary.js';
import type { Baseline } from '../../steps/core/types/baseline.js';
import type { FakeGitHub } from '../fakes/github/server.js';
import { dumpRun } from './harness.js';
import type { PacEvent } from './pac.js';
import { runGatePac, type GateRun } from './gate-run.js';
import { GATE_MAX_TRIALS, git, startGateEnv, startSlowSim, stopSim, type GateEnv } from './setup.js';

const TOKEN = 'ghs_PaCsequentialGateToken0123456789abcd';
const DIGEST = 'sha256:' + 'cd'.repeat(32);
const MAX_TRIALS = GATE_MAX_TRIALS;
let env: GateEnv;
let root: string;
let src: string;
let gh: FakeGitHub;

beforeAll(async () => {
  env = await startGateEnv('tekton-seq-', TOKEN, DIGEST);
  ({ root, src, gh } = env);
}, 60_000);

afterAll(() => env?.close());

/** The PipelineRun PaC makes from `file` for `event`, run on the harness against a simulator slowed by `slowdown`. */
async function runPac(name: string, file: string, event: Partial<PacEvent>, slowdown: number) {
  const sim = await startSlowSim(slowdown);
  let r: GateRun;
  try {
    // The baseline-file gate: the PR entry point's A/B gate (ab "true", a live baseline server) is ab-gate.test.ts;
    // here the run compares with the committed nightly baseline, as a run without A/B does.
    r = await runGatePac(env, name, file, event, { endpoint: sim.url, ab: 'false' });
  } finally {
    await stopSim(sim.proc);
  }
  const { run, work, sha } = r;
  const read = <T>(f: string) => JSON.parse(readFileSync(path.join(work, f), 'utf8')) as T;
  const t = Object.fromEntries(run.taskRuns.map((x) => [x.pipelineTask, x]));
  expect([dumpRun(run), t.sweep.status, t.analyze.status]).toEqual([dumpRun(run), 'Succeeded', 'Succeeded']);
  return {
    run,
    t,
    sha,
    verdict: read<Verdict>('analysis/verdict.json'),
    summary: read<SweepSummary>('runs/vllm/summary.json'),
  };
}

const gated = (v: Verdict) => v.comparisons.filter((c) => c.gated);
const checkRun = (sha: string) =>
  gh.repos
    .get('octo/bench')!
    .checkRuns.filter((c) => c.head_sha === sha)
    .at(-1);

describe('Pipelines-as-Code PR runs gate sequentially on the nightly baseline (harness, simulator, fakes)', () => {
  it('nightly (incoming webhook): fixed trials, a baseline of 16 trials per metric, committed on main', async () => {
    const { run, summary, verdict } = await runPac('nightly', '.tekton/nightly.yaml', { kind: 'incoming' }, 1);
    expect(run.status).toBe('Succeeded');
    expect(summary.plan?.sequential).toBeNull(); // update-baseline: --no-sequential, the history needs fixed trials
    expect(summary.points[0].trials).toHaveLength(MAX_TRIALS);
    expect(verdict.rule?.sequential ?? null).toBeNull();
    const file = path.join(root, 'history', 'baseline.json');
    expect(existsSync(file)).toBe(true);
    const bl = JSON.parse(readFileSync(file, 'utf8')) as Baseline;
    expect(bl.backends.map((b) => b.points[0].metrics['output_tokens_per_s']?.length)).toEqual([MAX_TRIALS]);
    // Promote it the way a maintainer would: commit it where the PR runs' baseline-path points (the default).
    mkdirSync(path.join(src, 'results', 'baselines'), { recursive: true });
    writeFileSync(path.join(src, 'results', 'baselines', 'default.json'), readFileSync(file));
    git(src, 'add', '.');
    git(src, 'commit', '-q', '-m', 'baseline from nightly');
  }, 300_000);

  it('an unchanged server: every gated metric stops at "pass" well before 16 trials; the check run succeeds', async () => {
    const { run, sha, summary, verdict } = await runPac('pr-same', '.tekton/pull-request.yaml', { pullRequest: 7 }, 1);
    expect(run.results.verdict).toBe('pass');
    expect(run.status).toBe('Succeeded');
    expect(verdict.rule?.sequential).toMatchObject({ reference: 'baseline', design: { max_trials: MAX_TRIALS } });
    expect(summary.plan?.sequential?.reference).toBe('baseline');
    const trials = summary.points[0].trials!.length;
    expect(trials).toBeLessThan(MAX_TRIALS);
    expect(gated(verdict).length).toBeGreaterThan(0);
    // A metric that passed early stops looking while the sweep goes on for the others (this assertion once
    // expected every last look at the final trial, and failed when one metric passed first).
    for (const c of gated(verdict)) {
      expect([c.metric, c.sequential?.stop]).toEqual([c.metric, 'pass']);
      const last = c.sequential!.looks.at(-1)!;
      expect(last).toMatchObject({ decision: 'pass', baseline_trials: MAX_TRIALS });
      expect(last.candidate_trials).toBeLessThanOrEqual(trials);
      expect(c.sequential!.worse_bound_pct!).toBeLessThan(c.sequential!.detectable_pct!);
    }
    expect(Math.max(...gated(verdict).map((c) => c.sequential!.looks.at(-1)!.candidate_trials))).toBe(trials);
    expect(checkRun(sha)?.conclusion).toBe('success');
  }, 300_000);

  it('a planted 5 % slowdown: throughput or TPOT stops at "regression" early; the check run fails', async () => {
    git(src, 'commit', '-q', '--allow-empty', '-m', 'a slower server');
    const { run, t, sha, summary, verdict } = await runPac(
      'pr-slow',
      '.tekton/pull-request.yaml',
      { pullRequest: 7 },
      1.05,
    );
    expect(run.results.verdict).toBe('regression');
    expect(verdict.rule?.sequential?.reference).toBe('baseline');
    const trials = summary.points[0].trials!.length;
    expect(trials).toBeLessThan(MAX_TRIALS);
    // Regression (CI, 2026-12-07): this expected both throughput and TPOT at "regression", but the sweep ends at the
    // first regression, so the other one may end "trials-ended". Throughput or TPOT (both 5 % worse) decides it;
    // neither passes.
    const speed = gated(verdict).filter((c) => ['output_tokens_per_s', 'tpot_ms.p50'].includes(c.metric));
    expect(speed.map((c) => c.sequential?.stop)).not.toContain('pass');
    const hit = speed.filter((c) => c.sequential?.stop === 'regression');
    expect(hit.length).toBeGreaterThan(0);
    for (const c of hit) {
      const last = c.sequential!.looks.at(-1)!;
      expect(last).toMatchObject({ decision: 'regression', candidate_trials: trials });
      expect([c.metric, Math.abs(last.delta_pct!) > 3]).toEqual([c.metric, true]); // beyond the 3 % tolerance
    }
    // A regression is a verdict, not a crash: report posts it and then fails the run (fail-on-regression).
    expect(t.report.steps.map((s) => [s.name, s.exitCode])).toEqual([
      ['report', 0],
      ['gate', 1],
    ]);
    expect(run.status).toBe('Failed');
    expect(checkRun(sha)?.conclusion).toBe('failure');
    expect(gh.violations).toEqual([]);
  }, 300_000);
});

describe('the sweep step picks the gate from its params (its own script, `llmbench` stubbed to print its argv)', () => {
  const task = yaml.load(readFileSync(path.join(REPO_ROOT, 'tekton/tasks/sweep.yaml'), 'utf8')) as Record<string, any>;
  const step = task.spec.steps[0];
  /** The step's env as Tekton sets it from the params (every param reaches the script through env). */
  const args = (env: Record<string, string>, withBaseline: boolean, files: Record<string, string> = {}): string[] => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sweep-step-'));
    try {
      writeFileSync(path.join(dir, 'llmbench'), '#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n');
      chmodSync(path.join(dir, 'llmbench'), 0o755);
      if (withBaseline) files = { ...files, 'baseline/baseline.json': '{}' };
      for (const [f, body] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        writeFileSync(path.join(dir, f), body);
      }
      const declared = Object.fromEntries((step.env as { name: string }[]).map((e) => [e.name, '']));
      const r = spawnSync('sh', ['-c', String(step.script)], {
        env: { ...declared, PATH: `${dir}:/usr/bin:/bin`, WORKDIR: dir, BACKEND: 'vllm', CLIENT_THREADS: '1', ...env },
        encoding: 'utf8',
      });
      expect([r.status, r.stderr]).toEqual([0, '']);
      return r.stdout
        .trim()
        .split('\n')
        .map((a) => a.replace(dir, '$WORKDIR'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const after = (a: string[], flag: string) => (a.includes(flag) ? a[a.indexOf(flag) + 1] : undefined);

  it('a PR run with a fetched baseline gates on it; no baseline, no gate flag', () => {
    const pr = args({ UPDATE_BASELINE: 'false' }, true);
    expect(after(pr, '--baseline')).toBe('$WORKDIR/baseline/baseline.json');
    expect(pr).not.toContain('--trials');
    expect(pr).not.toContain('--no-sequential');
    const none = args({ UPDATE_BASELINE: 'false' }, false);
    expect([none.includes('--baseline'), none.includes('--no-sequential')]).toEqual([false, false]);
  });

  it('a nightly run keeps fixed trials even with a baseline present (the history needs them)', () => {
    const nightly = args({ UPDATE_BASELINE: 'true' }, true);
    expect(nightly).toContain('--no-sequential');
    expect(nightly).not.toContain('--baseline');
  });

  it('an A/B PR run: arm A is the baseline arm (its deploy report names it), arm B this server; no baseline file', () => {
    const deploy = (endpoint: string) => JSON.stringify({ schema_version: 1, backend: 'vllm', endpoint, ready: true });
    const files = {
      'arms/baseline/deploy/vllm.json': deploy('http://llmbench-vllm-pr-1-baseline.llm-bench.svc:8000'),
      'deploy/vllm.json': deploy('http://llmbench-vllm-pr-1.llm-bench.svc:8000'),
    };
    const ab = args(
      { UPDATE_BASELINE: 'false', AB: 'true', ENDPOINT: 'http://llmbench-vllm-pr-1.llm-bench.svc:8000' },
      true,
      files,
    );
    expect(after(ab, '--url')).toBe('http://llmbench-vllm-pr-1-baseline.llm-bench.svc:8000');
    expect(after(ab, '--ab-url')).toBe('http://llmbench-vllm-pr-1.llm-bench.svc:8000');
    expect(after(ab, '--deploy-report')).toBe('$WORKDIR/arms/baseline/deploy/vllm.json');
    expect(after(ab, '--ab-deploy-report')).toBe('$WORKDIR/deploy/vllm.json');
    expect(after(ab, '--out')).toBe('$WORKDIR/runs'); // runs/a and runs/b, where analyze finds both arms
    expect([ab.includes('--baseline'), ab.includes('--no-sequential'), ab.includes('--trials')]).toEqual([
      false,
      false,
      false,
    ]);
    // A nightly run never goes A/B, whatever ab says: the history needs the candidate's fixed trials alone.
    const nightly = args({ UPDATE_BASELINE: 'true', AB: 'true', ENDPOINT: 'http://x:8000' }, true, files);
    expect([nightly.includes('--ab-url'), nightly.includes('--no-sequential')]).toEqual([false, true]);
    expect(after(nightly, '--out')).toBe('$WORKDIR/runs/vllm');
  });

  it('--trials only when the trials param is set (an explicit count means fixed trials)', () => {
    expect(after(args({ UPDATE_BASELINE: 'false', TRIALS: '5' }, true), '--trials')).toBe('5');
    expect(args({ UPDATE_BASELINE: 'false', TRIALS: '' }, true)).not.toContain('--trials');
  });
});
