import { describe, expect, it } from '@jest/globals';
import { measurementWindowS, percentile, requestMetrics, stats, summarize, summarizePoints } from './derive.js';
import type { Sample } from '../core/types/sample.js';
import { streamedSample } from '../../test/helpers/samples.js';

function sample(over: Partial<Sample> & { chunks?: number[] } = {}): Sample {
  const { chunks = [100, 120, 140, 160], ...rest } = over;
  return streamedSample(chunks, { run_id: 'r1', input_tokens: { requested: 10, client: 10, server: 11 }, ...rest });
}

describe('metric definitions (README.md "Metric definitions", vLLM)', () => {
  it('percentiles interpolate linearly between closest ranks like numpy', () => {
    const xs = Float64Array.from([1, 2, 3, 4, 10]);
    expect(percentile(xs, 50)).toBe(3);
    expect(percentile(xs, 90)).toBeCloseTo(7.6, 10); // numpy.percentile([1,2,3,4,10], 90)
    expect(percentile(xs, 99)).toBeCloseTo(9.76, 10);
    expect(stats([]).p99).toBeNull();
  });

  it('TTFT, E2E, TPOT and both ITL variants from raw timestamps', () => {
    const s = sample({ chunks: [100, 120, 160], sent_ms: 0 });
    s.chunk_tokens = [1, 1, 2];
    s.output_tokens = { requested: 4, server: 4, client: 4 };
    const m = requestMetrics(s);
    expect(m.ttft_ms).toBe(100);
    expect(m.e2e_ms).toBe(160);
    expect(m.tpot_ms).toBe(20); // (160 − 100) / (4 − 1)
    expect(m.itl_ms).toEqual([20, 40]); // one gap per chunk
    expect(m.itl_token_ms).toEqual([20, 20, 20]); // the 2-token chunk gives two gaps of 20
  });

  it('latency from the intended send time exposes client queueing (coordinated omission)', () => {
    const m = requestMetrics(sample({ intended_send_ms: -50, sent_ms: 0 }));
    expect(m.queue_ms).toBe(50);
    expect(m.ttft_from_intended_ms).toBe(150);
  });

  it('time_scale multiplies every interval and the window: metrics in simulated time', () => {
    const s = sample({ time_scale: 10 });
    const m = requestMetrics(s);
    expect(m.ttft_ms).toBe(1000);
    expect(m.itl_ms).toEqual([200, 200, 200]);
    const sum = summarize([s]);
    expect(sum.duration_s).toBeCloseTo(1.61, 10);
    expect(sum.output_tokens_per_s).toBeCloseTo(4 / 1.61, 10);
    expect(sum.time_scale).toBe(10);
  });

  it('failed requests count in the error rate and never in latency statistics; warmup is excluded', () => {
    const ok = sample();
    const bad = sample({
      seq: 1,
      ok: false,
      error: { category: 'stream_truncated', message: 'x', http_status: 200 },
      chunks: [500],
    });
    const warm = sample({ seq: 2, warmup: true, chunks: [5000] });
    const m = summarize([ok, bad, warm]);
    expect([m.completed, m.failed, m.error_rate]).toEqual([1, 1, 0.5]);
    expect(m.errors_by_category).toEqual({ stream_truncated: 1 });
    expect(m.ttft_ms.n).toBe(1);
    expect(m.ttft_ms.max).toBe(100);
  });

  it('token truth: server/client disagreement, shortfall and prompt-length mismatch are counted', () => {
    const a = sample({ output_tokens: { requested: 10, server: 4, client: 6 } });
    const b = sample({ seq: 1, input_tokens: { requested: 10, client: 10, server: 30 } });
    const c = sample({ seq: 2, api: 'chat', input_tokens: { requested: 10, client: 10, server: 30 } });
    const t = summarize([a, b, c]).tokens!;
    expect(t.mismatched).toBe(1);
    expect(t.shortfall).toBe(1);
    expect(t.input_mismatched).toBe(1); // chat is not compared (template tokens)
  });

  it('a resumed trial: the dead time between kill and resume is not in the window', () => {
    const first = sample({ run_id: 'p1', sent_ms: 0, chunks: [100, 200] });
    const second = sample({ run_id: 'p2', seq: 1, sent_ms: 60_000, chunks: [60_100, 60_300] });
    expect(measurementWindowS([first, second])).toBeCloseTo((201 + 301) / 1000, 10);
  });

  it('goodput counts requests meeting every SLO', () => {
    const fast = sample();
    const slow = sample({ seq: 1, chunks: [900, 920] });
    const m = summarize([fast, slow], { slo: { ttft_ms: 500 } });
    expect(m.goodput_requests_per_s).toBeCloseTo(1 / m.duration_s!, 10);
  });

  it('points below min_samples are marked invalid with the reason', () => {
    const pts = summarizePoints([sample(), sample({ seq: 1 })], { minSamples: 100 });
    expect(pts[0].valid).toBe(false);
    expect(pts[0].invalid_reasons?.[0]).toEqual({
      code: 'too-few-samples',
      message: 'only 2 successful requests (minimum 100 for p99)',
      value: 2,
      limit: 100,
    });
  });
});
