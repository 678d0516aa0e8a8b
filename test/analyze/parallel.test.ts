/** The parallel reader (worker threads per trial) must give exactly what the sequential reader gives. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeSynthRun } from '../../steps/analyze/synth.js';
import { readSamples } from '../../steps/analyze/samples.js';
import { readSamplesParallel, scanKey } from '../../steps/analyze/parallel.js';
import { pointKey } from '../../steps/metrics/derive.js';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'llmbench-parallel-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function both(dir: string) {
  const file = path.join(dir, 'samples.ndjson');
  const summaryPoints = JSON.parse(await fs.readFile(path.join(dir, 'summary.json'), 'utf8')).points;
  const seq = await readSamples(file, { summaryPoints });
  const [par] = await readSamplesParallel([{ file, opts: { summaryPoints } }], 2);
  return { seq, par };
}

describe('parallel re-derivation', () => {
  test('scanKey reads the same key parsing would', () => {
    const line = JSON.stringify({
      v: 1,
      run_id: 'x',
      backend: 'b',
      concurrency: null,
      rate: 2.5,
      trial: 3,
      error: { message: '"rate":99' },
    });
    expect(scanKey(line)).toBe(`${pointKey({ concurrency: null, rate: 2.5 })}#3`);
  });

  test('ordered trials with warmup, a corrupt middle line and a torn last line: identical to sequential', async () => {
    const dir = path.join(tmp, 'ordered');
    await writeSynthRun(dir, { backend: 'vllm', concurrency: [1, 4], trials: 3, requests: 20, warmup: 2, seed: 9 });
    const f = path.join(dir, 'samples.ndjson');
    const lines = (await fs.readFile(f, 'utf8')).split('\n');
    lines[30] = '{"v":1,"garbage":true,"concurrency":1,"rate":null,"trial":0}';
    await fs.writeFile(f, lines.join('\n').replace(/\n$/, '') + '\n{"v":1,"run_id":"x","concurren');
    const { seq, par } = await both(dir);
    expect(par).toEqual(seq);
    expect(par.corrupt).toHaveLength(1);
    expect(par.tornLastLine).toBe(true);
  }, 60_000);

  test('interleaved points fall back to the exact path', async () => {
    const dir = path.join(tmp, 'inter');
    await writeSynthRun(dir, {
      backend: 'vllm',
      concurrency: [1, 4],
      trials: 3,
      requests: 10,
      seed: 10,
      interleave: true,
    });
    const { seq, par } = await both(dir);
    expect(par).toEqual(seq);
  }, 60_000);
});
