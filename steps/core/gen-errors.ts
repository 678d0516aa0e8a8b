/**
 * Generates steps/core/ERRORS.md, the reference of every error code, from steps/core/error-codes.ts.
 * `npm run gen:errors` writes it; steps/core/error-codes.test.ts fails when the checked-in file drifts.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES, type ErrorCode } from './error-codes.js';
import { EXIT_CODE_TABLE } from './exit-codes.js';

export const ERRORS_MD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ERRORS.md');

/** Table cells: our own text, but a `|` or a line break would still break the row. */
const cell = (s: string) =>
  s
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\s*\n\s*/g, ' ');

export function renderErrorsMd(): string {
  const codes = (Object.keys(ERROR_CODES) as ErrorCode[]).sort();
  const out = [
    '<!-- Generated from steps/core/error-codes.ts by `npm run gen:errors`. Do not edit: change the table and regenerate. -->',
    '',
    '# Error codes',
    '',
    'Every error llmbench reports carries one of these codes (`error [code]: …` on stderr, `"code"` in JSON logs),',
    'the exit code below, and a hint. The hint shown is the one written where the error is raised when there is one',
    '(it is usually more specific), otherwise the default listed here.',
    '',
  ];
  // Every exit code a declared error uses, even one EXIT_CODE_TABLE does not describe yet.
  const exits = [...new Set<number>(codes.map((c) => ERROR_CODES[c].exit))].sort((a, b) => a - b);
  for (const exit of exits) {
    const rows = codes.filter((c) => ERROR_CODES[c].exit === exit);
    const meaning = EXIT_CODE_TABLE.find((e) => e.code === exit)?.meaning;
    out.push(
      `## Exit ${exit}${meaning ? `: ${meaning}` : ''}`,
      '',
      '| code | meaning | default hint |',
      '|---|---|---|',
    );
    for (const c of rows) out.push(`| \`${c}\` | ${cell(ERROR_CODES[c].meaning)} | ${cell(ERROR_CODES[c].hint)} |`);
    out.push('');
  }
  out.push(`${codes.length} codes.`, '');
  return out.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(ERRORS_MD, renderErrorsMd());
  console.log(`wrote ${path.relative(process.cwd(), ERRORS_MD)}`);
}
