import type { Command } from 'commander';
import type { Logger } from './log.js';
import type { ExitCodeValue } from './exit-codes.js';

/** What a command's shell gets from the one entry point (steps/cli.ts). Only shells touch these. */
export interface CommandContext {
  log: Logger;
  /** Command output (YAML from render, `listening <url>` from sim). Logs go to stderr via `log`. */
  stdout: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM: long-running commands stop cleanly and keep what they wrote. */
  signal: AbortSignal;
  /** Working directory the command was started in (relative paths resolve against it). */
  cwd: string;
}

/**
 * One CLI command: registered under the word users type. `configure` declares flags on a commander Command
 * (and its help text); `run` is the thin shell: validate options, call the pure core, write, return an exit code.
 */
export interface CommandSpec {
  name: string;
  summary: string;
  configure(cmd: Command): void;
  run(opts: Record<string, unknown>, ctx: CommandContext, args: string[]): Promise<ExitCodeValue>;
  /** Printed after the flags in `--help`: what the command writes, its exit codes, where to read more. */
  helpAfter?: string;
  /** A server (`sim`) runs until signalled: stopping on SIGTERM is its normal end, not an interruption (130). */
  signalEndsNormally?: boolean;
}
