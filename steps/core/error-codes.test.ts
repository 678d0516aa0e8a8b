import { describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { ERROR_CODES, type ErrorCode } from './error-codes.js';
import { EnvironmentError, InvalidInputError, LlmbenchError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { ERRORS_MD, renderErrorsMd } from './gen-errors.js';
import { REPO_ROOT } from './paths.js';

const codes = Object.keys(ERROR_CODES) as ErrorCode[];

/** String literals in the non-test sources of steps/ (the table itself excluded). */
function literalsInSteps(): Set<string> {
  const out = new Set<string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const f = path.join(dir, e.name);
      if (e.isDirectory()) walk(f);
      else if (f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith(`core${path.sep}error-codes.ts`)) {
        const sf = ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
        const visit = (n: ts.Node): void => {
          if (ts.isStringLiteralLike(n)) out.add(n.text);
          ts.forEachChild(n, visit);
        };
        visit(sf);
      }
    }
  };
  walk(path.join(REPO_ROOT, 'steps'));
  return out;
}

/** Never called: tsc checks it (`npm run typecheck`); an unused @ts-expect-error fails the type check. */
export function typeChecks(): unknown[] {
  return [
    // @ts-expect-error an undeclared code does not compile
    new InvalidInputError('no-such-code', 'm'),
    // @ts-expect-error a code declared with exit 3 cannot be thrown as invalid input (exit 2)
    new InvalidInputError('kube-forbidden', 'm'),
    // @ts-expect-error a code declared with exit 2 cannot be thrown as an environment failure (exit 3)
    new EnvironmentError('config-invalid', 'm'),
    new EnvironmentError('kube-forbidden', 'm'),
  ];
}

describe('error codes (steps/core/error-codes.ts)', () => {
  it('steps/core/ERRORS.md is what the table generates (run `npm run gen:errors` after changing it)', () => {
    expect(readFileSync(ERRORS_MD, 'utf8')).toBe(renderErrorsMd());
  });

  it('every entry is a kebab-case code with an exit code from the table, a one-line meaning and hint', () => {
    const exits = new Set<number>(Object.values(ExitCode));
    const bad = codes.filter((c) => {
      const e = ERROR_CODES[c];
      return (
        !/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(c) ||
        !exits.has(e.exit) ||
        (e.exit as number) === ExitCode.OK ||
        !e.meaning.trim() ||
        !e.hint.trim() ||
        /\n/.test(e.meaning + e.hint)
      );
    });
    expect(bad).toEqual([]);
  });

  it('every declared code is still raised somewhere in steps/ (no dead entries)', () => {
    const used = literalsInSteps();
    expect(codes.filter((c) => !used.has(c))).toEqual([]);
  });

  it("an error takes the table's hint and exit code unless the throw site gives its own", () => {
    const d = new InvalidInputError('kube-context-unknown', 'm');
    expect(d.hint).toBe(ERROR_CODES['kube-context-unknown'].hint);
    expect(d.exitCode).toBe(ExitCode.INVALID_INPUT);
    expect(new InvalidInputError('kube-context-unknown', 'm', { hint: 'own' }).hint).toBe('own');
    expect(new EnvironmentError('kube-error', 'm').exitCode).toBe(ExitCode.ENVIRONMENT);
    expect(new LlmbenchError('config-invalid', 'm').exitCode).toBe(ExitCode.INVALID_INPUT);
    expect(new LlmbenchError('kube-error', 'm').exitCode).toBe(ExitCode.ENVIRONMENT);
  });
});
