import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { main } from './cli.js';

const ALL = [
  'run',
  'sim',
  'sweep',
  'analyze',
  'import',
  'plot',
  'report',
  'render',
  'apply',
  'wait',
  'teardown',
  'build',
];

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const code = await main({ argv, env, stdout: (s) => (out += s), stderr: (s) => (err += s), cwd: process.cwd() });
  return { code, out, err };
}

describe('llmbench CLI', () => {
  it('--help lists all twelve commands and the exit-code table', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ALL) expect(r.out).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    expect(r.out).toMatch(/Exit codes:[\s\S]*4\s+inconclusive/);
  });

  it.each(ALL)('%s --help works', async (c) => {
    const r = await cli([c, '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Usage: llmbench ${c}`);
  });

  it('an unknown command or flag is invalid input (exit 2)', async () => {
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli(['run', '--no-such-flag'])).code).toBe(2);
  });

  it('a bad config exits 2, lists problems by path and line, and leaves the workdir untouched', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cli-'));
    const work = path.join(dir, 'work');
    mkdirSync(path.join(work, 'runs', 'vllm'), { recursive: true });
    writeFileSync(path.join(work, 'runs', 'vllm', 'samples.ndjson'), '{"keep":"me"}\n');
    writeFileSync(path.join(work, 'SUMMARY.md'), '# earlier results\n');
    const cfg = path.join(dir, 'bad.yaml');
    writeFileSync(cfg, 'version: 1\nbackends:\n  - kind: vllm\n    endpiont: http://x\nload:\n  trials: 0\n');
    const r = await cli(['run', '--config', cfg, '--workdir', work]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('/backends/0/endpiont');
    expect(r.err).toContain('line 4');
    expect(r.err).toContain('/load/trials');
    expect(readFileSync(path.join(work, 'SUMMARY.md'), 'utf8')).toBe('# earlier results\n');
    expect(readFileSync(path.join(work, 'runs', 'vllm', 'samples.ndjson'), 'utf8')).toBe('{"keep":"me"}\n');
    expect(readdirSync(work).sort()).toEqual(['SUMMARY.md', 'runs']);
  });

  it('errors are JSON lines under CI=true, and a planted token never appears', async () => {
    const token = 'ghp_PLANTEDtoken0123456789abcdefXYZ';
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cli-'));
    const cfg = path.join(dir, 'c.yaml');
    writeFileSync(
      cfg,
      `version: 1\nbackends:\n  - kind: vllm\n    endpoint: "https://user:${token}@host"\n    bogus: "${token}"\n`,
    );
    const r = await cli(['run', '--config', cfg, '--workdir', path.join(dir, 'w')], {
      CI: 'true',
      GITHUB_TOKEN: token,
    });
    expect(r.code).toBe(2);
    const line = JSON.parse(r.err.trim().split('\n').pop()!);
    expect(line).toMatchObject({ level: 'error', code: 'config-invalid', exit_code: 2 });
    expect(r.err + r.out).not.toContain(token);
  });

  it('the real executable exits with the code from the table', () => {
    const bin = path.resolve('steps/bin/llmbench.js');
    const help = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    for (const c of ALL) expect(help.stdout).toContain(c);
    const bad = spawnSync(process.execPath, [bin, 'run', '--config', '/nonexistent/bench.yaml'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('config-unreadable');
  });
});

describe('command registry', () => {
  it('lists each command under its own name and summary (the lazy registry repeats them for --help)', async () => {
    const { COMMAND_ENTRIES } = await import('./commands.js');
    for (const e of COMMAND_ENTRIES) {
      const spec = await e.load();
      expect(spec.name).toBe(e.name);
      expect(spec.summary).toBe(e.summary);
    }
  });
});
