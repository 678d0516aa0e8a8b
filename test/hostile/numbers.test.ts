/**
 * Numbers are checked at the edges (issue 16 item 8): timeouts and rates within what Node's timers (2^31-1 ms) and
 * the clock can represent, and flags validated by the same schema ranges as the config.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../steps/cli.js';
import { parseConfig } from '../../steps/core/config.js';
import { InvalidInputError } from '../../steps/core/errors.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'llmbench-numbers-'));

async function sweep(...flags: string[]): Promise<{ code: number; err: string; out: string }> {
  let err = '';
  const out = path.join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const code = await main({
    argv: ['sweep', '--backend', 'vllm', '--url', 'http://127.0.0.1:1', '--out', out, ...flags],
    stdout: () => {},
    stderr: (s) => (err += s),
    env: { LLMBENCH_LOG_LEVEL: 'warn' },
  });
  return { code, err, out };
}

function configProblem(load: string): string {
  try {
    parseConfig(`version: 1\nbackends:\n  - kind: vllm\nload: { ${load} }\n`);
  } catch (e) {
    return (e as InvalidInputError).problems.map((p) => `${p.path}: ${p.message}`).join('\n');
  }
  return '';
}

describe('timers and clocks', () => {
  it.each([
    [
      '--timeout 10000000 overflowed the timer (every request timed out after 1 ms)',
      ['--timeout', '10000000'],
      '--timeout',
      'timeout_s: 1e7',
      '/load/timeout_s',
    ],
    [
      '--rate 1e-9 sent everything at once and reported 66.7 req/s',
      ['--rate', '1e-9'],
      '--rate/0',
      'mode: rate, rate: [1e-9]',
      '/load/rate/0',
    ],
    [
      '--stall-timeout past the timer range',
      ['--stall-timeout', '3e6'],
      '--stall-timeout',
      'stall_timeout_s: 3e6',
      '/load/stall_timeout_s',
    ],
    ['--duration past the timer range', ['--duration', '1e10'], '--duration', 'duration_s: 1e10', '/load/duration_s'],
  ])('%s: now exit 2 before anything is sent, flag and config alike', async (_n, flags, flag, load, field) => {
    const r = await sweep(...flags);
    expect(r.code).toBe(2);
    expect(r.err).toContain(flag);
    expect(r.err).toContain('the same range as the config field');
    expect(existsSync(r.out)).toBe(false);
    expect(configProblem(load)).toContain(field);
  });
});

describe('flags take the config ranges', () => {
  it.each([
    ['--trials 101', ['--trials', '101'], 'trials: 101', '≤ 100'],
    ['--concurrency 1e9', ['--concurrency', '1e9'], 'concurrency: [1000000000]', '≤ 100000'],
  ])(
    '%s was accepted where the config rejected it: now exit 2 with the config range',
    async (_n, flags, load, range) => {
      const r = await sweep(...flags);
      expect(r.code).toBe(2);
      expect(r.err).toContain(range);
      expect(configProblem(load)).toMatch(/must be <= (100|100000)/);
    },
  );

  it('values inside the ranges still pass validation (the sweep then fails to connect: exit 3, not 2)', async () => {
    const r = await sweep('--trials', '1', '--requests', '1', '--warmup', '0', '--concurrency', '1', '--timeout', '2');
    expect(r.code).toBe(3);
  }, 30_000);
});
