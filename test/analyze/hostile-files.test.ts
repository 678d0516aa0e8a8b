/**
 * Hostile sample files (issue 16 item 2): analyze and plot read samples.ndjson line by line with a line-size bound
 * and per-point caps, so a corrupt or oversized file is exit 2 naming file and line, never the OOM killer. The big
 * cases run the real CLI in a child process under an RSS watchdog (steps/core/watchdog.ts) that kills it past
 * 2 GiB, so a regression fails the test instead of taking the machine down.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../steps/cli.js';
import { writeSmallRuns } from '../../steps/analyze/synth.js';
import { REPO_ROOT } from '../../steps/core/paths.js';
import { runWatched } from '../../steps/core/watchdog.js';
import type { Verdict } from '../../steps/core/types/verdict.js';

const GiB = 2 ** 30;
let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'llmbench-hostile-files-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const runDir = (name: string): Promise<string> => writeSmallRuns(path.join(tmp, name));

function cliWatched(args: string[], env: Record<string, string> = {}) {
  return runWatched(process.execPath, [path.join(REPO_ROOT, 'steps/bin/llmbench.js'), ...args], {
    rssLimitBytes: 2 * GiB,
    timeoutMs: 120_000,
    env: { ...process.env, LLMBENCH_LOG_LEVEL: 'warn', ...env },
  });
}

async function cli(...argv: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await main({ argv, stdout: () => {}, stderr: (s) => (err += s), env: { LLMBENCH_LOG_LEVEL: 'warn' } });
  return { code, err };
}

/** A 1 GB sparse file: one "line" of NUL bytes, no newline (the file that OOM-killed analyze). */
async function sparse(file: string, bytes = GiB): Promise<void> {
  await fs.rm(file, { force: true });
  const fh = await fs.open(file, 'w');
  await fh.truncate(bytes);
  await fh.close();
}

describe('1 GB sparse samples.ndjson', () => {
  let runs: string;
  let samples: string;
  beforeAll(async () => {
    runs = await runDir('sparse');
    samples = path.join(runs, 'vllm', 'samples.ndjson');
    await sparse(samples);
  });

  test('analyze grew to 24 GB (OOM-killed): now exit 2 naming file and line, under 2 GiB (parallel path)', async () => {
    const r = await cliWatched(['analyze', '--runs', runs, '--out', path.join(tmp, 'sparse', 'a1')]);
    expect(r.killedFor).toBeNull();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('line-too-long');
    expect(r.stderr).toContain(`${samples}: line 1 is longer than`);
    expect(r.peakRssBytes).toBeLessThan(2 * GiB);
  });

  test('analyze on the sequential path: same exit 2, bounded', async () => {
    const r = await cliWatched(['analyze', '--runs', runs, '--out', path.join(tmp, 'sparse', 'a2')], {
      LLMBENCH_ANALYZE_WORKER_MIN_BYTES: String(2 ** 50),
    });
    expect(r.killedFor).toBeNull();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${samples}: line 1 is longer than`);
  });

  test('plot threw a RangeError with exit 1 (the regression code): now a clear exit 2', async () => {
    const r = await cliWatched(['plot', '--workdir', path.join(tmp, 'sparse'), '--no-images']);
    expect(r.killedFor).toBeNull();
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/RangeError|at .*\.ts:\d+/);
    expect(r.stderr).toContain(`${samples}: line 1 is longer than`);
  });
});

describe('sweep --resume on a hostile samples.ndjson', () => {
  test('a 1 GB sparse file was read whole (fs.readFile): now exit 2 at line 1, bounded, nothing sent', async () => {
    const out = path.join(tmp, 'resume');
    await fs.mkdir(out, { recursive: true });
    await sparse(path.join(out, 'samples.ndjson'));
    const r = await cliWatched([
      'sweep',
      '--backend',
      'vllm',
      '--url',
      'http://127.0.0.1:1',
      '--out',
      out,
      '--resume',
      '--concurrency',
      '1',
      '--requests',
      '1',
      '--trials',
      '1',
    ]);
    expect(r.killedFor).toBeNull();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${path.join(out, 'samples.ndjson')}: line 1 is longer than`);
  });
});

describe('many long lines', () => {
  test('long valid lines past the per-point stamp cap: exit 2 naming the cap, bounded', async () => {
    const runs = await runDir('long');
    const file = path.join(runs, 'vllm', 'samples.ndjson');
    const first = JSON.parse((await fs.readFile(file, 'utf8')).split('\n')[0]);
    // 200 lines of 100,000 chunk stamps each (≈ 1.3 MB a line): 20 M stamps at one point, cap lowered to 5 M.
    const stamps = Array.from({ length: 100_000 }, (_, i) => first.sent_ms + 10 + i / 10);
    const line = JSON.stringify({ ...first, chunk_ms: stamps, chunk_tokens: stamps.map(() => 1) }) + '\n';
    const fh = await fs.open(file, 'w');
    for (let i = 0; i < 200; i++) await fh.write(line);
    await fh.close();
    const r = await cliWatched(['analyze', '--runs', runs, '--out', path.join(tmp, 'long', 'a')], {
      LLMBENCH_MAX_STAMPS_PER_POINT: '5000000',
    });
    expect(r.killedFor).toBeNull();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('samples-cap');
    expect(r.stderr).toMatch(/line \d+ exceeds the cap of 5000000 chunk stamps per load point/);
    expect(r.peakRssBytes).toBeLessThan(2 * GiB);
  });

  test('samples per point past the documented cap: exit 2 naming the cap', async () => {
    const runs = await runDir('many');
    const r = await cliWatched(['analyze', '--runs', runs, '--out', path.join(tmp, 'many', 'a')], {
      LLMBENCH_MAX_SAMPLES_PER_POINT: '10',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('exceeds the cap of 10 samples per load point');
  });

  test('one line just over the line bound: exit 2 at that line, not at the end of the file', async () => {
    const runs = await runDir('over');
    const file = path.join(runs, 'vllm', 'samples.ndjson');
    await fs.appendFile(file, 'x'.repeat(2 ** 20 + 1) + '\n' + 'y\n'.repeat(10));
    const lines = (await fs.readFile(file, 'utf8')).split('\n').length - 11;
    const r = await cliWatched(['analyze', '--runs', runs, '--out', path.join(tmp, 'over', 'a')], {
      LLMBENCH_MAX_LINE_BYTES: String(2 ** 20),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}: line ${lines} is longer than ${2 ** 20} bytes`);
  });
});

describe('corrupt values', () => {
  test('1e400 in samples.ndjson made analyze exit 3 (output did not match its schema): now a corrupt line', async () => {
    const runs = await runDir('inf');
    const file = path.join(runs, 'vllm', 'samples.ndjson');
    const lines = (await fs.readFile(file, 'utf8')).trimEnd().split('\n');
    lines[2] = lines[2].replace(/"sent_ms":[\d.]+/, '"sent_ms":1e400');
    await fs.writeFile(file, lines.join('\n') + '\n');
    const out = path.join(tmp, 'inf', 'a');
    const r = await cli('analyze', '--runs', runs, '--out', out);
    expect(r.err).not.toContain('internal');
    expect(r.code).not.toBe(3);
    const v: Verdict = JSON.parse(await fs.readFile(path.join(out, 'verdict.json'), 'utf8'));
    const f = v.findings.find((x) => x.code === 'corrupt-samples');
    expect(f?.message).toContain('line 3');
    expect(f?.message).toContain('not finite');
  });

  test('more corrupt lines than MAX_CORRUPT_LINES: exit 2, not a finding of unbounded size', async () => {
    const runs = await runDir('garbage');
    await fs.appendFile(path.join(runs, 'vllm', 'samples.ndjson'), 'not json\n'.repeat(10_050));
    const r = await cli('analyze', '--runs', runs, '--out', path.join(tmp, 'garbage', 'a'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('more than 10000 corrupt lines');
  });

  test.each([
    ['completion_tokens 1e20 was trusted (2e21 tok/s marked valid)', 1e20, 'server counted 100000000000000000000'],
    ['negative token counts were stored', -5, 'negative output token count -5'],
  ])('%s: token-count-implausible finding, point invalid', async (_name, count, why) => {
    const runs = await runDir(`tok${count}`);
    const file = path.join(runs, 'vllm', 'samples.ndjson');
    const lines = (await fs.readFile(file, 'utf8')).trimEnd().split('\n');
    const s = JSON.parse(lines[4]);
    s.output_tokens.server = count;
    lines[4] = JSON.stringify(s);
    await fs.writeFile(file, lines.join('\n') + '\n');
    const out = path.join(tmp, `tok${count}`, 'a');
    await cli('analyze', '--runs', runs, '--out', out);
    const v: Verdict = JSON.parse(await fs.readFile(path.join(out, 'verdict.json'), 'utf8'));
    const f = v.findings.find((x) => x.code === 'token-count-implausible');
    expect(f).toMatchObject({ severity: 'error', backend: 'vllm', concurrency: s.concurrency, count: 1 });
    expect(f?.message).toContain(why);
    expect(f?.message).toContain('line 5');
    expect(v.verdict).not.toBe('pass');
  });
});
