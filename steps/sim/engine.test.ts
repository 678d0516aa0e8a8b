import { describe, expect, test } from '@jest/globals';
import { VirtualClock } from './clock.js';
import { Engine, type Seq } from './engine.js';
import { kvBytesPerToken, profiles, resolveProfile } from './profiles.js';
import { ORIGINAL, runVirtualPoint } from './calibrate.js';
import { EnvironmentError, InvalidInputError } from '../core/errors.js';

describe('profiles', () => {
  test('every profile file names its sources', () => {
    const P = profiles();
    for (const m of [P.gpus, P.models, P.backends])
      for (const p of m.values()) expect(p.sources.length).toBeGreaterThan(0);
    expect([...P.gpus.keys()].sort()).toEqual([
      'a10-24gb',
      'a100-40gb',
      'a100-80gb',
      'a100-mig-3g.20gb',
      'h100-80gb',
      'l40s-48gb',
      't4-16gb',
    ]);
  });

  test('Mistral-7B KV cache is 128 KiB per token; the MIG slice holds ~20k tokens after weights', () => {
    const p = resolveProfile('vllm');
    expect(kvBytesPerToken(p.model)).toBe(131072);
    // 20,096 MiB x 0.85 - 14.48 GB weights - 0.8 GB activations = ~2.6 GB of KV cache.
    expect(p.kvBlocks * 16).toBeGreaterThan(18_000);
    expect(p.kvBlocks * 16).toBeLessThan(22_000);
    expect(p.engine.enforce_eager).toBe(true);
    expect(p.engine.max_model_len).toBe(2048);
    expect(resolveProfile('tgi').model.id).toBe('mistral-7b-instruct-bnb-nf4');
  });

  test('a model that does not fit refuses to start (fp16 Mistral on a T4); 4-bit fits', () => {
    expect(() => resolveProfile('vllm', 't4-16gb')).toThrow(EnvironmentError);
    expect(resolveProfile('vllm', 't4-16gb', 'mistral-7b-instruct-bnb-nf4').kvBlocks).toBeGreaterThan(128);
    expect(() => resolveProfile('vllm', 'nope', 'nada')).toThrow(InvalidInputError);
  });
});

describe('calibration against the original framework (A100 MIG 3g.20gb, Mistral-7B fp16, vLLM eager)', () => {
  test.each(ORIGINAL.concurrency.map((c, i) => [c, ORIGINAL.vllm[i]]))(
    'c=%i lands within ±15 %% of %f output tok/s',
    (c, want) => {
      const r = runVirtualPoint({ backend: 'vllm', concurrency: c, inputTokens: 128, outputTokens: 100 });
      expect(r.completed).toBeGreaterThan(0);
      expect(Math.abs(r.outputTokensPerS / want - 1)).toBeLessThan(0.15);
    },
  );
});

describe('engine', () => {
  const sink = (done: Seq[]) => ({ onToken: () => {}, onFinish: (s: Seq) => void done.push(s) });

  test('continuous batching: 8 concurrent requests take far less than 8x one request', () => {
    const time = (n: number) => {
      const clock = new VirtualClock();
      const e = new Engine(resolveProfile('vllm'), clock, { seed: 1 });
      const done: Seq[] = [];
      for (let i = 0; i < n; i++)
        e.submit({ promptTokens: 100, outputTokens: 50, finishReason: 'length', sink: sink(done) });
      clock.run();
      expect(done).toHaveLength(n);
      return clock.now();
    };
    const one = time(1);
    expect(time(8) / one).toBeLessThan(1.3);
  });

  test('one clock event per engine step for all sequences (no timer per stream)', () => {
    const clock = new VirtualClock();
    let events = 0;
    const at = clock.at.bind(clock);
    clock.at = (t, fn) => {
      events++;
      return at(t, fn);
    };
    const e = new Engine(resolveProfile('vllm'), clock, { seed: 1 });
    const done: Seq[] = [];
    for (let i = 0; i < 64; i++)
      e.submit({ promptTokens: 32, outputTokens: 100, finishReason: 'length', sink: sink(done) });
    clock.run();
    expect(done).toHaveLength(64);
    expect(e.stats.generationTokens).toBe(6400);
    expect(events).toBeLessThanOrEqual(e.stats.steps + 1);
    expect(e.stats.steps).toBeLessThan(130);
  });

  test('a full KV cache preempts the newest sequence and still finishes everything with exact token counts', () => {
    const clock = new VirtualClock();
    // Utilization chosen so the cache holds ~2,100 tokens: 16 x (64 + 200) does not fit.
    const p = resolveProfile('vllm', 'a100-mig-3g.20gb', undefined, { gpu_memory_utilization: 0.7385 });
    expect(p.kvBlocks * 16).toBeLessThan(4000);
    const e = new Engine(p, clock, { seed: 3 });
    const done: Seq[] = [];
    for (let i = 0; i < 16; i++)
      e.submit({ promptTokens: 64, outputTokens: 200, finishReason: 'length', sink: sink(done) });
    clock.run();
    expect(done).toHaveLength(16);
    expect(done.every((s) => s.generated === 200)).toBe(true);
    expect(e.stats.preemptions).toBeGreaterThan(0);
    expect(e.kvUsage).toBe(0);
  });

  test('prefill-first (TGI, Triton) pauses decodes for new prompts; chunked (vLLM) mixes them', () => {
    for (const [backend, expectMixed] of [
      ['vllm', true],
      ['triton', false],
    ] as const) {
      const clock = new VirtualClock();
      const e = new Engine(resolveProfile(backend), clock, { seed: 1 });
      const done: Seq[] = [];
      e.submit({ promptTokens: 16, outputTokens: 40, finishReason: 'length', sink: sink(done) });
      clock.run(0.2);
      e.submit({ promptTokens: 1000, outputTokens: 5, finishReason: 'length', sink: sink(done) });
      clock.run();
      // A mixed step has 1 decode token + the 1000-token prompt; a prefill-only step has exactly 1000.
      const h = e.stats.stepTokens;
      const over1000 = h.count - h.counts[h.buckets.indexOf(1000)];
      expect(over1000 > 0).toBe(expectMixed);
    }
  });

  test('jitter is seeded: same seed, same timeline; the slowdown fault scales step time', () => {
    const run = (seed: number, slowdown = 1) => {
      const clock = new VirtualClock();
      const e = new Engine(resolveProfile('vllm'), clock, { seed, slowdown });
      const done: Seq[] = [];
      for (let i = 0; i < 4; i++)
        e.submit({ promptTokens: 50, outputTokens: 30, finishReason: 'length', sink: sink(done) });
      clock.run();
      return clock.now();
    };
    expect(run(7)).toBe(run(7));
    expect(run(7)).not.toBe(run(8));
    expect(run(7, 1.5) / run(7)).toBeCloseTo(1.5, 2);
  });
});

describe('regression: a prompt longer than the prefill budget was never scheduled (prefill-first)', () => {
  test('Triton with max_model_len 4096 still serves a 3,000-token prompt', () => {
    const p = resolveProfile('triton', 'a100-80gb', undefined, { max_model_len: 4096 });
    expect(p.engine.max_num_batched_tokens).toBeGreaterThanOrEqual(4096);
    const clock = new VirtualClock();
    const e = new Engine(p, clock, { seed: 1 });
    const done: Seq[] = [];
    e.submit({
      promptTokens: 3000,
      outputTokens: 10,
      finishReason: 'length',
      sink: { onToken: () => {}, onFinish: (s) => void done.push(s) },
    });
    clock.run();
    expect(done).toHaveLength(1);
  });
});

describe('regression: late timers stretched simulated time', () => {
  // Every timer fires 5 ms (simulated) late, as setTimeout does under load. Steps must stay chained on their
  // simulated end times, so a request's timeline is identical to the on-time clock's (before the fix, each
  // step started at the late wake-up time and 100 tokens took 100 x 5 ms longer).
  test('a request takes the same simulated time whether timers fire on time or late', () => {
    const timeline = (lateS: number) => {
      const inner = new VirtualClock();
      const clock = { now: () => inner.now(), at: (t: number, fn: () => void) => inner.at(t + lateS, fn) };
      const e = new Engine(resolveProfile('vllm'), clock, { seed: 5 });
      let first = NaN;
      let last = NaN;
      e.submit({
        promptTokens: 128,
        outputTokens: 100,
        finishReason: 'length',
        sink: { onToken: () => {}, onFinish: (s) => ((first = s.firstTokenAt), (last = s.lastTokenAt)) },
      });
      inner.run();
      return last - first;
    };
    expect(timeline(0.005)).toBeCloseTo(timeline(0), 9);
  });
});
