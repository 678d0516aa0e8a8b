import { describe, expect, test } from '@jest/globals';
import { getTokenizer } from '../workload/tokenizer.js';
import { naturalLength, outputFor } from './textgen.js';

describe('output text', () => {
  const tok = getTokenizer('mistral');
  test('streamed pieces joined and re-tokenized give exactly n tokens (SentencePiece leading spaces kept)', () => {
    for (const n of [1, 2, 7, 16, 67, 100, 128, 400, 1500]) {
      for (const prompt of ['a', 'Tell me about rivers', 'x'.repeat(50)]) {
        const o = outputFor(prompt, n, 42);
        expect(o.ids).toHaveLength(n);
        expect(o.pieces.join('')).toBe(tok.decode(o.ids));
        expect(tok.count(o.pieces.join(''))).toBe(n);
        expect(tok.encode(o.pieces.join(''))).toEqual(o.ids);
      }
    }
  });
  test('deterministic per prompt and seed', () => {
    expect(outputFor('p', 20, 1).ids).toEqual(outputFor('p', 20, 1).ids);
    expect(outputFor('p', 20, 1).ids).not.toEqual(outputFor('q', 20, 1).ids);
  });
  test('natural lengths centre on the median', () => {
    const xs = Array.from({ length: 400 }, (_, i) => naturalLength(`prompt ${i}`, 42, 67, 0.35)).sort((a, b) => a - b);
    expect(xs[200]).toBeGreaterThan(60);
    expect(xs[200]).toBeLessThan(75);
  });
});
