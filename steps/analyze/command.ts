import path from 'node:path';
import type { CommandSpec } from '../core/command.js';
import { existsSync } from 'node:fs';
import { builtinConfig, loadConfig } from '../core/config.js';
import { FlagProblems } from '../core/flags.js';
import { analyzeWork } from './pipeline.js';
import { withHeartbeat } from '../core/log.js';

export const command: CommandSpec = {
  name: 'analyze',
  summary: 'Aggregate sweep outputs and decide pass / regression / inconclusive against a baseline',
  configure: (c) =>
    c
      .option('--runs <dir>', 'directory of sweep outputs (one <backend>/ per sweep)')
      .option('--out <dir>', 'output directory for summary.json and verdict.json')
      .option('--baseline <file>', 'baseline file to compare against (results/baselines/*.json)')
      .option('--write-baseline <file>', 'write a baseline from this run (refused unless the run is clean)')
      .option(
        '--history <dir>',
        'record this run in a history directory (one file per run) and detect change points; with --write-baseline, build the baseline from the latest clean window',
      )
      .option(
        '--config <file>',
        'bench config for regression settings (tolerance, alpha, gates, SLO, GPU price); default: <runs>/../bench-config.json when present, else built-in defaults',
      ),
  helpAfter:
    'Exit code: 0 pass, 1 regression, 2 invalid input, 4 inconclusive. With --write-baseline and no --baseline, a clean run exits 0.',
  async run(opts, ctx) {
    const flags = new FlagProblems(opts);
    flags.required('--runs');
    flags.required('--out');
    flags.throwIfAny(
      'analyze-flags',
      'analyze needs --runs and --out',
      'llmbench analyze --runs <workdir>/runs --out <workdir>/analysis [--baseline FILE]',
    );
    const abs = (p: unknown) => (p ? path.resolve(ctx.cwd, String(p)) : null);
    // Without --config, use the config the run was made with (`llmbench run` writes it beside runs/), else the
    // built-in defaults — never the embedded demo's wider tolerances.
    const runConfig = path.join(path.dirname(abs(opts.runs)!), 'bench-config.json');
    const cfg = opts.config
      ? await loadConfig(abs(opts.config)!)
      : existsSync(runConfig)
        ? await loadConfig(runConfig)
        : builtinConfig();
    const res = await withHeartbeat(ctx.log, { step: 'analyze' }, () =>
      analyzeWork({
        runsDir: abs(opts.runs)!,
        outDir: abs(opts.out)!,
        cfg,
        baselinePath: abs(opts.baseline),
        writeBaselinePath: abs(opts.writeBaseline),
        historyDir: abs(opts.history),
        log: ctx.log,
      }),
    );
    const v = res.verdict;
    const counts = v.comparisons
      .filter((c) => c.gated)
      .reduce<Record<string, number>>((a, c) => ((a[c.verdict] = (a[c.verdict] ?? 0) + 1), a), {});
    ctx.log.info(`verdict ${v.verdict}`, {
      gated: counts,
      findings: v.findings.filter((f) => f.severity !== 'info').map((f) => f.code),
    });
    ctx.stdout(`${v.verdict}\n`);
    return res.exitCode;
  },
};
