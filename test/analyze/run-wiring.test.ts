/** `llmbench run` analyzes its sweeps against the configured baseline and returns the verdict's exit code. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../steps/core/config.js';
import { silentLogger } from '../../steps/core/log.js';
import { runPipeline } from '../../steps/run/run.js';
import type { Verdict } from '../../steps/core/types/verdict.js';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'llmbench-runwire-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const config = (baseline: string, extra = '') =>
  parseConfig(
    [
      'version: 1',
      'backends:',
      '  - kind: vllm',
      'load:',
      '  concurrency: [2]',
      '  requests: 4',
      '  trials: 2',
      '  warmup: 0',
      'workload:',
      '  output_tokens: 8',
      '  input_tokens: 16',
      'baseline:',
      `  path: ${JSON.stringify(baseline)}`,
      extra,
      '',
    ].join('\n'),
  );

describe('run → analyze wiring', () => {
  test('a baseline of another schema version makes the run inconclusive (exit 4) with the reason, not a crash', async () => {
    const v2 = path.join(tmp, 'v2.json');
    await fs.writeFile(v2, JSON.stringify({ schema_version: 2, created_at: '2026-01-01T00:00:00Z', backends: [] }));
    const res = await runPipeline(config(v2), path.join(tmp, 'w1'), { log: silentLogger });
    expect(res.verdict).toBe('inconclusive');
    expect(res.exitCode).toBe(4);
    const v: Verdict = JSON.parse(await fs.readFile(path.join(tmp, 'w1', 'analysis', 'verdict.json'), 'utf8'));
    expect(v.findings.find((f) => f.code === 'baseline-schema-mismatch')?.message).toMatch(/schema_version 2/);
  }, 120_000);

  test('nightly update: records history and writes the baseline the next run is compared against', async () => {
    const base = path.join(tmp, 'nightly-baseline.json');
    const hist = path.join(tmp, 'history');
    const cfg = config(base, `  history_dir: ${JSON.stringify(hist)}\n  update: true`);
    const first = await runPipeline(cfg, path.join(tmp, 'n1'), { log: silentLogger });
    expect(first.verdict).toBe('inconclusive'); // nothing to compare against yet
    const entries = await fs.readdir(hist);
    expect(entries).toHaveLength(1);
    const entry = JSON.parse(await fs.readFile(path.join(hist, entries[0]), 'utf8'));
    const v: Verdict = JSON.parse(await fs.readFile(path.join(tmp, 'n1', 'analysis', 'verdict.json'), 'utf8'));
    expect(v.findings.some((f) => f.code === 'no-baseline')).toBe(true);
    // Baselines only from clean runs: on a starved CPU the load generator's self-check may flag the night, and
    // then no baseline may appear; otherwise it must, with one value per trial.
    const written = await fs.readFile(base, 'utf8').then(JSON.parse, () => null);
    expect(written !== null).toBe(entry.clean);
    if (written) expect(written.backends[0].points[0].metrics.output_tokens_per_s).toHaveLength(2);
    else expect(entry.problems.join(' ')).toMatch(/client-bottleneck|point-invalid/);
  }, 120_000);
});
