import path from 'node:path';
import type { CommandSpec } from '../core/command.js';
import { ExitCode } from '../core/exit-codes.js';
import { FlagProblems } from '../core/flags.js';
import { runPlot } from './plot.js';

export const command: CommandSpec = {
  name: 'plot',
  summary: 'Render Vega-Lite charts (specs, SVG, PNG) and a self-contained report.html from a work directory',
  configure: (c) =>
    c
      .requiredOption('--workdir <dir>', 'work directory holding runs/ (and analysis/ when analyze ran)')
      .option('--title <text>', 'report title', 'llmbench')
      .option('--pipeline-run-url <url>', 'link to the PipelineRun (default: $LLMBENCH_PIPELINERUN_URL)')
      .option('--scale <n>', 'PNG zoom factor', '2')
      .option('--no-images', 'write specs and report.html only (no SVG/PNG)'),
  helpAfter: 'Writes <workdir>/plots/<chart>.{vl.json,svg,png}, plots/manifest.json and <workdir>/report.html.',
  async run(opts, ctx) {
    const flags = new FlagProblems(opts);
    const scale = flags.number('--scale', { gt: 0, le: 8 })!;
    flags.throwIfAny('bad-flag', `--scale must be a number in (0, 8], got ${String(opts.scale)}`);
    await runPlot({
      workdir: path.resolve(ctx.cwd, String(opts.workdir)),
      log: ctx.log,
      title: String(opts.title),
      pipelineRunUrl: (opts.pipelineRunUrl as string | undefined) ?? ctx.env.LLMBENCH_PIPELINERUN_URL ?? null,
      scale,
      noImages: opts.images === false,
    });
    return ExitCode.OK;
  },
};
