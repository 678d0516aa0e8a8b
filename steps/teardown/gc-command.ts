import type { CommandSpec } from '../core/command.js';
import { ExitCode } from '../core/exit-codes.js';
import { FlagProblems } from '../core/flags.js';
import { addConnectionOptions, connect } from '../cluster/connect.js';
import { resolveClusterOptions } from '../cluster/options.js';
import { CONFIG_DEFAULTS } from '../core/config.js';
import { KINDS } from '../cluster/objects.js';
import { collect, OWNED_KINDS } from './gc.js';

export const command: CommandSpec = {
  name: 'gc',
  summary: 'Tear down servers whose PipelineRun is gone or finished (the janitor after a hard cancel)',
  configure(c) {
    addConnectionOptions(c)
      .option('--namespace <ns>', 'namespace the servers run in', CONFIG_DEFAULTS.cluster.namespace)
      .option('--grace <s>', 'seconds after a run finished before its server is collected', '900')
      .option('--dry-run', 'list what would be deleted, delete nothing');
  },
  helpAfter:
    'Servers are found by the llmbench.dev/pipelinerun label that apply --pipeline-run sets; a run that is running keeps its server. Safe to run on a schedule (tekton/nightly/janitor.yaml).',
  async run(opts, ctx) {
    const flags = new FlagProblems(opts);
    const graceS = flags.number('--grace', { ge: 0 }, 'a number of seconds')!;
    flags.throwIfAny('gc-options-invalid', 'invalid options');
    const o = await resolveClusterOptions({ namespace: opts.namespace }, ctx.cwd, false);
    const client = connect(opts, o, ctx);
    const kinds: string[] = [];
    for (const k of OWNED_KINDS) {
      const info = KINDS[k];
      if (await client.served(info.group ? `${info.group}/${info.version}` : info.version, k)) kinds.push(k);
    }
    const runs = await collect(
      client,
      { namespace: o.render.namespace, graceS, dryRun: opts.dryRun === true, now: new Date(), kinds },
      ctx.log,
    );
    const collected = runs.filter((r) => r.state !== 'running');
    ctx.log.info(`gc: ${collected.length} run(s) collected, ${runs.length - collected.length} still running`, {
      deleted: collected.flatMap((r) => r.objects).length,
      dry_run: opts.dryRun === true,
    });
    return ExitCode.OK;
  },
};
