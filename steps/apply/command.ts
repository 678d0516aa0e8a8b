import path from 'node:path';
import type { CommandSpec } from '../core/command.js';
import { ExitCode } from '../core/exit-codes.js';
import { writeJsonAtomic } from '../core/atomic.js';
import { addClusterOptions, addFanoutOptions, resolveClusterOptions } from '../cluster/options.js';
import { addConnectionOptions, connect } from '../cluster/connect.js';
import { KEEP_ANNOTATION, SERVER_SA, renderPrerequisites } from '../cluster/render.js';
import { PREREQ_WORK } from '../cluster/acm.js';
import { renderObjects } from '../render/render.js';
import { applyObjects, checkPrerequisites, type AppliedInventory } from './apply.js';

export const inventoryPath = (workdir: string, backend: string) =>
  path.join(workdir, 'cluster', `${backend}.applied.json`);

export const command: CommandSpec = {
  name: 'apply',
  summary: 'Server-side apply the rendered objects, or the ManifestWork on the ACM hub',
  configure(c) {
    addConnectionOptions(addFanoutOptions(addClusterOptions(c)));
  },
  async run(opts, ctx) {
    const o = await resolveClusterOptions(opts, ctx.cwd);
    const objects = renderObjects(o.render, o.target, o.prerequisites);
    const client = connect(opts, o, ctx);
    if (o.target.mode === 'direct' && !o.prerequisites)
      await checkPrerequisites(client, o.render.namespace, SERVER_SA, ctx.log);
    const live = await applyObjects(client, objects, ctx.log);
    const pre = new Set(
      o.prerequisites ? renderPrerequisites(o.render).map((x) => `${x.kind}/${x.metadata.name}`) : [],
    );
    const isPre = (kind: string, name: string) =>
      o.target.mode === 'acm' ? kind === 'ManifestWork' && name === PREREQ_WORK : pre.has(`${kind}/${name}`);
    const inv: AppliedInventory = {
      schema_version: 1,
      backend: o.render.backend,
      mode: o.target.mode,
      cluster: o.target.cluster ?? null,
      namespace: o.render.namespace,
      server: client.server,
      applied_at: new Date().toISOString(),
      objects: objects.map((obj, i) => ({
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        namespace: obj.metadata.namespace ?? null,
        name: obj.metadata.name,
        uid: (live[i]?.metadata?.uid as string | undefined) ?? null,
        generation: (live[i]?.metadata?.generation as number | undefined) ?? null,
        prerequisite: isPre(obj.kind, obj.metadata.name),
        keep_on_teardown: obj.metadata.annotations?.[KEEP_ANNOTATION] === 'true',
      })),
    };
    await writeJsonAtomic(inventoryPath(path.resolve(ctx.cwd, opts.workdir as string), o.render.backend), inv);
    ctx.log.info(`applied ${objects.length} object(s)`, {
      backend: o.render.backend,
      mode: o.target.mode,
      ...(o.target.cluster ? { cluster: o.target.cluster } : {}),
    });
    return ExitCode.OK;
  },
};
