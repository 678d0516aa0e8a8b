import { describe, expect, it } from '@jest/globals';
import { parseConfig } from './config.js';
import { InvalidInputError } from './errors.js';
import { YamlLines, lineOfPath } from './yaml-lines.js';

describe('YamlLines', () => {
  const text = [
    'version: 1',
    'backends:',
    '  - kind: vllm',
    '    headers:',
    '      X-A: b',
    '  - kind: tgi',
    '    url: "http://x"',
    'load:',
    '  concurrency: [1, 2]',
    '  trials: 3',
  ].join('\n');

  it('finds keys, items and flow collections as lineOfPath did', () => {
    const y = new YamlLines(text);
    expect(y.lineOf('/version')).toBe(1);
    expect(y.lineOf('/backends/0/kind')).toBe(3);
    expect(y.lineOf('/backends/0/headers/X-A')).toBe(5);
    expect(y.lineOf('/backends/1/url')).toBe(7);
    expect(y.lineOf('/load/concurrency/1')).toBe(9);
    expect(y.lineOf('/load/trials')).toBe(10);
    expect(y.lineOf('/load/missing')).toBe(8);
    expect(y.lineOf('/nothing')).toBeUndefined();
    expect(lineOfPath(text, '/backends/1/kind')).toBe(6);
  });

  it('config validation was super-linear (32,000 unknown keys: 242 s): every problem located in one pass', () => {
    const n = 32_000;
    const big =
      'version: 1\nbackends:\n  - kind: vllm\n' + Array.from({ length: n }, (_, i) => `unknown_${i}: ${i}\n`).join('');
    let err: InvalidInputError | undefined;
    try {
      parseConfig(big, 'big.yaml');
    } catch (e) {
      err = e as InvalidInputError;
    }
    expect(err?.problems).toHaveLength(n);
    expect(err?.problems[n - 1]).toMatchObject({ line: n + 3, file: 'big.yaml' });
  }, 30_000);
});
