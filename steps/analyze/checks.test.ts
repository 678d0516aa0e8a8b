/** Each validity check, the comparison and the verdict rule, alone. */
import { describe, expect, test } from '@jest/globals';
import type { SweepSummary } from '../core/types/sweep-summary.js';
import type { Point } from '../metrics/derive.js';
import * as checks from './checks.js';
import { compare } from './compare.js';
import { verdictOf } from './analyze.js';
import { METRICS } from './metrics.js';
import type { LoadedRun } from './load.js';
import { DEFAULT_DESIGN } from '../stats/sequential.js';

function point(over: Partial<Point> = {}): Point {
  return {
    concurrency: 4,
    rate: null,
    completed: 100,
    failed: 0,
    output_tokens_total: 10000,
    output_tokens_per_s: 500,
    requests_per_s: 5,
    tokens: { server_counted: 100, client_counted: 100, mismatched: 0, shortfall: 0 },
    trials: [
      { completed: 50, failed: 0, output_tokens_total: 5000, output_tokens_per_s: 500, requests_per_s: 5 },
      { completed: 50, failed: 0, output_tokens_total: 5000, output_tokens_per_s: 500, requests_per_s: 5 },
    ],
    ...over,
  } as Point;
}

function run(over: Partial<LoadedRun> = {}, summary: Partial<SweepSummary> = {}): LoadedRun {
  const points = over.points ?? [point()];
  return {
    backend: 'vllm',
    dir: '/runs/vllm',
    summary: {
      schema_version: 1,
      backend: 'vllm',
      run_id: 'r1',
      workload: { fingerprint: 'sha256:w1', output_tokens: 100 },
      points,
      ...summary,
    } as SweepSummary,
    points,
    source: 'summary',
    samples: 100,
    corrupt: [],
    tornLastLine: false,
    implausible: [],
    interleaved: false,
    sampleRunIds: ['r1'],
    sampleBackends: ['vllm'],
    importFindings: [],
    ...over,
  };
}

const opts = { maxErrorRate: 0.01, minSamples: 100, requestedOutputTokens: 100 };
const codes = (fs: { code: string; severity: string }[]) => fs.map((f) => `${f.code}:${f.severity}`);

describe('checkRun', () => {
  test('a clean run has no findings', () => expect(checks.checkRun(run())).toEqual([]));
  test('corrupt, mixed and empty samples, no fingerprint, torn line', () => {
    const r = run(
      {
        corrupt: [{ line: 7, message: 'not JSON' }],
        sampleBackends: ['vllm', 'tgi'],
        samples: 0,
        tornLastLine: true,
      },
      { workload: undefined },
    );
    expect(codes(checks.checkRun(r))).toEqual([
      'corrupt-samples:error',
      'torn-last-line:info',
      'samples-mixed:error',
      'empty-run:error',
      'workload-unknown:error',
    ]);
    expect(checks.checkRun(r)[0].message).toBe(
      '1 corrupt line(s) in /runs/vllm/samples.ndjson (first at line 7: not JSON); results of this backend cannot be trusted',
    );
  });
  test('import findings keep their code when declared, else become import-finding', () => {
    const r = run({
      importFindings: [
        { code: 'run-cancelled', severity: 'error', message: 'cancelled', concurrency: 4 },
        { code: 'weird-thing', severity: 'warning', message: 'hm' },
      ],
    });
    const f = checks.checkRun(r);
    expect(codes(f)).toEqual(['run-cancelled:error', 'import-finding:warning']);
    expect(f[1].message).toBe('weird-thing: hm');
  });
});

describe('checkPoint', () => {
  test('failures over the allowance are errors that block the point', () => {
    const f = checks.checkPoint(run(), point({ completed: 90, failed: 10, errors_by_category: { timeout: 10 } }), opts);
    expect(codes(f)).toEqual(['requests-failed:error', 'too-few-samples:warning']);
    expect(f[0].message).toBe('10 of 100 requests failed at c=4 (10.0 %, over the 1.0 % allowance): timeout 10');
    expect([...checks.blockedBy(f).keys()]).toEqual(['vllm#4|']);
  });
  test("the sweep's structured reasons become findings by code; too-few-samples is analyze's own rule", () => {
    const p = point();
    const r = run(
      {},
      {
        points: [
          {
            ...p,
            valid: false,
            invalid_reasons: [
              {
                code: 'client-bottleneck',
                message: 'client bottleneck: send lag p99 9.0 ms > 5.0 ms',
                value: 9,
                limit: 5,
              },
              { code: 'too-few-samples', message: 'only 2', value: 2, limit: 100 },
              'an older sweep wrote this',
            ],
          },
        ],
      },
    );
    expect(codes(checks.checkPoint(r, p, opts))).toEqual(['client-bottleneck:error', 'point-invalid:error']);
  });
  test('token counting and shortfall', () => {
    const p = point({
      tokens: { server_counted: 0, client_counted: 0, mismatched: 3, shortfall: 2, mean_output_tokens: 90 },
    } as never);
    expect(codes(checks.checkPoint(run(), p, opts))).toEqual([
      'token-count-unverified:warning',
      'token-count-mismatch:warning',
      'output-shortfall:warning',
    ]);
  });
  test('a trial with fewer than 3 successful requests blocks the point', () => {
    const p = point({ trials: [{ completed: 2, failed: 0 } as never, point().trials![0]] });
    expect(codes(checks.checkPoint(run(), p, opts))).toContain('too-few-samples:error');
  });
});

describe('run-level and reference checks', () => {
  test('different workloads in one runs directory block everything and keep the run out of baselines', () => {
    const f = checks.checkWorkloads([
      run(),
      run({ backend: 'tgi' }, { workload: { fingerprint: 'sha256:w2' } as never }),
    ]);
    expect(codes(f)).toEqual(['workload-mixed:error']);
    expect([...checks.blockedBy(f).keys()]).toEqual(['*']);
    expect(checks.uncleanReasons(f)).toHaveLength(1);
  });
  test('another workload or GPU than the reference blocks the backend but does not make the run unclean', () => {
    const f = checks.checkAgainstReference(run({}, { provenance: { gpu: 'h100' } }), {
      fingerprint: 'sha256:other',
      provenance: { gpu: 'a100' },
    });
    expect(codes(f)).toEqual(['workload-mismatch:error', 'provenance-mismatch:error']);
    expect([...checks.blockedBy(f).keys()]).toEqual(['vllm#*']);
    expect(checks.uncleanReasons(f)).toEqual([]);
  });
});

describe('compare and verdictOf', () => {
  const tps = METRICS.find((d) => d.key === 'output_tokens_per_s')!;
  const where = { backend: 'vllm', concurrency: 4, rate: null };
  const rule = { alpha: 0.05, tolerance_pct: 3, min_trials: 2 };
  const base = [1000, 1010, 990, 1005, 995, 1002];
  test('fixed rule: a 10 % drop is a regression', () => {
    const c = compare({
      where,
      metric: tps,
      candidate: base.map((x) => x * 0.9),
      reference: base,
      blocked: [],
      tolerance_pct: 3,
      gated: true,
      rule,
      sequential: null,
    });
    expect(c.comparison.verdict).toBe('regression');
    expect(c.comparison.sequential).toBeNull();
  });
  test('sequential: the stop, the looks and the bound are recorded; no reference is inconclusive', () => {
    const seq = { design: DEFAULT_DESIGN, mode: 'ab' as const, detectable_pct: 5 };
    const c = compare({
      where,
      metric: tps,
      candidate: base,
      reference: base.map((x) => x * 1.001),
      blocked: [],
      tolerance_pct: 3,
      gated: true,
      rule,
      sequential: seq,
    });
    expect(c.comparison.verdict).toBe('unchanged');
    expect(c.comparison.sequential?.stop).toBe('pass');
    expect(c.comparison.sequential?.looks[0]).toMatchObject({ baseline_trials: 3, candidate_trials: 3 });
    const none = compare({
      where,
      metric: tps,
      candidate: base,
      reference: undefined,
      blocked: [],
      tolerance_pct: 3,
      gated: true,
      rule,
      sequential: seq,
    });
    expect(none.comparison).toMatchObject({ verdict: 'inconclusive', reason: 'no baseline' });
  });
  test('trials much noisier than the design raise noise-above-design (gated comparisons only)', () => {
    const seq = { design: DEFAULT_DESIGN, mode: 'ab' as const, detectable_pct: 5 };
    const noisy = [1000, 1200, 850, 1150, 900, 1250, 800, 1100];
    const args = {
      where,
      metric: tps,
      candidate: noisy.map((x) => x * 1.01).reverse(),
      reference: noisy,
      blocked: [],
      tolerance_pct: 3,
      rule,
      sequential: seq,
    };
    expect(compare({ ...args, gated: true }).findings.map((f) => f.code)).toEqual(['noise-above-design']);
    expect(compare({ ...args, gated: false }).findings).toEqual([]);
  });
  test('verdict: a regression wins; an error finding or an undecided gated comparison is inconclusive, never pass', () => {
    const mk = (verdict: 'regression' | 'unchanged' | 'inconclusive', gated = true) =>
      ({ backend: 'b', metric: 'm', baseline: 1, candidate: 1, delta_pct: 0, verdict, gated }) as never;
    const err = checks.finding('empty-run', 'error', { backend: 'b' });
    expect(verdictOf([mk('unchanged'), mk('regression')], [err])).toBe('regression');
    expect(verdictOf([mk('unchanged')], [err])).toBe('inconclusive');
    expect(verdictOf([mk('unchanged'), mk('inconclusive')], [])).toBe('inconclusive');
    expect(verdictOf([mk('unchanged'), mk('inconclusive', false)], [])).toBe('pass');
    expect(verdictOf([], [])).toBe('inconclusive');
  });
});
