/** importResults with small caps: every bound an input can inflate is exit 2 naming the file and the cap. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../core/log.js';
import { InvalidInputError } from '../core/errors.js';
import { DEFAULT_LIMITS } from './read.js';
import { importResults } from './import.js';

const FX = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'test', 'fixtures', 'imports');
let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'llmbench-importcore-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});
let n = 0;
async function run(
  format: 'seed' | 'vllm' | 'guidellm' | 'aiperf' | 'genai-perf',
  files: string[],
  limits = DEFAULT_LIMITS,
) {
  const outDir = path.join(tmp, `out-${++n}`);
  try {
    await importResults({ format, files, outDir, log: silentLogger, limits });
    return { outDir, err: undefined };
  } catch (e) {
    return { outDir, err: e as InvalidInputError };
  }
}

describe('caps', () => {
  test('a JSON document over the size cap → exit 2 naming the file and the cap', async () => {
    const f = path.join(FX, 'seed', 'vllm_c4_t100_20260116_122355.json');
    const { err, outDir } = await run('seed', [f], { ...DEFAULT_LIMITS, documentBytes: 1024 });
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err!.exitCode).toBe(2);
    expect(err!.problems[0]).toMatchObject({
      file: f,
      message: expect.stringMatching(/over the import cap of 1024 bytes/),
    });
    await expect(fs.access(outDir)).rejects.toThrow();
  });

  test('a JSON-lines record over the line cap → exit 2 naming the line', async () => {
    const f = path.join(FX, 'vllm', 'derived-append-result_qps_01_04_16_inf.jsonl');
    const { err } = await run('vllm', [f], { ...DEFAULT_LIMITS, lineBytes: 500 });
    expect(err!.problems[0]).toMatchObject({
      file: f,
      line: 1,
      message: expect.stringMatching(/line 1 is longer than the line cap/),
    });
  });

  test('one single-line document longer than the line cap is read whole (vLLM writes JSON on one line)', async () => {
    const f = path.join(FX, 'vllm', 'derived-summary-only_qps_04.json');
    const { err, outDir } = await run('vllm', [f], { ...DEFAULT_LIMITS, lineBytes: 100 });
    expect(err).toBeUndefined();
    await expect(fs.access(path.join(outDir, 'vllm-bench', 'summary.json'))).resolves.toBeUndefined();
  });

  test('too many per-request values in one import → exit 2 naming the cap', async () => {
    const f = path.join(FX, 'vllm', 'serving_deepseek-ai-DeepSeek-V2.5_tp8_pp2_sharegpt_qps_04.json');
    const { err } = await run('vllm', [f], { ...DEFAULT_LIMITS, rawValues: 1000 });
    expect(err!.code).toBe('import-too-large');
    expect(err!.problems[0].message).toMatch(/over the import cap of 1000 per-request values/);
  });

  test('a 2 GiB sparse file is refused by its size, without being read', async () => {
    const f = path.join(tmp, 'huge.json');
    const h = await fs.open(f, 'w');
    await h.truncate(2 * 1024 * 1024 * 1024);
    await h.close();
    const t0 = Date.now();
    const { err } = await run('aiperf', [f]);
    expect(err!.problems[0].message).toMatch(/2147483648 bytes, over the import cap of 268435456 bytes \(256 MiB\)/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  test('invalid JSON names the line of the error', async () => {
    const f = path.join(tmp, 'broken.json');
    await fs.writeFile(f, '{\n  "records": {\n    "x": 1,,\n  }\n}\n');
    const { err } = await run('aiperf', [f]);
    expect(err!.problems[0]).toMatchObject({ file: f, line: 3, message: expect.stringMatching(/not valid JSON/) });
  });

  test('invalid YAML (guidellm) names its line and nothing else is reported for that file', async () => {
    const f = path.join(tmp, 'broken.yaml');
    await fs.writeFile(f, 'benchmarks:\n  - type_: x\n   bad: [1, 2\n');
    const { err } = await run('guidellm', [f]);
    expect(err!.problems).toHaveLength(1);
    expect(err!.problems[0]).toMatchObject({ file: f, line: 3, message: expect.stringMatching(/not valid YAML/) });
  });
});

describe('GenAI-Perf values', () => {
  test('a string that is not a number → exit 2 with the file and the JSON path of the field; numeric strings are read', async () => {
    // GenAI-Perf's own exporter test writes request_throughput.avg as the string "7" (SOURCES.md): that one is read.
    const real = path.join(FX, 'genai-perf', 'issue298-streaming-profile_export_genai_perf.json');
    const doc = JSON.parse(await fs.readFile(real, 'utf8'));
    doc.request_throughput.avg = '17.222547659562533';
    doc.inter_token_latency.p99 = 'n/a';
    const f = path.join(tmp, 'profile_export_genai_perf.json');
    await fs.writeFile(f, JSON.stringify(doc));
    const { err, outDir } = await run('genai-perf', [f]);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err!.exitCode).toBe(2);
    expect(err!.problems).toEqual([
      { file: f, path: '/inter_token_latency/p99', message: 'must be a number (got the string "n/a")' },
    ]);
    await expect(fs.access(outDir)).rejects.toThrow();
  });
});
