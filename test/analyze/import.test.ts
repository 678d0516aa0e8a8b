/** llmbench import: peer result files → a runs directory analyze accepts; unknowns stay unknown. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../steps/cli.js';
import type { SweepSummary } from '../../steps/core/types/sweep-summary.js';
import type { Verdict } from '../../steps/core/types/verdict.js';

const FX = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures');
let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'llmbench-import-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function cli(...argv: string[]) {
  let err = '';
  const code = await main({ argv, stdout: () => {}, stderr: (s) => (err += s), env: { LLMBENCH_LOG_LEVEL: 'warn' } });
  return { code, err };
}
const read = async <T>(f: string): Promise<T> => JSON.parse(await fs.readFile(f, 'utf8'));

describe('seed (original framework) results', () => {
  let out: string;
  beforeAll(async () => {
    out = path.join(tmp, 'seed');
    const r = await cli(
      'import',
      '--format',
      'seed',
      path.join(FX, 'seed-vllm-c1.json'),
      path.join(FX, 'seed-tgi-c1.json'),
      path.join(FX, 'seed-triton-c8.json'),
      '--out',
      out,
    );
    expect(r.code).toBe(0);
  });

  test('TTFT is unknown (the seed never measured it), E2E comes from the raw latencies', async () => {
    const s = await read<SweepSummary>(path.join(out, 'vllm', 'summary.json'));
    expect(s.points[0].ttft_ms).toMatchObject({ n: 0, p50: null });
    expect(s.points[0].tpot_ms.n).toBe(0);
    expect(s.points[0].e2e_ms.n).toBe(30);
    expect(s.points[0].e2e_ms.p50).toBeGreaterThan(2400);
  });

  test('analyze states the seed flaws as findings and refuses a ranking', async () => {
    const r = await cli('analyze', '--runs', out, '--out', path.join(tmp, 'seed-an'));
    expect(r.code).toBe(4);
    const v = await read<Verdict>(path.join(tmp, 'seed-an', 'verdict.json'));
    const codes = (b: string) => v.findings.filter((f) => f.backend === b).map((f) => f.code);
    expect(codes('triton')).toContain('claim-contradiction'); // 4 failures under a 0 % error claim
    expect(codes('triton')).toContain('token-count-unverified'); // whitespace words
    expect(codes('tgi')).toContain('output-shortfall'); // ~67 of 100 tokens
    expect(v.findings.find((f) => f.code === 'claim-contradiction')?.message).toMatch(
      /0 % error rate but lists 4 failed/,
    );
    expect(v.ranking?.fair).toBe(false);
  });
});

describe('peer tools', () => {
  test('vllm bench serve: per-request seconds become ms; the failed request counts as failed', async () => {
    const out = path.join(tmp, 'vllm');
    expect(
      (await cli('import', '--format', 'vllm', path.join(FX, 'vllm-bench-serve-c4.json'), '--out', out)).code,
    ).toBe(0);
    const s = await read<SweepSummary>(path.join(out, 'vllm', 'summary.json'));
    const p = s.points[0];
    expect(p.concurrency).toBe(4);
    expect(p.completed).toBe(7);
    expect(p.failed).toBe(1);
    expect(p.ttft_ms.p50).toBeGreaterThan(30);
    expect(p.ttft_ms.p50).toBeLessThan(60);
    expect(p.itl_ms.n).toBe(7 * 31);
    expect(p.tpot_ms.n).toBe(7);
  });

  test('guidellm: inter_token_latency_ms maps to TPOT, per-chunk ITL is unknown, request latency s → ms', async () => {
    const out = path.join(tmp, 'gl');
    expect(
      (
        await cli(
          'import',
          '--format',
          'guidellm',
          path.join(FX, 'guidellm-benchmarks.json'),
          '--backend',
          'vllm',
          '--out',
          out,
        )
      ).code,
    ).toBe(0);
    const p = (await read<SweepSummary>(path.join(out, 'vllm', 'summary.json'))).points[0];
    expect(p.concurrency).toBe(4);
    expect(p.tpot_ms.p50).toBeCloseTo(25.5);
    expect(p.itl_ms.n).toBe(0);
    expect(p.e2e_ms.p50).toBeCloseTo(830);
    expect(p.failed).toBe(2);
    expect(p.output_tokens_per_s).toBeCloseTo((98 * 32) / 21.5);
  });

  test('AIPerf: inter_token_latency maps to TPOT; failures come from the error summary', async () => {
    const out = path.join(tmp, 'ap');
    expect(
      (
        await cli(
          'import',
          '--format',
          'aiperf',
          path.join(FX, 'aiperf-profile_export_aiperf.json'),
          '--backend',
          'vllm',
          '--out',
          out,
        )
      ).code,
    ).toBe(0);
    const p = (await read<SweepSummary>(path.join(out, 'vllm', 'summary.json'))).points[0];
    expect(p.tpot_ms.p50).toBeCloseTo(25.4);
    expect(p.ttft_ms.p99).toBeCloseTo(55.3);
    expect(p.failed).toBe(1);
    expect(p.output_tokens_per_s).toBeCloseTo(3200 / 21.7);
  });

  test('three files of the same point become three trials that analyze can compare', async () => {
    const out = path.join(tmp, 'trials');
    const f = path.join(FX, 'vllm-bench-serve-c4.json');
    expect((await cli('import', '--format', 'vllm', f, f, f, '--out', out)).code).toBe(0);
    const p = (await read<SweepSummary>(path.join(out, 'vllm', 'summary.json'))).points[0];
    expect(p.trials).toHaveLength(3);
    expect(p.ttft_ms.n).toBe(21);
  });
});

describe('vLLM claims checked against its own per-request data', () => {
  test('a summary mean that the per-request ttfts do not give, and an uncapped infinite-rate run', async () => {
    const doc = JSON.parse(await fs.readFile(path.join(FX, 'vllm-bench-serve-c4.json'), 'utf8'));
    doc.mean_ttft_ms = 10;
    doc.max_concurrency = null;
    const f = path.join(tmp, 'tampered.json');
    await fs.writeFile(f, JSON.stringify(doc));
    const out = path.join(tmp, 'tampered');
    expect((await cli('import', '--format', 'vllm', f, '--out', out)).code).toBe(0);
    const notes = await read<{ findings: { code: string; message: string }[] }>(path.join(out, 'vllm', 'import.json'));
    expect(notes.findings.find((x) => x.code === 'claim-contradiction')?.message).toMatch(/mean_ttft_ms says 10/);
    expect(notes.findings.some((x) => x.code === 'load-point-inferred')).toBe(true);
    expect((await read<SweepSummary>(path.join(out, 'vllm', 'summary.json'))).points[0].concurrency).toBe(8);
  });
});

describe('bad import input', () => {
  test('a file of another format → exit 2 naming the missing key, nothing written', async () => {
    const out = path.join(tmp, 'wrong');
    const r = await cli('import', '--format', 'vllm', path.join(FX, 'guidellm-benchmarks.json'), '--out', out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/\/duration/);
    await expect(fs.access(out)).rejects.toThrow();
  });
  test('existing results are never overwritten', async () => {
    const out = path.join(tmp, 'twice');
    expect(
      (await cli('import', '--format', 'aiperf', path.join(FX, 'aiperf-profile_export_aiperf.json'), '--out', out))
        .code,
    ).toBe(0);
    const r = await cli(
      'import',
      '--format',
      'aiperf',
      path.join(FX, 'aiperf-profile_export_aiperf.json'),
      '--out',
      out,
    );
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/never overwritten/);
  });
  test('unknown format → exit 2', async () => {
    expect((await cli('import', '--format', 'locust', 'x.json', '--out', path.join(tmp, 'x'))).code).toBe(2);
  });
});
