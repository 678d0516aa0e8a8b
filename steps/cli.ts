import { SERVER_KINDS } from './core/server-catalogue.js';
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { COMMAND_ENTRIES } from './commands.js';
import type { CommandContext } from './core/command.js';
import { InterruptedError, LlmbenchError, formatProblems } from './core/errors.js';
import { ExitCode, EXIT_CODE_TABLE, type ExitCodeValue } from './core/exit-codes.js';
import { createLogger } from './core/log.js';
import { redactString } from './core/redact.js';
import { setStopSignal } from './core/stop.js';
import { REPO_ROOT } from './core/paths.js';

export const VERSION: string = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version;

export interface MainIO {
  argv: string[];
  env?: NodeJS.ProcessEnv;
  stdout?: (s: string) => void;
  stderr?: (s: string) => void;
  signal?: AbortSignal;
  cwd?: string;
}

/**
 * The one entry point and the one top-level catch: parses argv, runs the command, maps every error to the
 * exit-code table, and prints errors redacted. Returns the exit code; only steps/bin calls process.exit.
 */
export async function main(io: MainIO): Promise<ExitCodeValue> {
  const env = io.env ?? process.env;
  const stdout = io.stdout ?? ((s: string) => process.stdout.write(s));
  const stderr = io.stderr ?? ((s: string) => process.stderr.write(s));
  const log = createLogger({ env, write: (l) => stderr(l + '\n') });
  const ctx: CommandContext = {
    log,
    stdout,
    env,
    signal: io.signal ?? new AbortController().signal,
    cwd: io.cwd ?? process.cwd(),
  };
  setStopSignal(ctx.signal);
  let exitCode: ExitCodeValue = ExitCode.OK;
  let signalEndsNormally = false;

  const program = new Command('llmbench')
    .description(
      `Benchmark LLM inference servers (${SERVER_KINDS.join(', ')}: llmbench servers) on OpenShift/Kubernetes and catch performance regressions.`,
    )
    .version(VERSION)
    .configureOutput({ writeOut: (s) => stdout(s), writeErr: (s) => stderr(redactString(s, env)) })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', '\nExit codes:\n' + EXIT_CODE_TABLE.map((e) => `  ${e.code}  ${e.meaning}`).join('\n'));

  // Only the command being run (or asked about) is loaded; the others are listed by name and summary.
  const first = io.argv.find((a) => !a.startsWith('-'));
  const wanted = first === 'help' ? io.argv[io.argv.indexOf('help') + 1] : first;
  for (const entry of COMMAND_ENTRIES) {
    const cmd = program.command(entry.name).description(entry.summary).exitOverride();
    if (entry.name !== wanted) continue;
    const spec = await entry.load();
    signalEndsNormally = spec.signalEndsNormally === true;
    spec.configure(cmd);
    if (spec.helpAfter) cmd.addHelpText('after', '\n' + spec.helpAfter);
    cmd.action(async (...args: unknown[]) => {
      const c = args[args.length - 1] as Command;
      exitCode = await spec.run(c.opts(), ctx, c.args);
    });
  }

  try {
    if (io.argv.length === 0) {
      program.outputHelp();
      return ExitCode.INVALID_INPUT;
    }
    await program.parseAsync(io.argv, { from: 'user' });
    // A command that stopped cleanly on the first signal still says so, with the one code for it.
    if (ctx.signal.aborted && !signalEndsNormally) return reportError(interrupted(ctx.signal), log, stderr, env);
    return exitCode;
  } catch (e) {
    if (ctx.signal.aborted && !signalEndsNormally && !(e instanceof CommanderError))
      return reportError(interrupted(ctx.signal), log, stderr, env);
    return reportError(e, log, stderr, env);
  }
}

function interrupted(signal: AbortSignal): InterruptedError {
  const r: unknown = signal.reason;
  if (r instanceof InterruptedError) return r;
  return new InterruptedError(r instanceof Error ? r.message : 'received a stop signal');
}

function reportError(
  e: unknown,
  log: ReturnType<typeof createLogger>,
  stderr: (s: string) => void,
  env: NodeJS.ProcessEnv,
): ExitCodeValue {
  if (e instanceof CommanderError) {
    // --help and --version end here with exit code 0.
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
      return ExitCode.OK;
    return ExitCode.INVALID_INPUT;
  }
  if (e instanceof LlmbenchError) {
    const fields: Record<string, unknown> = { code: e.code, exit_code: e.exitCode };
    if (e.hint) fields.hint = e.hint;
    if (log.json) {
      if (e.problems.length) fields.problems = e.problems;
      log.error(e.message, fields);
    } else {
      stderr(redactString(`error [${e.code}]: ${e.message}\n`, env));
      if (e.problems.length) stderr(redactString(formatProblems(e.problems) + '\n', env));
      if (e.hint) stderr(redactString(`hint: ${e.hint}\n`, env));
    }
    return e.exitCode;
  }
  // Anything else is a bug or an unexpected environment failure: say so, without secrets.
  const err = e as Error;
  log.error(`unexpected error: ${err?.message ?? String(e)}`, {
    code: 'internal',
    stack: env.LLMBENCH_DEBUG ? err?.stack : undefined,
  });
  return ExitCode.ENVIRONMENT;
}
