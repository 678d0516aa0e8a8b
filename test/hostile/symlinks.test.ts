/**
 * Outputs never follow symlinks (issue 16 item 5): a link planted where sweep, analyze or an atomic write puts a
 * file is exit 2 and neither the link's target nor the link is written.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, promises as fs, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startScriptedServer, type ScriptedServer } from '../../steps/adapters/scripted-server.js';
import { main } from '../../steps/cli.js';
import { NdjsonAppender, writeFileAtomic } from '../../steps/core/atomic.js';
import { writeSynthRun } from '../../steps/analyze/synth.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'llmbench-links-'));

async function cli(...argv: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await main({ argv, stdout: () => {}, stderr: (s) => (err += s), env: { LLMBENCH_LOG_LEVEL: 'warn' } });
  return { code, err };
}

describe('atomic writes and appends', () => {
  it('writeFileAtomic replaced a planted link silently: now exit 2, the link and its target untouched', async () => {
    const d = tmp();
    writeFileSync(path.join(d, 'victim'), 'keep');
    symlinkSync(path.join(d, 'victim'), path.join(d, 'out.json'));
    await expect(writeFileAtomic(path.join(d, 'out.json'), 'x')).rejects.toMatchObject({
      code: 'output-is-symlink',
      exitCode: 2,
    });
    expect(readFileSync(path.join(d, 'victim'), 'utf8')).toBe('keep');
    expect((await fs.lstat(path.join(d, 'out.json'))).isSymbolicLink()).toBe(true);
  });

  it('NdjsonAppender appended through a link: now refused (O_NOFOLLOW)', async () => {
    const d = tmp();
    symlinkSync(path.join(d, 'elsewhere'), path.join(d, 'samples.ndjson'));
    const a = new NdjsonAppender(path.join(d, 'samples.ndjson'));
    await expect(a.open()).rejects.toMatchObject({ code: 'output-is-symlink' });
    expect(existsSync(path.join(d, 'elsewhere'))).toBe(false);
  });
});

describe('sweep --out with planted links', () => {
  let srv: ScriptedServer;
  beforeAll(async () => {
    srv = await startScriptedServer({ script: { ttftMs: 1, itlMs: 1, tokens: 4 } });
  });
  afterAll(() => srv.close());
  const sweep = (out: string) =>
    cli(
      'sweep',
      '--url',
      srv.url,
      '--backend',
      'vllm',
      '--model',
      'm',
      '--concurrency',
      '1',
      '--requests',
      '2',
      '--trials',
      '1',
      '--warmup',
      '0',
      '--out',
      out,
    );

  it('a dangling samples.ndjson link created its target outside the work directory: now exit 2, nothing created', async () => {
    const d = tmp();
    const outside = path.join(tmp(), 'created-outside.ndjson');
    await fs.mkdir(path.join(d, 'out'));
    symlinkSync(outside, path.join(d, 'out', 'samples.ndjson'));
    const r = await sweep(path.join(d, 'out'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('output-is-symlink');
    expect(existsSync(outside)).toBe(false);
    expect(srv.requests.length).toBe(0);
  });

  it('a link to another file got samples appended to it: now exit 2, the file unchanged', async () => {
    const d = tmp();
    const victim = path.join(d, 'victim.txt');
    writeFileSync(victim, '');
    await fs.mkdir(path.join(d, 'out'));
    symlinkSync(victim, path.join(d, 'out', 'samples.ndjson'));
    const r = await sweep(path.join(d, 'out'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('output-is-symlink');
    expect(readFileSync(victim, 'utf8')).toBe('');
  });
});

describe('analyze --out with a planted link', () => {
  it('verdict.json as a link: exit 2, the target untouched', async () => {
    const d = tmp();
    await writeSynthRun(path.join(d, 'runs', 'vllm'), { backend: 'vllm', concurrency: [1], trials: 2, requests: 4 });
    await fs.mkdir(path.join(d, 'a'));
    writeFileSync(path.join(d, 'victim'), 'keep');
    symlinkSync(path.join(d, 'victim'), path.join(d, 'a', 'verdict.json'));
    const r = await cli('analyze', '--runs', path.join(d, 'runs'), '--out', path.join(d, 'a'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('output-is-symlink');
    expect(readFileSync(path.join(d, 'victim'), 'utf8')).toBe('keep');
  });
});
