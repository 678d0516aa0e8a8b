/**
 * Pipelines-as-Code's `{{ }}` substitution, as PaC does it, for the harness and the entry-point tests.
 *  - The pattern and lookup: pkg/templates/templating.go `{{([^}]{2,})}}`, key trimmed; a key PaC does not know is
 *    left in place (so a literal `{{ x }}` would reach the Pipeline — here that is an error).
 *  - Built-ins (pkg/templates/templating.go Process; docs "Authoring PipelineRuns", dynamic variables): revision,
 *    repo_url, repo_owner/repo_name (lower-cased), target_branch, source_branch, sender, event_type,
 *    pull_request_number, git_auth_secret (the per-run Secret PaC creates), trigger_comment (comment events),
 *    target_namespace, source_url.
 *  - Custom params (docs "Custom Parameters"): the Repository's spec.params; a param with a `filter` applies only
 *    when its CEL matches (refused here, we ship none); an incoming webhook may set only the names its
 *    `incoming[].params` lists; a GitOps comment `/command key=value` overrides only params the Repository
 *    defines. Custom params never override a built-in.
 */
export interface PacEvent {
  kind: 'pull_request' | 'comment' | 'incoming';
  owner: string;
  repo: string;
  sha: string;
  targetBranch: string;
  sourceBranch: string;
  sender: string;
  pullRequest?: number;
  comment?: string;
  /** Incoming webhook request params. */
  params?: Record<string, string>;
  targetNamespace?: string;
}

type Obj = Record<string, any>;
const RE = /\{\{([^}]{2,})\}\}/g;

export function builtins(e: PacEvent, gitAuthSecret: string): Record<string, string> {
  const v: Record<string, string> = {
    revision: e.sha,
    repo_url: `https://github.com/${e.owner}/${e.repo}`,
    repo_owner: e.owner.toLowerCase(),
    repo_name: e.repo.toLowerCase(),
    target_branch: e.targetBranch,
    source_branch: e.sourceBranch,
    sender: e.sender,
    event_type: e.kind === 'comment' ? 'pull_request' : e.kind === 'incoming' ? 'incoming' : 'pull_request',
    git_auth_secret: gitAuthSecret,
    target_namespace: e.targetNamespace ?? 'llm-bench-ci',
    source_url: `https://github.com/${e.owner}/${e.repo}`,
  };
  if (e.pullRequest !== undefined) v.pull_request_number = String(e.pullRequest);
  if (e.kind === 'comment') v.trigger_comment = e.comment ?? '';
  return v;
}

/** Custom params for this event: Repository defaults, then the incoming request or the comment's key=value. */
export function customParams(repository: Obj, e: PacEvent): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of (repository.spec?.params ?? []) as Obj[]) {
    if (p.filter !== undefined) throw new Error(`Repository param ${p.name}: filter is not modelled by this harness`);
    if (p.value !== undefined) out[p.name] = String(p.value);
  }
  if (e.kind === 'incoming') {
    const allowed = new Set<string>(((repository.spec?.incoming ?? []) as Obj[]).flatMap((i) => i.params ?? []));
    for (const [k, v] of Object.entries(e.params ?? {})) {
      if (!allowed.has(k)) throw new Error(`incoming param '${k}' is not listed in the Repository's incoming params`);
      out[k] = v;
    }
  }
  if (e.kind === 'comment') {
    // `/benchmark backend=tgi`: key=value pairs after the command on the comment's first line.
    const first = (e.comment ?? '').split('\n')[0];
    for (const m of first.matchAll(/(?:^|\s)([A-Za-z0-9_-]+)=("[^"]*"|\S+)/g)) {
      if (!(m[1] in out)) throw new Error(`comment param '${m[1]}' is not defined in the Repository's spec.params`);
      out[m[1]] = m[2].replace(/^"|"$/g, '');
    }
  }
  return out;
}

/** Substitutes every string in a PaC PipelineRun; throws listing every placeholder PaC would have left as is. */
export function substitute<T>(obj: T, values: Record<string, string>): T {
  const unknown = new Set<string>();
  const walk = (x: unknown): unknown => {
    if (typeof x === 'string')
      return x.replace(RE, (s, key: string) => {
        const k = key.trim();
        if (k in values) return values[k];
        unknown.add(s);
        return s;
      });
    if (Array.isArray(x)) return x.map(walk);
    if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, walk(v)]));
    return x;
  };
  const out = walk(obj) as T;
  if (unknown.size)
    throw new Error(`placeholders Pipelines-as-Code would leave unreplaced: ${[...unknown].join(', ')}`);
  return out;
}

/**
 * The PipelineRun PaC would create for this event from one .tekton/ file and the Repository CR. Its name becomes a
 * generateName `<name>-` (pkg/resolve/resolve.go: "Add a GenerateName based on the pipeline name"), so that runs of
 * one file (the nightly fan-out) get distinct names.
 */
export function pacPipelineRun(template: Obj, repository: Obj, e: PacEvent, gitAuthSecret = 'pac-gitauth-abcde'): Obj {
  const values = { ...customParams(repository, e), ...builtins(e, gitAuthSecret) };
  const run = substitute(template, values);
  if (run.metadata?.name && !run.metadata.generateName) {
    const { name, ...rest } = run.metadata;
    run.metadata = { ...rest, generateName: `${name}-` };
  }
  return run;
}
