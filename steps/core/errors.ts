import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import { ERROR_CODES, type EnvironmentCode, type ErrorCode, type InvalidInputCode } from './error-codes.js';

/** One problem found while validating input, located by a JSON path (and a line when known). */
export interface Problem {
  /** JSON pointer-like path, e.g. `/load/concurrency/2`; `` for the document root. */
  path: string;
  message: string;
  /** 1-based line in the source file, when it could be located. */
  line?: number;
  /** Source file the problem was found in. */
  file?: string;
}

/**
 * The typed error every step throws. `code` is stable (tests and users match on it) and declared once, in
 * steps/core/error-codes.ts; `hint` tells the human what to do (the table's when the throw site gives none);
 * `exitCode` comes from the one table. Caught once, in steps/cli.ts.
 */
export class LlmbenchError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly exitCode: ExitCodeValue;
  readonly problems: Problem[];

  constructor(
    code: ErrorCode,
    message: string,
    opts: { hint?: string; exitCode?: ExitCodeValue; problems?: Problem[]; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'LlmbenchError';
    this.code = code;
    this.hint = opts.hint ?? ERROR_CODES[code]?.hint;
    this.exitCode = opts.exitCode ?? ERROR_CODES[code]?.exit ?? ExitCode.ENVIRONMENT;
    this.problems = opts.problems ?? [];
  }
}

/** Invalid input (exit 2): every problem listed with its path. */
/** "1 problem", "3 problems": the count in invalid-input messages. */
export const problemCount = (n: number): string => `${n} problem${n > 1 ? 's' : ''}`;

export class InvalidInputError extends LlmbenchError {
  constructor(
    code: InvalidInputCode,
    message: string,
    opts: { hint?: string; problems?: Problem[]; cause?: unknown } = {},
  ) {
    super(code, message, { ...opts, exitCode: ExitCode.INVALID_INPUT });
    this.name = 'InvalidInputError';
  }
}

/** Environment/backend failure (exit 3): unreachable, not ready, timeout, API errors. */
export class EnvironmentError extends LlmbenchError {
  constructor(code: EnvironmentCode, message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(code, message, { ...opts, exitCode: ExitCode.ENVIRONMENT });
    this.name = 'EnvironmentError';
  }
}

/** The first SIGINT/SIGTERM (exit 130): the command stopped early and kept what it had written. */
export class InterruptedError extends LlmbenchError {
  constructor(what = 'received a stop signal') {
    super('interrupted', `interrupted: ${what}`, {
      hint: 'Stopped on request; files already written are kept (a sweep continues with --resume).',
      exitCode: ExitCode.INTERRUPTED,
    });
    this.name = 'InterruptedError';
  }
}

export function formatProblems(problems: Problem[]): string {
  return problems
    .map((p) => {
      const where = [p.file, p.line !== undefined ? `line ${p.line}` : undefined].filter(Boolean).join(':');
      return `  - ${p.path || '/'}${where ? ` (${where})` : ''}: ${p.message}`;
    })
    .join('\n');
}
