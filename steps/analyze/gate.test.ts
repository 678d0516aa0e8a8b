import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { builtinConfig, parseConfig } from '../core/config.js';
import { REPO_ROOT } from '../core/paths.js';
import type { Sample } from '../core/types/sample.js';
import { baselineSupportsGate, designOf, gateBaselineEntry, sequentialGate, sequentialProblems } from './gate.js';

const regression = (yaml: string) =>
  parseConfig(`version: 1\nbackends: [{kind: vllm}]\nregression:\n${yaml}`).regression;

describe('sequential design checks (bad input)', () => {
  test('the defaults reach their target', () => {
    expect(sequentialProblems(builtinConfig().regression)).toEqual([]);
  });
  test('max_trials 2 is refused, naming the smallest maximum that reaches the power target', () => {
    const p = sequentialProblems(regression('  sequential: { max_trials: 2 }\n'));
    expect(p).toHaveLength(1);
    expect(p[0].path).toBe('/regression/sequential/max_trials');
    expect(p[0].message).toMatch(/output_tokens_per_s .* with probability 0.0 %/);
    // latency metrics (a 5 % rise is a smaller log change than a 5 % drop) need 15, throughput 14
    expect(p[0].message).toMatch(/the smallest maximum that reaches it is 15$/);
  });
  test('the configured noise counts: 5 % noise needs more trials than any sane maximum at 5 % detectable', () => {
    const p = sequentialProblems(regression('  sequential: { noise_pct: 5 }\n'));
    expect(p[0].message).toMatch(/smallest maximum that reaches it is (\d+)/);
    expect(Number(/is (\d+)$/.exec(p[0].message)![1])).toBeGreaterThan(16);
  });
  test('a tolerance at or above the detectable size is refused with its path', () => {
    const p = sequentialProblems(regression("  metrics: { 'ttft_ms.p50': { tolerance_pct: 25 } }\n"));
    expect(p.map((x) => x.path)).toEqual(['/regression/metrics/ttft_ms.p50/tolerance_pct']);
  });
  test('turned off, nothing is checked', () => {
    expect(sequentialProblems(regression('  sequential: { enabled: false, max_trials: 2 }\n'))).toEqual([]);
    expect(designOf(regression('  sequential: { enabled: false }\n'))).toBeNull();
  });
  test('llmbench run exits 2 at validation, before any work', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'llmbench-gate-'));
    try {
      const cfg = path.join(dir, 'c.yaml');
      writeFileSync(cfg, 'version: 1\nbackends: [{kind: vllm}]\nregression:\n  sequential: { max_trials: 2 }\n');
      const r = spawnSync(
        process.execPath,
        [path.join(REPO_ROOT, 'steps/bin/llmbench.js'), 'run', '--config', cfg, '--workdir', path.join(dir, 'w')],
        { encoding: 'utf8' },
      );
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/\/regression\/sequential\/max_trials.*smallest maximum that reaches it is 15/);
      expect(spawnSync('ls', [path.join(dir, 'w')]).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

/** Measured samples of one trial, sequential requests of 100 tokens each at `tps` tokens/s. */
function trial(trialNo: number, tps: number, arm: 'a' | 'b'): Sample[] {
  const out: Sample[] = [];
  const dur = 100_000 / tps; // ms per request
  for (let i = 0; i < 10; i++) {
    const sent = i * dur;
    const chunks = [sent + 20, sent + dur - 1];
    out.push({
      v: 1,
      run_id: 'r',
      backend: arm,
      concurrency: 1,
      rate: null,
      trial: trialNo,
      seq: i,
      prompt_index: 0,
      warmup: false,
      intended_send_ms: sent,
      sent_ms: sent,
      headers_ms: sent + 5,
      chunk_ms: chunks,
      chunk_tokens: [1, 99],
      end_ms: sent + dur,
      input_tokens: { requested: 8, client: 8, server: 8 },
      output_tokens: { requested: 100, server: 100, client: 100 },
      finish_reason: 'length',
      ok: true,
      error: null,
    });
  }
  return out;
}

describe('which baseline entry the gate may use', () => {
  const cfg = builtinConfig();
  const design = designOf(cfg.regression)!;
  const entry = (n: number, fingerprint = 'sha256:w') => ({
    backend: 'vllm',
    fingerprint,
    points: [
      {
        concurrency: 4,
        rate: null,
        metrics: Object.fromEntries(
          ['output_tokens_per_s', 'ttft_ms.p50', 'tpot_ms.p50'].map((k) => [k, Array.from({ length: n }, () => 100)]),
        ),
      },
    ],
  });
  test('a 3-trial baseline cannot reach the target whatever the candidate does; 16 trials can', () => {
    expect(baselineSupportsGate(design, cfg.regression, entry(3))).toBe(false);
    expect(baselineSupportsGate(design, cfg.regression, entry(16))).toBe(true);
  });
  test('only the same backend and workload', () => {
    expect(gateBaselineEntry(design, cfg.regression, [entry(16)], 'vllm', 'sha256:w').entry).toBeDefined();
    expect(gateBaselineEntry(design, cfg.regression, [entry(16)], 'vllm', 'sha256:x').why).toMatch(/another workload/);
    expect(gateBaselineEntry(design, cfg.regression, [entry(3)], 'vllm', 'sha256:w').why).toMatch(/too few trials/);
    expect(gateBaselineEntry(design, cfg.regression, [entry(16)], 'tgi', 'sha256:w')).toEqual({});
    expect(gateBaselineEntry(null, cfg.regression, [entry(16)], 'vllm', 'sha256:w')).toEqual({});
  });
});

describe('the gate between trials', () => {
  const cfg = builtinConfig();
  const design = designOf(cfg.regression)!;
  const gate = () =>
    sequentialGate({
      design,
      regression: { ...cfg.regression, metrics: { 'ttft_ms.p50': { gate: false }, 'tpot_ms.p50': { gate: false } } },
      reference: { mode: 'ab' },
    });
  const noise = [1, 1.02, 0.98, 1.01, 0.99, 1.015, 0.985, 1.005];
  test('continues before the first look, then stops the sweep at a clear 15 % drop', () => {
    const g = gate();
    const p = { concurrency: 1, rate: null };
    const steps = [0, 1, 2, 3].map((t) =>
      g.after(p, t, [
        { backend: 'a', arm: 'a', samples: trial(t, 1000 * noise[t], 'a') },
        { backend: 'b', arm: 'b', samples: trial(t, 850 * noise[t + 1], 'b') },
      ]),
    );
    expect(steps[0]).toBe('continue');
    expect(steps[1]).toBe('continue');
    expect(steps).toContain('stop');
  });
  test('moves to the next point once no 5 % drop is left', () => {
    const g = gate();
    const p = { concurrency: 1, rate: null };
    let step = 'continue';
    let t = 0;
    for (; t < 8 && step === 'continue'; t++)
      step = g.after(p, t, [
        { backend: 'a', arm: 'a', samples: trial(t, 1000 * noise[t], 'a') },
        { backend: 'b', arm: 'b', samples: trial(t, 1000 * noise[7 - t], 'b') },
      ]);
    expect(step).toBe('next-point');
    expect(t).toBeGreaterThanOrEqual(design.min_trials);
  });
});
