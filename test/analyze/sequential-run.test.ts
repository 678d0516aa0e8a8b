/**
 * The sequential gate through `llmbench run`. A/B (load.ab: true): two simulated servers, trials interleaved; a
 * planted regression stops early as a regression, an unchanged candidate stops early as a pass, and the verdict
 * records the design, the looks and why each comparison stopped. Against a baseline file: a nightly run (fixed
 * trials) writes it, the next run gates on it.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../steps/core/config.js';
import { silentLogger } from '../../steps/core/log.js';
import { runPipeline } from '../../steps/run/run.js';
import { validate } from '../../steps/core/schemas.js';
import type { Verdict } from '../../steps/core/types/verdict.js';
import type { SweepSummary } from '../../steps/core/types/sweep-summary.js';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'llmbench-seqrun-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Candidate slowed by `slowdown` relative to the reference (the simulator's fault: every step time × slowdown). */
const config = (slowdown: number) =>
  parseConfig(
    [
      'version: 1',
      // Real time on a slower simulated GPU (A10), both arms slowed 2.5x: the load generator's self-check judges its
      // own lag against half an ITL, and must hold on a busy shared machine (~90 ms ITL here).
      'gpu_profile: a10-24gb',
      'backends:',
      '  - { kind: vllm, id: base, sim: { time_scale: 1, faults: { slowdown: 2.5 } } }',
      `  - { kind: vllm, id: cand, sim: { time_scale: 1, faults: { slowdown: ${2.5 * slowdown} } } }`,
      'load: { ab: true, concurrency: [4], requests: 8, warmup: 1 }',
      'workload: { output_tokens: 12, input_tokens: 64 }',
      // the simulator's TTFT varies far more than 3 % between trials; it is gated with its own sizes
      "regression: { metrics: { 'ttft_ms.p50': { tolerance_pct: 25, detectable_pct: 40 } } }",
      '',
    ].join('\n'),
  );

async function run(name: string, slowdown: number) {
  const workdir = path.join(tmp, name);
  const res = await runPipeline(config(slowdown), workdir, { log: silentLogger });
  const verdict = JSON.parse(await fs.readFile(path.join(workdir, 'analysis', 'verdict.json'), 'utf8')) as Verdict;
  const cand = JSON.parse(
    await fs.readFile(path.join(workdir, 'runs', 'cand', 'summary.json'), 'utf8'),
  ) as SweepSummary;
  expect(validate('verdict', verdict)).toEqual([]);
  return { res, verdict, cand, gated: verdict.comparisons.filter((c) => c.gated) };
}

describe('sequential A/B gate through llmbench run', () => {
  test('a planted 8 % slowdown stops early as a regression (exit 1)', async () => {
    const { res, verdict, cand, gated } = await run('regression', 1.08);
    expect(res.exitCode).toBe(1);
    expect(verdict.baseline?.path).toMatch(/^A\/B: arm a/);
    expect(verdict.rule?.sequential?.reference).toBe('ab');
    expect(cand.plan?.ab?.arm).toBe('b');
    expect(cand.plan?.sequential?.design.max_trials).toBe(16);
    const reg = gated.find((c) => c.verdict === 'regression')!;
    expect(reg.sequential?.stop).toBe('regression');
    expect(reg.sequential!.looks.at(-1)!.decision).toBe('regression');
    expect(cand.points[0].trials!.length).toBeLessThan(16);
  }, 300_000);

  test('an unchanged candidate stops early as a pass (exit 0), each gated metric with its bound', async () => {
    const { res, verdict, cand, gated } = await run('same', 1.0);
    expect(verdict.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(res.exitCode).toBe(0);
    for (const c of gated) {
      expect(c.sequential?.stop).toBe('pass');
      expect(c.sequential!.worse_bound_pct!).toBeLessThan(c.sequential!.detectable_pct!);
    }
    expect(cand.points[0].trials!.length).toBeLessThan(16);
  }, 300_000);

  test('against a baseline file: a nightly run writes 16 fixed trials, the next run gates on them and stops early', async () => {
    const bl = path.join(tmp, 'baseline.json');
    const cfg = (update: boolean) =>
      parseConfig(
        [
          'version: 1',
          'gpu_profile: a10-24gb',
          'backends: [{ kind: vllm, sim: { time_scale: 1, faults: { slowdown: 2.5 } } }]',
          'load: { concurrency: [4], requests: 8, warmup: 1, trials: 16 }',
          'workload: { output_tokens: 12, input_tokens: 64 }',
          "regression: { metrics: { 'ttft_ms.p50': { tolerance_pct: 25, detectable_pct: 40 } } }",
          `baseline: { path: ${JSON.stringify(bl)}, history_dir: ${JSON.stringify(path.join(tmp, 'history'))}, update: ${update} }`,
          '',
        ].join('\n'),
      );
    await runPipeline(cfg(true), path.join(tmp, 'nightly'), { log: silentLogger });
    const nightly = JSON.parse(await fs.readFile(path.join(tmp, 'nightly', 'runs', 'vllm', 'summary.json'), 'utf8'));
    expect(nightly.plan.sequential).toBeNull(); // nightly keeps filling the history with fixed trials
    expect(nightly.points[0].trials).toHaveLength(16);
    const res = await runPipeline(cfg(false), path.join(tmp, 'pr'), { log: silentLogger });
    const pr = JSON.parse(await fs.readFile(path.join(tmp, 'pr', 'runs', 'vllm', 'summary.json'), 'utf8'));
    const verdict = JSON.parse(await fs.readFile(path.join(tmp, 'pr', 'analysis', 'verdict.json'), 'utf8')) as Verdict;
    expect(pr.plan.sequential.reference).toBe('baseline');
    expect(pr.points[0].trials.length).toBeLessThan(16);
    expect(verdict.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(res.exitCode).toBe(0);
    for (const c of verdict.comparisons.filter((x) => x.gated)) {
      expect(c.sequential?.stop).toBe('pass');
      expect(c.sequential?.looks.every((l) => l.baseline_trials === 16)).toBe(true);
    }
  }, 300_000);
});
