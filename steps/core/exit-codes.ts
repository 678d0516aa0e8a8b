/**
 * The one exit-code table (README.md "Exit codes"). Every command exits with one of these; nothing else
 * in the code base may call process.exit with a literal.
 */
export const ExitCode = {
  /** Success, or a verdict of "pass". */
  OK: 0,
  /** A regression was found. */
  REGRESSION: 1,
  /** Invalid input: bad flag, bad config, bad file. Nothing was changed. */
  INVALID_INPUT: 2,
  /** Environment or backend failure: unreachable, not ready, timeout, API error. */
  ENVIRONMENT: 3,
  /** Inconclusive: not enough valid data to decide. */
  INCONCLUSIVE: 4,
  /** Interrupted by SIGINT/SIGTERM: stopped early, what was written is kept (128 + SIGINT, the shell's convention). */
  INTERRUPTED: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODE_TABLE: ReadonlyArray<{ code: ExitCodeValue; meaning: string }> = [
  { code: 0, meaning: 'ok (or verdict pass)' },
  { code: 1, meaning: 'regression found' },
  { code: 2, meaning: 'invalid input' },
  { code: 3, meaning: 'environment/backend failure (unreachable, not ready, timeout)' },
  { code: 4, meaning: 'inconclusive (not enough valid data to decide)' },
  { code: 130, meaning: 'interrupted (SIGINT/SIGTERM): stopped early, what was written is kept' },
];

/** Maps a verdict to its exit code. */
export function exitCodeForVerdict(verdict: 'pass' | 'regression' | 'inconclusive'): ExitCodeValue {
  switch (verdict) {
    case 'pass':
      return ExitCode.OK;
    case 'regression':
      return ExitCode.REGRESSION;
    case 'inconclusive':
      return ExitCode.INCONCLUSIVE;
  }
}
