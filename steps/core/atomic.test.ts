import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic, NdjsonAppender } from './atomic.js';

describe('atomic writes', () => {
  it('replaces the file whole and leaves no temp files', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'atomic-'));
    const f = path.join(dir, 'sub', 'a.json');
    await writeFileAtomic(f, 'one');
    await writeFileAtomic(f, 'two');
    expect(readFileSync(f, 'utf8')).toBe('two');
    expect(readdirSync(path.dirname(f))).toEqual(['a.json']);
  });

  it('a process killed while writing leaves the old file intact (regression: half-written summary.json)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'atomic-'));
    const f = path.join(dir, 'summary.json');
    writeFileSync(f, '{"old":true}');
    // The child starts a large atomic write and is SIGKILLed by itself before the rename.
    const script = `
      import { promises as fs } from 'node:fs';
      const orig = fs.rename;
      fs.rename = async () => { process.kill(process.pid, 'SIGKILL'); };
      const { writeFileAtomic } = await import(${JSON.stringify(path.resolve('steps/core/atomic.ts'))});
      await writeFileAtomic(${JSON.stringify(f)}, 'x'.repeat(5_000_000));
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect(r.signal).toBe('SIGKILL');
    expect(readFileSync(f, 'utf8')).toBe('{"old":true}');
  });

  it('NDJSON appender writes whole lines in order', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ndjson-'));
    const a = new NdjsonAppender(path.join(dir, 's.ndjson'));
    await a.open();
    await Promise.all([1, 2, 3].map((i) => a.append({ i })));
    await a.close();
    expect(readFileSync(path.join(dir, 's.ndjson'), 'utf8')).toBe('{"i":1}\n{"i":2}\n{"i":3}\n');
  });
});
