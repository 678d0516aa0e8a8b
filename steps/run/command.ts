import path from 'node:path';
import type { CommandSpec } from '../core/command.js';
import { defaultConfig, loadConfig } from '../core/config.js';
import { ExitCode } from '../core/exit-codes.js';
import { createLogger } from '../core/log.js';
import { InvalidInputError } from '../core/errors.js';
import { RESULTS_DIR } from '../core/paths.js';
import { barMultiProgress, eventMultiProgress, noMultiProgress, type MultiProgress } from '../sweep/progress.js';
import { runPipeline } from './run.js';
import { assertSequentialDesign } from '../analyze/gate.js';

const PROGRESS_KINDS = ['auto', 'bar', 'json', 'none'];

export const command: CommandSpec = {
  name: 'run',
  summary:
    'Run the whole chain locally (default: simulated vLLM, TGI and Triton) and write results, plots and SUMMARY.md',
  configure: (c) =>
    c
      .option('--config <file>', 'bench config (YAML or JSON); default: the embedded simulator benchmark')
      .option('--workdir <dir>', 'work directory for all outputs (default: results/runs/<UTC timestamp>)')
      .option('--sequential', 'sweep simulated backends one after another (default: at once, each in its own process)')
      .option(
        '--progress <kind>',
        'auto | bar | json | none (default auto: bars on a TTY, JSON lines under CI)',
        'auto',
      )
      .addHelpText(
        'after',
        '\nWith no --config, starts simulated servers on 127.0.0.1, sweeps them, and writes <workdir>/SUMMARY.md.',
      ),
  async run(opts, ctx) {
    // Validate everything before any work: a bad config exits 2 and touches nothing.
    const kind = String(opts.progress ?? 'auto');
    if (!PROGRESS_KINDS.includes(kind))
      throw new InvalidInputError('run-flags-invalid', `invalid --progress '${kind}'`, {
        problems: [{ path: '--progress', message: 'must be auto, bar, json or none' }],
        hint: 'Run `llmbench run --help`.',
      });
    const cfg = opts.config ? await loadConfig(path.resolve(ctx.cwd, String(opts.config))) : defaultConfig();
    assertSequentialDesign(cfg, opts.config ? String(opts.config) : '<embedded default>');
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const workdir = opts.workdir ? path.resolve(ctx.cwd, String(opts.workdir)) : path.join(RESULTS_DIR, 'runs', stamp);
    const bars = kind === 'bar' || (kind === 'auto' && !ctx.log.json && process.stderr.isTTY === true);
    const progress: MultiProgress = bars
      ? barMultiProgress(process.stderr)
      : kind === 'json' || (kind === 'auto' && ctx.log.json)
        ? eventMultiProgress(ctx.log)
        : noMultiProgress;
    // While bars are drawn, log lines go above them instead of tearing them.
    const log = bars ? createLogger({ env: ctx.env, write: (l) => progress.log(l) }) : ctx.log;
    const res = await runPipeline(cfg, workdir, {
      log,
      signal: ctx.signal,
      progress,
      sequential: opts.sequential === true,
      env: ctx.env,
      cwd: ctx.cwd,
    });
    ctx.log.info(`wrote ${res.files.length} files to ${res.workdir}`);
    ctx.stdout(`${path.join(res.workdir, 'SUMMARY.md')}\n`);
    if (res.interrupted) ctx.log.warn(`interrupted (${res.interrupted}): nothing new was started; SUMMARY.md says so`);
    if (res.verdict) ctx.log.info(`verdict: ${res.verdict}`);
    // The run's exit code is the verdict's (0 pass, 1 regression, 4 inconclusive), like `llmbench analyze`.
    return res.exitCode ?? ExitCode.OK;
  },
};
