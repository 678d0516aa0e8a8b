/**
 * `llmbench run` sweeps simulated backends at once, each in its own worker thread and simulator process, and
 * reports progress per backend; a stop signal ends every sweep and server, keeping what was written.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../steps/cli.js';
import { validate } from '../../steps/core/schemas.js';

const config = (dir: string, requests: number, outputTokens: number) => {
  const file = path.join(dir, 'bench.yaml');
  writeFileSync(
    file,
    [
      'version: 1',
      'backends:',
      '  - kind: vllm',
      '    sim: { time_scale: 4 }',
      '  - kind: tgi',
      '    sim: { time_scale: 6 }',
      'load:',
      '  concurrency: [1, 4]',
      `  requests: ${requests}`,
      '  trials: 2',
      '  warmup: 1',
      'workload:',
      `  output_tokens: ${outputTokens}`,
      '  input_tokens: 16',
      '',
    ].join('\n'),
  );
  return file;
};

/** Whether anything still accepts connections on a loopback port. */
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });

describe('llmbench run: simulated backends in parallel', () => {
  it('sweeps both at once, writes each one complete, and emits JSON progress with backend, trial and ETA', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'run-par-'));
    const work = path.join(dir, 'work');
    const lines: string[] = [];
    const code = await main({
      argv: ['run', '--config', config(dir, 4, 8), '--workdir', work],
      env: { CI: 'true' },
      stdout: () => {},
      stderr: (s) => lines.push(...s.split('\n').filter(Boolean)),
    });
    expect([0, 1, 4]).toContain(code);
    const logs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logs.some((l) => /sweeping vllm, tgi at once/.test(String(l.msg)))).toBe(true);
    for (const b of ['vllm', 'tgi']) {
      const summary = JSON.parse(readFileSync(path.join(work, 'runs', b, 'summary.json'), 'utf8'));
      expect(validate('sweep-summary', summary)).toEqual([]);
      expect(summary.points.map((p: { completed: number }) => p.completed)).toEqual([8, 8]);
      const samples = readFileSync(path.join(work, 'runs', b, 'samples.ndjson'), 'utf8')
        .trim()
        .split('\n');
      expect(samples).toHaveLength(2 * 2 * (4 + 1));
      const ends = logs.filter((l) => l.event === 'progress' && l.backend === b && l.phase === 'end');
      expect(ends).toHaveLength(4);
      expect(ends.at(-1)).toMatchObject({ concurrency: 4, trial: 1, trials: 2, points: 2, done: 5, total: 5 });
      expect(ends.at(-1)?.plan_done_pct).toBe(100);
      expect(typeof ends[0].eta_s).toBe('number');
    }
    // The two sweeps overlapped in time: each began its first trial before the other finished its last.
    const t = (b: string, phase: string, pick: 'first' | 'last') => {
      const xs = logs.filter((l) => l.event === 'progress' && l.backend === b && l.phase === phase);
      return Date.parse(String((pick === 'first' ? xs[0] : xs.at(-1))?.ts));
    };
    expect(t('vllm', 'start', 'first')).toBeLessThan(t('tgi', 'end', 'last'));
    expect(t('tgi', 'start', 'first')).toBeLessThan(t('vllm', 'end', 'last'));
    expect(existsSync(path.join(work, 'SUMMARY.md'))).toBe(true);
  }, 180_000);

  it('the first signal stops every sweep and simulator; finished requests stay in samples.ndjson', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'run-par-stop-'));
    const work = path.join(dir, 'work');
    const ac = new AbortController();
    const ports: number[] = [];
    let started = 0;
    const t0 = Date.now();
    const code = await main({
      argv: ['run', '--config', config(dir, 40, 40), '--workdir', work],
      env: { CI: 'true' },
      signal: ac.signal,
      stdout: () => {},
      stderr: (s) => {
        for (const l of s.split('\n').filter(Boolean)) {
          const j = JSON.parse(l) as Record<string, unknown>;
          const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(String(j.msg));
          if (m) ports.push(Number(m[1]));
          // Stop once both sweeps are under way.
          if (j.event === 'progress' && j.phase === 'start' && ++started >= 2) setTimeout(() => ac.abort(), 1500);
        }
      },
    });
    // The full plan takes minutes; the stop ends it within seconds: interrupted (130), no verdict, and SUMMARY.md
    // says so (steps/run/run.ts interruptedRun).
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(code).toBe(130);
    expect(readFileSync(path.join(work, 'SUMMARY.md'), 'utf8')).toContain('Interrupted');
    for (const b of ['vllm', 'tgi']) {
      const samples = readFileSync(path.join(work, 'runs', b, 'samples.ndjson'), 'utf8')
        .trim()
        .split('\n');
      expect(samples.length).toBeGreaterThan(0);
      expect(samples.length).toBeLessThan(2 * 2 * 41);
    }
    expect(ports).toHaveLength(2);
    for (const p of ports) expect(await listening(p)).toBe(false);
  }, 180_000);
});
