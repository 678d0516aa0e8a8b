/** `llmbench sim`: prints exactly `listening <url>`, serves, stops cleanly on SIGTERM; bad flags exit 2. */
import { describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { main } from '../../steps/cli.js';
import { REPO_ROOT } from '../../steps/core/paths.js';
import { get, post } from './client.js';

describe('llmbench sim', () => {
  test('in process: listening line, Triton serves, abort closes with exit 0', async () => {
    let out = '';
    const ac = new AbortController();
    let resolveUrl: (u: string) => void;
    const url = new Promise<string>((r) => (resolveUrl = r));
    const done = main({
      argv: ['sim', '--backend', 'triton', '--port', '0', '--time-scale', '50', '--served-model-name', 'mistral'],
      stdout: (s) => {
        out += s;
        const m = /^listening (\S+)\n$/.exec(out);
        if (m) resolveUrl(m[1]);
      },
      stderr: () => {},
      signal: ac.signal,
    });
    const u = await url;
    expect(out).toMatch(/^listening http:\/\/127\.0\.0\.1:\d+\n$/);
    const r = await post(`${u}/v2/models/mistral/generate`, { text_input: 'hi', exclude_input_in_output: true });
    expect(r.status).toBe(200);
    expect(r.headers['x-llmbench-sim-time-scale']).toBe('50');
    ac.abort();
    expect(await done).toBe(0);
    await expect(get(`${u}/v2/health/ready`)).rejects.toThrow(/ECONNREFUSED|socket hang up|ECONNRESET/);
  });

  test('every bad flag is reported at once with exit code 2', async () => {
    let err = '';
    const code = await main({
      argv: ['sim', '--backend', 'vllm', '--gpu', 'b200', '--error-rate', '3', '--seed', 'x', '--time-scale', '-1'],
      stdout: () => {},
      stderr: (s) => (err += s),
    });
    expect(code).toBe(2);
    expect(err).toContain('/gpu');
    expect(err).toContain('/faults/error_rate');
    expect(err).toContain('/seed');
    expect(err).toContain('/time_scale');
  });

  test('as a process: stdout is exactly the listening line; SIGTERM stops it with exit 0', async () => {
    const child = spawn(
      process.execPath,
      [path.join(REPO_ROOT, 'steps/bin/llmbench.js'), 'sim', '--backend', 'vllm', '--port', '0', '--time-scale', '100'],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no listening line within 50 s')), 50_000);
      child.stdout.on('data', (d) => {
        out += d;
        const m = /^listening (\S+)\n/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(m[1]);
        }
      });
      child.once('exit', (c) => reject(new Error(`exited early with ${c}`)));
    });
    const models = JSON.parse((await get(`${url}/v1/models`)).body);
    expect(models.data[0].id).toBe('mistral');
    const exit = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(out).toBe(`listening ${url}\n`);
  }, 90_000);
});
