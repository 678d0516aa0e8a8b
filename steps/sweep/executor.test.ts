import { describe, expect, it } from '@jest/globals';
import type { Sample } from '../core/types/sample.js';
import { LlmbenchError } from '../core/errors.js';
import { shiftSample, threadExecutor, type ExecRequest } from './executor.js';
import { loneRequestBase } from '../adapters/client.js';
import { streamedSample } from '../../test/helpers/samples.js';

const sample = (): Sample =>
  streamedSample([150, 170], { api: 'completions', intended_send_ms: 100, sent_ms: 101, headers_ms: 105 });

describe('shiftSample', () => {
  it("moves every stamp taken on the client thread, and not the scheduler's intended send", () => {
    const s = shiftSample(sample(), 1000);
    expect([s.intended_send_ms, s.sent_ms, s.headers_ms, s.chunk_ms, s.end_ms]).toEqual([
      100,
      1101,
      1105,
      [1150, 1170],
      1171,
    ]);
    const n = shiftSample({ ...sample(), headers_ms: null, end_ms: null, chunk_ms: [] }, -5);
    expect([n.sent_ms, n.headers_ms, n.end_ms]).toEqual([96, null, null]);
  });
});

describe('threadExecutor', () => {
  it('a client thread failing is a typed error for every caller, never a hang', async () => {
    const ex = await threadExecutor({
      threads: 2,
      tokenizer: 'mistral',
      keepAliveTimeoutMs: 1000,
      connectTimeoutMs: 1000,
    });
    // An adapter that does not exist makes the thread's own code throw: an internal failure, not a request failure.
    const bad = {
      kind: 'nope',
      api: 'x',
      url: 'http://127.0.0.1:9',
      timeoutMs: 1000,
      stallTimeoutMs: 1000,
      req: { model: 'm', prompt: 'p', maxTokens: 1, ignoreEos: true, temperature: 0 },
      base: loneRequestBase('r', 'b', null, { intended_send_ms: 0 }),
    } as unknown as ExecRequest;
    const err = await ex.execute(bad).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LlmbenchError);
    expect(err).toMatchObject({ code: 'client-thread-failed', exitCode: 3 });
    expect((err as LlmbenchError).hint).toMatch(/--resume/);
    await expect(ex.execute(bad)).rejects.toMatchObject({ code: 'client-thread-failed' });
    await expect(ex.beginWindow()).rejects.toMatchObject({ code: 'client-thread-failed' });
    const t0 = performance.now();
    await ex.close();
    expect(performance.now() - t0).toBeLessThan(6000);
  });
});
