import { describe, expect, test } from '@jest/globals';
import { Command } from 'commander';
import { addDeadlineOptions, FlagProblems, rangeText } from './flags.js';
import { InvalidInputError } from './errors.js';
import { ExitCode } from './exit-codes.js';

describe('FlagProblems', () => {
  test('numbers: in range, out of range, not numbers, not given', () => {
    const f = new FlagProblems({ scale: '2', grace: '-1', timeout: 'x', pollInterval: 'Infinity', empty: '' });
    expect(f.number('--scale', { gt: 0, le: 8 })).toBe(2);
    f.number('--grace', { ge: 0 }, 'a number of seconds');
    f.number('--timeout', { gt: 0 });
    f.number('--poll-interval', { gt: 0 });
    expect(f.number('--empty', { gt: 0 })).toBeUndefined();
    expect(f.number('--absent', { gt: 0 })).toBeUndefined();
    expect(f.problems).toEqual([
      { path: '--grace', message: 'must be a number of seconds ≥ 0' },
      { path: '--timeout', message: 'must be a number > 0' },
      { path: '--poll-interval', message: 'must be a number > 0' },
    ]);
  });

  test('every problem is reported at once, exit 2; nothing is thrown without one', () => {
    const f = new FlagProblems({ runs: '', writeBaseline: 'b.json' });
    f.required('--runs');
    f.required('--out');
    f.required('--write-baseline');
    let err: unknown;
    try {
      f.throwIfAny('analyze-flags', 'analyze needs --runs and --out', 'a hint');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidInputError);
    const e = err as InvalidInputError;
    expect([e.code, e.exitCode, e.hint]).toEqual(['analyze-flags', ExitCode.INVALID_INPUT, 'a hint']);
    expect(e.problems.map((p) => p.path)).toEqual(['--runs', '--out']);
    expect(() => new FlagProblems({ out: 'x' }).throwIfAny('analyze-flags', 'm')).not.toThrow();
  });

  test('range text', () => {
    expect([{ gt: 0, le: 8 }, { ge: 1, le: 3 }, { gt: 0 }, { ge: 0 }, { le: 5 }].map(rangeText)).toEqual([
      'in (0, 8]',
      'in [1, 3]',
      '> 0',
      '≥ 0',
      '≤ 5',
    ]);
  });

  test('deadline options: declared with their defaults, read in seconds', async () => {
    const c = addDeadlineOptions(new Command().exitOverride(), { timeout: 't', poll: 'p', pollDefault: '2' });
    c.action(() => {});
    await c.parseAsync(['--timeout', '30'], { from: 'user' });
    expect(new FlagProblems(c.opts()).deadline()).toEqual({ timeoutS: 30, pollS: 2 });
  });
});
