import path from 'node:path';
import { promises as fs } from 'node:fs';
import type { CommandSpec } from '../core/command.js';
import { ExitCode } from '../core/exit-codes.js';
import { addDeadlineOptions, FlagProblems } from '../core/flags.js';
import { addClusterOptions, addFanoutOptions, resolveClusterOptions } from '../cluster/options.js';
import { addConnectionOptions, connect } from '../cluster/connect.js';
import { KEEP_ANNOTATION, renderPrerequisites } from '../cluster/render.js';
import { PREREQ_WORK } from '../cluster/acm.js';
import { renderObjects } from '../render/render.js';
import { inventoryPath } from '../apply/command.js';
import type { AppliedInventory, InventoryEntry } from '../apply/apply.js';
import { teardown } from './teardown.js';

export const command: CommandSpec = {
  name: 'teardown',
  summary: 'Remove what apply created and wait until it is gone',
  configure(c) {
    addConnectionOptions(addFanoutOptions(addClusterOptions(c)))
      .option(
        '--all',
        'also remove the prerequisites (namespace, ServiceAccounts, RBAC; ACM: the prerequisites ManifestWork)',
      )
      .option('--purge-cache', 'also remove the model cache PVC (kept by default)');
    addDeadlineOptions(c, {
      timeout: 'seconds to wait until everything is gone',
      timeoutDefault: '600',
      poll: 'seconds between re-reads while waiting',
      pollDefault: '2',
    });
  },
  helpAfter:
    'Uses <workdir>/cluster/<backend>.applied.json written by apply; without it, removes what apply would have created for the same flags. Safe to run twice.',
  async run(opts, ctx) {
    const flags = new FlagProblems(opts);
    const { timeoutS, pollS } = flags.deadline();
    flags.throwIfAny('teardown-options-invalid', 'invalid options');
    const o = await resolveClusterOptions(opts, ctx.cwd);
    const invFile = inventoryPath(path.resolve(ctx.cwd, opts.workdir as string), o.render.backend);
    let entries: InventoryEntry[];
    let fromInventory = false;
    try {
      const inv = JSON.parse(await fs.readFile(invFile, 'utf8')) as AppliedInventory;
      entries = inv.objects;
      fromInventory = true;
      if (inv.mode !== o.target.mode || (inv.cluster ?? undefined) !== o.target.cluster) {
        ctx.log.warn('the inventory was written for another target; using it (it says what apply created)', {
          inventory_mode: inv.mode,
          cluster: inv.cluster,
        });
      }
    } catch {
      // No inventory (another workdir, or already torn down): the same flags render the same objects.
      const pre = new Set(renderPrerequisites(o.render).map((x) => `${x.kind}/${x.metadata.name}`));
      entries = renderObjects(o.render, o.target, true).map((x) => ({
        apiVersion: x.apiVersion,
        kind: x.kind,
        namespace: x.metadata.namespace ?? null,
        name: x.metadata.name,
        uid: null,
        generation: null,
        prerequisite:
          o.target.mode === 'acm' ? x.metadata.name === PREREQ_WORK : pre.has(`${x.kind}/${x.metadata.name}`),
        keep_on_teardown: x.metadata.annotations?.[KEEP_ANNOTATION] === 'true',
      }));
    }
    const client = connect(opts, o, ctx);
    const r = await teardown(
      client,
      entries,
      { all: opts.all === true, purgeCache: opts.purgeCache === true, timeoutS: timeoutS!, pollMs: pollS * 1000 },
      ctx.log,
    );
    if (fromInventory) await fs.rm(invFile, { force: true });
    ctx.log.info(`teardown done in ${r.seconds.toFixed(1)} s`, {
      deleted: r.deleted.length,
      already_gone: r.alreadyGone.length,
      kept: r.kept.join(', ') || 'nothing',
    });
    return ExitCode.OK;
  },
};
