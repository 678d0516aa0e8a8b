/**
 * analyze end to end through the CLI entry point: synthetic sweep outputs with known effects → verdict and exit
 * code. Each bad-input case from the issue has its own test.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../steps/cli.js';
import { writeSynthRun, type SynthRun } from '../../steps/analyze/synth.js';
import { readSamples } from '../../steps/analyze/samples.js';
import { summarizePoints, type Sample } from '../../steps/metrics/derive.js';
import type { Verdict } from '../../steps/core/types/verdict.js';
import type { Baseline } from '../../steps/core/types/baseline.js';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'llmbench-analyze-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const base: Omit<SynthRun, 'backend'> = { concurrency: [1, 4], trials: 12, requests: 8, outputTokens: 16, cv: 0.03 };

async function runsDir(name: string, runs: SynthRun[]): Promise<string> {
  const dir = path.join(tmp, name);
  for (const r of runs) await writeSynthRun(path.join(dir, r.backend), r);
  return dir;
}

async function cli(...argv: string[]): Promise<{ code: number; err: string; out: string }> {
  let err = '',
    out = '';
  const code = await main({
    argv,
    stdout: (s) => (out += s),
    stderr: (s) => (err += s),
    env: { LLMBENCH_LOG_LEVEL: 'warn' },
  });
  return { code, err, out };
}

async function verdictOf(dir: string): Promise<Verdict> {
  return JSON.parse(await fs.readFile(path.join(dir, 'verdict.json'), 'utf8'));
}

let baselineFile: string;
describe('verdicts against a baseline', () => {
  beforeAll(async () => {
    const runs = await runsDir('base', [
      { ...base, backend: 'vllm', seed: 1 },
      { ...base, backend: 'tgi', seed: 2 },
    ]);
    baselineFile = path.join(tmp, 'baselines', 'b.json');
    const r = await cli(
      'analyze',
      '--runs',
      runs,
      '--out',
      path.join(tmp, 'base-an'),
      '--write-baseline',
      baselineFile,
    );
    expect(r.code).toBe(0);
  });

  test('a baseline written from a clean run validates and holds one value per trial', async () => {
    const b: Baseline = JSON.parse(await fs.readFile(baselineFile, 'utf8'));
    expect(b.schema_version).toBe(1);
    expect(b.backends.map((x) => x.backend).sort()).toEqual(['tgi', 'vllm']);
    expect(b.backends[0].points[0].metrics.output_tokens_per_s).toHaveLength(12);
  });

  test('A/A: same distribution, new noise → pass, exit 0, rule stated', async () => {
    const runs = await runsDir('aa', [
      { ...base, backend: 'vllm', seed: 11 },
      { ...base, backend: 'tgi', seed: 12 },
    ]);
    const r = await cli('analyze', '--runs', runs, '--out', path.join(tmp, 'aa-an'), '--baseline', baselineFile);
    const v = await verdictOf(path.join(tmp, 'aa-an'));
    expect(v.comparisons.filter((c) => c.gated).every((c) => c.verdict === 'unchanged')).toBe(true);
    expect(v.verdict).toBe('pass');
    expect(r.code).toBe(0);
    expect(v.rule?.test).toBe('welch-t-log');
    expect(v.rule?.text).toMatch(/significant at α = 0.05/);
    expect(v.ranking?.fair).toBe(true);
  });

  test('a 10 % throughput drop on one backend → regression, exit 1, named with its delta', async () => {
    const runs = await runsDir('drop', [
      { ...base, backend: 'vllm', seed: 21, speed: () => 0.9 },
      { ...base, backend: 'tgi', seed: 22 },
    ]);
    const r = await cli('analyze', '--runs', runs, '--out', path.join(tmp, 'drop-an'), '--baseline', baselineFile);
    expect(r.code).toBe(1);
    const v = await verdictOf(path.join(tmp, 'drop-an'));
    expect(v.verdict).toBe('regression');
    const reg = v.comparisons.filter((c) => c.verdict === 'regression');
    expect(reg.every((c) => c.backend === 'vllm')).toBe(true);
    const tput = reg.find((c) => c.metric === 'output_tokens_per_s')!;
    expect(tput.delta_pct!).toBeLessThan(-5);
    expect(tput.ci_pct![1]).toBeLessThan(0);
    expect(v.comparisons.filter((c) => c.backend === 'tgi' && c.gated).every((c) => c.verdict === 'unchanged')).toBe(
      true,
    );
  });

  test('p99 is reported but does not gate by default', async () => {
    const v = await verdictOf(path.join(tmp, 'drop-an'));
    const p99 = v.comparisons.filter((c) => c.metric.endsWith('.p99'));
    expect(p99.length).toBeGreaterThan(0);
    expect(p99.every((c) => c.gated === false)).toBe(true);
  });

  test('error rate over the allowance → inconclusive (never pass), requests-failed finding', async () => {
    const runs = await runsDir('fail', [
      { ...base, backend: 'vllm', seed: 31, failRate: 0.2 },
      { ...base, backend: 'tgi', seed: 32 },
    ]);
    const r = await cli('analyze', '--runs', runs, '--out', path.join(tmp, 'fail-an'), '--baseline', baselineFile);
    expect(r.code).toBe(4);
    const v = await verdictOf(path.join(tmp, 'fail-an'));
    expect(v.findings.find((f) => f.code === 'requests-failed' && f.severity === 'error')?.backend).toBe('vllm');
    expect(
      v.comparisons.filter((c) => c.backend === 'vllm' && c.gated).every((c) => c.verdict === 'inconclusive'),
    ).toBe(true);
    expect(v.ranking?.fair).toBe(false);
  });

  test('workload fingerprint differs from the baseline → inconclusive with workload-mismatch', async () => {
    const runs = await runsDir('fp', [
      { ...base, backend: 'vllm', seed: 41, fingerprint: 'other' },
      { ...base, backend: 'tgi', seed: 42, fingerprint: 'other' },
    ]);
    const r = await cli('analyze', '--runs', runs, '--out', path.join(tmp, 'fp-an'), '--baseline', baselineFile);
    expect(r.code).toBe(4);
    expect((await verdictOf(path.join(tmp, 'fp-an'))).findings.some((f) => f.code === 'workload-mismatch')).toBe(true);
  });

  test('GPU differs from the baseline → inconclusive with provenance-mismatch, even with a real drop', async () => {
    const prov = { server: 'vllm 0.12.0', model: 'mistral', gpu: 'sim-h100', simulated: true };
    const runs = await runsDir('gpu', [
      { ...base, backend: 'vllm', seed: 51, provenance: prov, speed: () => 0.8 },
      { ...base, backend: 'tgi', seed: 52, provenance: prov },
    ]);
    const r = await cli('analyze', '--runs', runs, '--out', path.join(tmp, 'gpu-an'), '--baseline', baselineFile);
    expect(r.code).toBe(4);
    const v = await verdictOf(path.join(tmp, 'gpu-an'));
    expect(
      v.findings
        .filter((f) => f.code === 'provenance-mismatch')
        .map((f) => f.message)
        .join(),
    ).toMatch(/gpu differs/);
    expect(v.comparisons.some((c) => c.verdict === 'regression')).toBe(false);
  });

  test('too few trials → inconclusive, never pass', async () => {
    const runs = await runsDir('one', [
      { ...base, trials: 1, backend: 'vllm', seed: 61 },
      { ...base, trials: 1, backend: 'tgi', seed: 62 },
    ]);
    const r = await cli('analyze', '--runs', runs, '--out', path.join(tmp, 'one-an'), '--baseline', baselineFile);
    expect(r.code).toBe(4);
    const v = await verdictOf(path.join(tmp, 'one-an'));
    expect(v.comparisons.find((c) => c.metric === 'output_tokens_per_s')?.reason).toMatch(/needs ≥ 2 trials/);
  });

  test('mixed workloads in one runs directory → inconclusive with the reason', async () => {
    const runs = await runsDir('mixed', [
      { ...base, backend: 'vllm', seed: 71 },
      { ...base, backend: 'tgi', seed: 72, fingerprint: 'another-workload' },
    ]);
    const r = await cli('analyze', '--runs', runs, '--out', path.join(tmp, 'mixed-an'), '--baseline', baselineFile);
    expect(r.code).toBe(4);
    const v = await verdictOf(path.join(tmp, 'mixed-an'));
    expect(v.findings.find((f) => f.code === 'workload-mixed' && !f.backend)?.message).toMatch(/different workloads/);
    expect(v.ranking?.fair).toBe(false);
  });
});

describe('bad input', () => {
  test('corrupted NDJSON line in the middle → inconclusive with corrupt-samples, never a crash', async () => {
    const runs = await runsDir('corrupt', [{ ...base, backend: 'vllm', seed: 81 }]);
    const f = path.join(runs, 'vllm', 'samples.ndjson');
    const lines = (await fs.readFile(f, 'utf8')).split('\n');
    lines[5] = lines[5].slice(0, 40);
    lines[9] = '{"v":1,"garbage":true}';
    await fs.writeFile(f, lines.join('\n'));
    const r = await cli('analyze', '--runs', runs, '--out', path.join(tmp, 'corrupt-an'), '--baseline', baselineFile);
    expect(r.code).toBe(4);
    const v = await verdictOf(path.join(tmp, 'corrupt-an'));
    const cf = v.findings.find((x) => x.code === 'corrupt-samples')!;
    expect(cf.count).toBe(2);
    expect(cf.message).toMatch(/line 6/);
  });

  test('a torn last line (killed writer) is dropped with an info finding, not treated as corruption', async () => {
    const runs = await runsDir('torn', [
      { ...base, backend: 'vllm', seed: 91 },
      { ...base, backend: 'tgi', seed: 92 },
    ]);
    const f = path.join(runs, 'vllm', 'samples.ndjson');
    await fs.appendFile(f, '{"v":1,"run_id":"x","backend":"vllm","concurren');
    const r = await cli('analyze', '--runs', runs, '--out', path.join(tmp, 'torn-an'), '--baseline', baselineFile);
    const v = await verdictOf(path.join(tmp, 'torn-an'));
    expect(v.findings.some((x) => x.code === 'torn-last-line')).toBe(true);
    expect(v.findings.some((x) => x.code === 'corrupt-samples')).toBe(false);
    expect(r.code).toBe(0);
  });

  test('baseline of another schema version → exit 2 with a clear message, nothing written', async () => {
    const runs = await runsDir('v2', [{ ...base, backend: 'vllm', seed: 101 }]);
    const b = JSON.parse(await fs.readFile(baselineFile, 'utf8'));
    const v2 = path.join(tmp, 'baseline-v2.json');
    await fs.writeFile(v2, JSON.stringify({ ...b, schema_version: 2 }));
    const r = await cli('analyze', '--runs', runs, '--out', path.join(tmp, 'v2-an'), '--baseline', v2);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/schema_version 2; this llmbench reads version 1/);
    await expect(fs.access(path.join(tmp, 'v2-an', 'verdict.json'))).rejects.toThrow();
  });

  test('empty runs directory → exit 2', async () => {
    await fs.mkdir(path.join(tmp, 'empty'), { recursive: true });
    const r = await cli('analyze', '--runs', path.join(tmp, 'empty'), '--out', path.join(tmp, 'empty-an'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no sweep output/);
  });

  test('a sweep with no requests (empty samples file) → inconclusive with empty-run', async () => {
    const runs = await runsDir('nosamples', [{ ...base, backend: 'vllm', seed: 111 }]);
    await fs.writeFile(path.join(runs, 'vllm', 'samples.ndjson'), '');
    const r = await cli('analyze', '--runs', runs, '--out', path.join(tmp, 'nosamples-an'), '--baseline', baselineFile);
    expect(r.code).toBe(4);
    expect((await verdictOf(path.join(tmp, 'nosamples-an'))).findings.some((f) => f.code === 'empty-run')).toBe(true);
  });

  test('summary.json that violates its schema → exit 2 listing the path', async () => {
    const runs = await runsDir('badsum', [{ ...base, backend: 'vllm', seed: 121 }]);
    const f = path.join(runs, 'vllm', 'summary.json');
    const s = JSON.parse(await fs.readFile(f, 'utf8'));
    s.points[0].completed = 'many';
    await fs.writeFile(f, JSON.stringify(s));
    const r = await cli('analyze', '--runs', runs, '--out', path.join(tmp, 'badsum-an'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/\/points\/0\/completed/);
  });

  test('--write-baseline from an unclean run is refused and writes no baseline', async () => {
    const runs = await runsDir('unclean', [{ ...base, backend: 'vllm', seed: 131, failRate: 0.3 }]);
    const target = path.join(tmp, 'never.json');
    const r = await cli('analyze', '--runs', runs, '--out', path.join(tmp, 'unclean-an'), '--write-baseline', target);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not clean/);
    await expect(fs.access(target)).rejects.toThrow();
  });
});

describe('re-derivation from samples', () => {
  test('equals steps/metrics on the whole file, also when points are interleaved', async () => {
    const dir = path.join(tmp, 'inter');
    await writeSynthRun(dir, { ...base, trials: 3, backend: 'vllm', seed: 141, interleave: true, warmup: 2 });
    const text = await fs.readFile(path.join(dir, 'samples.ndjson'), 'utf8');
    const all = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Sample);
    const r = await readSamples(path.join(dir, 'samples.ndjson'));
    expect(r.interleaved).toBe(true);
    expect(r.points).toEqual(summarizePoints(all));
  });
});

describe('history, change points and clean-window baselines', () => {
  test('a 15 % shift after run 8 is reported at that run; the rebuilt baseline uses only clean runs after it', async () => {
    const hist = path.join(tmp, 'history');
    const speeds = [1, 1, 1, 1, 1, 1, 1, 1, 0.85, 0.85, 0.85, 0.85, 0.85];
    let last: Verdict | undefined;
    for (let i = 0; i < speeds.length; i++) {
      const failRate = i === 10 ? 0.3 : 0; // a broken night: kept in history, never in a baseline window
      const runs = await runsDir(`night-${i}`, [
        { ...base, trials: 4, concurrency: [4], backend: 'vllm', seed: 200 + i, speed: () => speeds[i], failRate },
      ]);
      // distinct run ids per night
      const sf = path.join(runs, 'vllm', 'summary.json');
      const s = JSON.parse(await fs.readFile(sf, 'utf8'));
      s.run_id = `night-${String(i).padStart(2, '0')}`;
      await fs.writeFile(sf, JSON.stringify(s));
      const wb = i === speeds.length - 1 ? ['--write-baseline', path.join(tmp, 'from-history.json')] : [];
      await main({
        argv: ['analyze', '--runs', runs, '--out', path.join(tmp, `night-${i}-an`), '--history', hist, ...wb],
        stdout: () => {},
        stderr: () => {},
        env: { LLMBENCH_LOG_LEVEL: 'error' },
      });
      last = await verdictOf(path.join(tmp, `night-${i}-an`));
    }
    // Re-analyzing a night already in the history does not add it twice.
    await main({
      argv: [
        'analyze',
        '--runs',
        path.join(tmp, `night-${speeds.length - 1}`),
        '--out',
        path.join(tmp, 'again-an'),
        '--history',
        hist,
      ],
      stdout: () => {},
      stderr: () => {},
      env: { LLMBENCH_LOG_LEVEL: 'error' },
    });
    const files = await fs.readdir(hist);
    expect(files).toHaveLength(speeds.length);
    const broken = files
      .map((f) => JSON.parse(readFileSync(path.join(hist, f), 'utf8')))
      .find((e) => e.run_id.includes('night-10'));
    expect(broken.clean).toBe(false);
    const cp = last!.change_points!.find((c) => c.metric === 'output_tokens_per_s')!;
    expect(cp.run).toContain('night-08');
    expect(cp.after!).toBeLessThan(cp.before!);
    const b: Baseline = JSON.parse(await fs.readFile(path.join(tmp, 'from-history.json'), 'utf8'));
    // post-shift clean nights: 8, 9, 11, 12 → 4 runs × 4 trials
    expect(b.backends[0].points[0].metrics.output_tokens_per_s).toHaveLength(16);
    expect(b.source).toMatch(/history window/);
  });
});

describe('pooled distributions', () => {
  test('come from summary.json only when every re-derived trial agrees with it; an edited summary is re-derived', async () => {
    const dir = path.join(tmp, 'pooled');
    await writeSynthRun(dir, { ...base, trials: 3, backend: 'vllm', seed: 151 });
    const file = path.join(dir, 'samples.ndjson');
    const sum = JSON.parse(await fs.readFile(path.join(dir, 'summary.json'), 'utf8'));
    const good = await readSamples(file, { summaryPoints: sum.points });
    expect(good.pooled).toBe('summary');
    expect(good.points).toEqual(sum.points);
    const expected = structuredClone(good.points);
    sum.points[1].trials[2].output_tokens_per_s *= 1.5;
    sum.points[1].ttft_ms.p50 = 1;
    const edited = await readSamples(file, { summaryPoints: sum.points });
    expect(edited.pooled).toBe('samples');
    expect(edited.points).toEqual(expected);
  });
});

describe('A/B mode (interleaved arms on one GPU)', () => {
  async function abRuns(name: string, bSpeed: number): Promise<string> {
    const runs = await runsDir(name, [
      { ...base, backend: 'main', seed: 301 },
      { ...base, backend: 'pr', seed: 302, speed: () => bSpeed },
    ]);
    for (const [b, arm, peer] of [
      ['main', 'a', 'pr'],
      ['pr', 'b', 'main'],
    ]) {
      const f = path.join(runs, b, 'summary.json');
      const s = JSON.parse(await fs.readFile(f, 'utf8'));
      s.plan.ab = { arm, peer_backend: peer };
      await fs.writeFile(f, JSON.stringify(s));
    }
    return runs;
  }
  test('arm b is judged against arm a without a baseline file: equal → pass', async () => {
    const r = await cli('analyze', '--runs', await abRuns('ab-same', 1), '--out', path.join(tmp, 'ab-same-an'));
    const v = await verdictOf(path.join(tmp, 'ab-same-an'));
    expect(v.comparisons.every((c) => c.backend === 'pr')).toBe(true);
    expect(v.baseline?.path).toMatch(/A\/B: arm a of this run \(main\)/);
    expect(v.verdict).toBe('pass');
    expect(r.code).toBe(0);
  });
  test('arm b 10 % slower → regression', async () => {
    const r = await cli('analyze', '--runs', await abRuns('ab-slow', 0.9), '--out', path.join(tmp, 'ab-slow-an'));
    expect(r.code).toBe(1);
    expect(
      (await verdictOf(path.join(tmp, 'ab-slow-an'))).comparisons.find(
        (c) => c.metric === 'output_tokens_per_s' && c.verdict === 'regression',
      )?.backend,
    ).toBe('pr');
  });
});

describe('sample line checks', () => {
  test('well-formed JSON with wrong types is corruption, not a NaN in the statistics', async () => {
    const { sampleProblem } = await import('../../steps/analyze/samples.js');
    const good = JSON.parse((await fs.readFile(path.join(tmp, 'aa', 'vllm', 'samples.ndjson'), 'utf8')).split('\n')[0]);
    expect(sampleProblem(good)).toBeNull();
    expect(sampleProblem([good])).toMatch(/not a JSON object/);
    expect(sampleProblem({ ...good, chunk_tokens: good.chunk_tokens.map(String) })).toMatch(/chunk_tokens/);
    expect(sampleProblem({ ...good, output_tokens: { ...good.output_tokens, server: '32' } })).toMatch(/token counts/);
    expect(sampleProblem({ ...good, v: 2 })).toMatch(/version/);
    expect(sampleProblem({ ...good, concurrency: null, rate: null })).toMatch(/neither/);
  });
});
