/**
 * One Pipelines-as-Code run of the sequential-gate tests: the PipelineRun PaC makes from a template for an event,
 * run on the harness in a GateEnv, with local stand-ins for what PaC's values point at on GitHub and the cluster.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { REPO_ROOT } from '../../steps/core/paths.js';
import { PipelineHarness, dumpRun, type PipelineRunRecord } from './harness.js';
import { pacPipelineRun, type PacEvent } from './pac.js';
import { git, type GateEnv } from './setup.js';

export interface GateRun {
  run: PipelineRunRecord;
  /** The params PaC put in the PipelineRun (before the local stand-ins). */
  pacParams: Record<string, string>;
  /** The work workspace's directory. */
  work: string;
  sha: string;
}

const load = (f: string) => yaml.load(readFileSync(path.join(REPO_ROOT, f), 'utf8')) as Record<string, any>;

/** `params` adds the servers' endpoints and any override; a nightly run (update-baseline) also binds history. */
export async function runGatePac(
  env: GateEnv,
  name: string,
  template: string,
  event: Partial<PacEvent>,
  params: Record<string, string>,
): Promise<GateRun> {
  const sha = event.sha ?? git(env.src, 'rev-parse', 'HEAD');
  const base = { owner: 'octo', repo: 'bench', sha, targetBranch: 'main', sourceBranch: 'feature', sender: 'maint' };
  const secret = `pac-gitauth-${name}`;
  const pr = pacPipelineRun(
    load(template),
    load('tekton/pac/repository.yaml'),
    { kind: 'pull_request', ...base, ...event },
    secret,
  );
  const pacParams = Object.fromEntries(
    (pr.spec.params as { name: string; value: string }[]).map((p) => [p.name, p.value]),
  );
  const kc = path.join(env.root, `kubeconfig-${name}`);
  mkdirSync(kc);
  writeFileSync(path.join(kc, 'kubeconfig'), env.kube.kubeconfig());
  const work = path.join(env.root, `work-${name}`);
  const t0 = Date.now();
  const run = await new PipelineHarness({
    runName: name,
    params: {
      ...pacParams,
      'repo-url': `file://${env.src}`,
      'github-api': env.gh.url,
      'server-image': `quay.io/llmbench/vllm@${env.digest}`,
      config: 'bench.yaml',
      'ready-timeout': '60',
      ...params,
    },
    workspaces: {
      work,
      kubeconfig: kc,
      ...(pacParams['update-baseline'] === 'true' ? { history: path.join(env.root, 'history') } : {}),
    },
    secrets: { [secret]: { 'git-provider-token': env.token } },
    substitutions: {
      'build/build-and-push': { reason: 'buildah image: own script on the host, buildah stubbed to fail' },
    },
    extraEnv: { LLMBENCH_KUBE_RETRY_MS: '20' },
    onTaskRun: (t) => env.log.push(`${name} ${t.pipelineTask}: ${t.status} (${t.reason}) ${t.durationMs} ms`),
  }).run();
  env.log.push(`${name}: ${Date.now() - t0} ms`, dumpRun(run));
  return { run, pacParams, work, sha };
}
