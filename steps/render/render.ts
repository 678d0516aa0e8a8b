import yaml from 'js-yaml';
import type { KObject } from '../cluster/objects.js';
import { renderBackend, renderPrerequisites, type RenderOptions } from '../cluster/render.js';
import { PREREQ_WORK, fanOut, manifestWork, workName } from '../cluster/acm.js';
import type { Target } from '../cluster/options.js';

/** What `apply` applies, in order: prerequisites first (Namespace before the rest), then the server. */
export function renderObjects(o: RenderOptions, target: Target, prerequisites = true): KObject[] {
  const backend = renderBackend(o);
  const pre = prerequisites ? renderPrerequisites(o) : [];
  if (target.mode === 'direct') return [...pre, ...backend];
  if (target.fanout) return renderFanOut(o, target.fanout.hubNamespace, target.fanout.clusterLabels, prerequisites);
  const works: KObject[] = [];
  if (pre.length) works.push(manifestWork(PREREQ_WORK, target.cluster!, pre));
  works.push(
    manifestWork(workName(o.backend, o.runId), target.cluster!, backend, { 'llmbench.dev/backend': o.backend }),
  );
  return works;
}

/** ManifestWorkReplicaSet + Placement fanning the server out to every cluster matching the labels. */
export function renderFanOut(
  o: RenderOptions,
  hubNamespace: string,
  clusterLabels: Record<string, string>,
  prerequisites = true,
): KObject[] {
  const objects = [...(prerequisites ? renderPrerequisites(o) : []), ...renderBackend(o)];
  const work = manifestWork(workName(o.backend, o.runId), 'unused', objects, { 'llmbench.dev/backend': o.backend });
  return fanOut(workName(o.backend, o.runId), hubNamespace, work, clusterLabels);
}

/** Multi-document YAML, stable key order, no anchors, no folding (diffs stay readable). */
export function toYaml(objects: KObject[], header?: string): string {
  const docs = objects.map((o) => yaml.dump(o, { noRefs: true, lineWidth: -1, quotingType: '"' }));
  return (
    (header
      ? header
          .split('\n')
          .map((l) => `# ${l}`.trimEnd())
          .join('\n') + '\n'
      : '') + docs.map((d) => `---\n${d}`).join('')
  );
}
