/** Bounded reading: lines streamed under a line cap, documents under a size cap. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readDocument, readLines, ReadError } from './read.js';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'llmbench-read-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});
const limits = { documentBytes: 1000, lineBytes: 100, rawValues: 1000 };
async function lines(content: string, lim = limits) {
  const f = path.join(tmp, `f-${Math.random()}`);
  await fs.writeFile(f, content);
  const out: [number, string][] = [];
  for await (const l of readLines(f, lim)) out.push([l.line, l.text]);
  return out;
}

describe('readLines', () => {
  test('numbers lines, strips CR, keeps a last line without a newline', async () => {
    expect(await lines('a\r\nb\n\nc')).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, ''],
      [4, 'c'],
    ]);
  });
  test('a line over the cap is refused, naming its line', async () => {
    const err = await lines(`ok\n${'x'.repeat(101)}\nnever`).catch((e) => e);
    expect(err).toBeInstanceOf(ReadError);
    expect(err.line).toBe(2);
    expect(err.message).toMatch(/line 2 is longer than the line cap/);
  });
  test('a line split over read chunks is joined', async () => {
    const long = 'y'.repeat(3 * 1024 * 1024);
    const out = await lines(`${long}\nz\n`, { ...limits, lineBytes: 4 * 1024 * 1024 });
    expect(out.map(([n, t]) => [n, t.length])).toEqual([
      [1, long.length],
      [2, 1],
    ]);
  });
});

describe('readDocument', () => {
  test('refuses a file over the cap before reading it', async () => {
    const f = path.join(tmp, 'sparse');
    const h = await fs.open(f, 'w');
    await h.truncate(2 * 1024 * 1024 * 1024); // 2 GiB sparse: never read
    await h.close();
    await expect(readDocument(f, limits)).rejects.toThrow(
      /file is 2147483648 bytes, over the import cap of 1000 bytes/,
    );
  });
  test('reads a file within the cap', async () => {
    const f = path.join(tmp, 'small.json');
    await fs.writeFile(f, '{"a":1}');
    expect(await readDocument(f, limits)).toBe('{"a":1}');
  });
});
