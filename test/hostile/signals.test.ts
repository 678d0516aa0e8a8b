/**
 * Signals (issue 16 item 4): the first SIGINT/SIGTERM stops `run` — nothing new started after it, SUMMARY.md and
 * the exit code (130) say interrupted — and a simulator spawned by `run` dies with it even on SIGKILL.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, promises as fs, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { EXIT_CODE_TABLE } from '../../steps/core/exit-codes.js';
import { writeSynthRun } from '../../steps/analyze/synth.js';
import { REPO_ROOT } from '../../steps/core/paths.js';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'llmbench-signals-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const CONFIG = `version: 1
name: signals
backends:
  - kind: vllm
    sim: { time_scale: 2 }
  - kind: tgi
    sim: { time_scale: 2 }
load: { concurrency: [1, 2], requests: 40, trials: 3, warmup: 0 }
workload: { output_tokens: 64 }
`;

function startRun(workdir: string): {
  child: ChildProcessWithoutNullStreams;
  stderr: () => string;
  url: Promise<string>;
} {
  const cfg = path.join(tmp, `cfg-${path.basename(workdir)}.yaml`);
  writeFileSync(cfg, CONFIG);
  const child = spawn(
    process.execPath,
    // --sequential: backends one after another, so 'the next simulator' exists to not be started (the parallel
    // path's stop is tested in test/e2e/run-parallel.test.ts).
    [path.join(REPO_ROOT, 'steps/bin/llmbench.js'), 'run', '--sequential', '--config', cfg, '--workdir', workdir],
    { env: { ...process.env, CI: '', LLMBENCH_LOG_LEVEL: 'info' } },
  );
  let err = '';
  const url = new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no simulator within 60 s: ${err}`)), 60_000);
    child.stderr.on('data', (d) => {
      err += d;
      const m = /simulated vllm listening on (http:\/\/[\d.]+:\d+)/.exec(err);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
  });
  return { child, stderr: () => err, url };
}

const refused = (url: string) =>
  new Promise<boolean>((resolve) => {
    const u = new URL(url);
    const s = net.connect(Number(u.port), u.hostname);
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });

describe('exit code 130', () => {
  it('was missing from the one exit-code table: the table, README and --help list it', () => {
    expect(EXIT_CODE_TABLE.map((e) => e.code)).toContain(130);
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    for (const e of EXIT_CODE_TABLE) expect(readme).toMatch(new RegExp(`^\\| ${e.code} \\|`, 'm'));
  });
});

describe('llmbench run and signals', () => {
  it('kept going after SIGINT (next simulator, analysis, a normal SUMMARY.md, exit 4): now stops, says interrupted, 130', async () => {
    const wd = path.join(tmp, 'int');
    const r = startRun(wd);
    const exit = new Promise<number | null>((res) => r.child.once('exit', (c) => res(c)));
    const url = await r.url;
    await new Promise((res) => setTimeout(res, 500)); // the sweep is under way
    const t0 = performance.now();
    r.child.kill('SIGINT');
    const code = await exit;
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(code).toBe(130);
    expect(r.stderr()).toContain('interrupted');
    expect(r.stderr()).not.toContain('simulated tgi listening'); // nothing new started
    expect(existsSync(path.join(wd, 'analysis'))).toBe(false);
    const md = readFileSync(path.join(wd, 'SUMMARY.md'), 'utf8');
    expect(md).toContain('Interrupted');
    expect(md).toMatch(/\| tgi \| not started \|/);
    expect(existsSync(path.join(wd, 'runs', 'vllm', 'samples.ndjson'))).toBe(true);
    expect(await refused(url)).toBe(true);
  }, 120_000);

  it('SIGKILL of run left its simulator listening (reparented to PID 1): now the simulator stops with it', async () => {
    const wd = path.join(tmp, 'kill');
    const r = startRun(wd);
    const url = await r.url;
    expect(await refused(url)).toBe(false);
    r.child.kill('SIGKILL');
    let gone = false;
    for (let i = 0; i < 50 && !gone; i++) {
      await new Promise((res) => setTimeout(res, 100));
      gone = await refused(url);
    }
    expect(gone).toBe(true);
  }, 120_000);
});

describe('analyze and signals', () => {
  it('the first SIGTERM waited for the analysis to end: now analyze stops within 5 s with 130', async () => {
    const runs = path.join(tmp, 'big', 'runs');
    // ~150 MB of samples: several seconds of analysis on this machine.
    await writeSynthRun(path.join(runs, 'vllm'), {
      backend: 'vllm',
      concurrency: [1, 4, 8, 16],
      trials: 12,
      requests: 2500,
      outputTokens: 32,
      summarize: false,
    });
    const child = spawn(process.execPath, [
      path.join(REPO_ROOT, 'steps/bin/llmbench.js'),
      'analyze',
      '--runs',
      runs,
      '--out',
      path.join(tmp, 'big', 'analysis'),
    ]);
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const exit = new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
    await new Promise((res) => setTimeout(res, 2500)); // start-up done, reading samples
    const t0 = performance.now();
    child.kill('SIGTERM');
    const code = await exit;
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(code).toBe(130);
    expect(err).toContain('interrupted');
  }, 120_000);
});
