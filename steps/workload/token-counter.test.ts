import { describe, expect, it } from '@jest/globals';
import { inlineCounter, workerCounter } from './token-counter.js';
import { getTokenizer } from './tokenizer.js';

describe('token counting off the timing thread', () => {
  it('the worker thread counts exactly like the shared tokenizer (joined text; per chunk on demand)', async () => {
    const tok = getTokenizer();
    const w = workerCounter(tok);
    try {
      const texts = [' Hello', ' world', ',', ' the quick', ' brown fox', ' jumps', ' é€', '</s>'];
      const got = await w.count(texts, true);
      expect(got).toEqual(await inlineCounter(tok).count(texts, true));
      expect(got.total).toBe(tok.count(texts.join('')));
      expect((await w.count(['a', 'b'], false)).per).toBeNull();
      // Many requests in flight at once resolve to their own counts.
      const many = await Promise.all(Array.from({ length: 50 }, (_, i) => w.count([' x'.repeat(i + 1)], false)));
      expect(many.map((c) => c.total)).toEqual(Array.from({ length: 50 }, (_, i) => tok.count(' x'.repeat(i + 1))));
    } finally {
      await w.close();
    }
  });
});
