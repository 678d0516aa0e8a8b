import path from 'node:path';
import type { CommandSpec } from '../core/command.js';
import { defaultConfig, loadConfig } from '../core/config.js';
import { ExitCode } from '../core/exit-codes.js';
import { RESULTS_DIR } from '../core/paths.js';
import { runPipeline } from './run.js';
import { assertSequentialDesign } from '../analyze/gate.js';

export const command: CommandSpec = {
  name: 'run',
  summary:
    'Run the whole chain locally (default: simulated vLLM, TGI and Triton) and write results, plots and SUMMARY.md',
  configure: (c) =>
    c
      .option('--config <file>', 'bench config (YAML or JSON); default: the embedded simulator benchmark')
      .option('--workdir <dir>', 'work directory for all outputs (default: results/runs/<UTC timestamp>)')
      .addHelpText(
        'after',
        '\nWith no --config, starts simulated servers on 127.0.0.1, sweeps them, and writes <workdir>/SUMMARY.md.',
      ),
  async run(opts, ctx) {
    // Validate everything before any work: a bad config exits 2 and touches nothing.
    const cfg = opts.config ? await loadConfig(path.resolve(ctx.cwd, String(opts.config))) : defaultConfig();
    assertSequentialDesign(cfg, opts.config ? String(opts.config) : '<embedded default>');
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const workdir = opts.workdir ? path.resolve(ctx.cwd, String(opts.workdir)) : path.join(RESULTS_DIR, 'runs', stamp);
    const res = await runPipeline(cfg, workdir, { log: ctx.log, signal: ctx.signal });
    ctx.log.info(`wrote ${res.files.length} files to ${res.workdir}`);
    ctx.stdout(`${path.join(res.workdir, 'SUMMARY.md')}\n`);
    if (res.verdict) ctx.log.info(`verdict: ${res.verdict}`);
    // The run's exit code is the verdict's (0 pass, 1 regression, 4 inconclusive), like `llmbench analyze`.
    return res.exitCode ?? ExitCode.OK;
  },
};
