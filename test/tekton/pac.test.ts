import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { REPO_ROOT } from '../../steps/core/paths.js';
import { pacPipelineRun, substitute, type PacEvent } from './pac.js';

type Obj = Record<string, any>;
const load = (f: string) => yaml.load(readFileSync(path.join(REPO_ROOT, f), 'utf8')) as Obj;
const repository = load('tekton/pac/repository.yaml');
const pipeline = load('tekton/pipeline.yaml');
const param = (run: Obj, name: string) => (run.spec.params as Obj[]).find((p) => p.name === name)?.value;
const SHA = 'a'.repeat(40);
const pr: PacEvent = {
  kind: 'pull_request',
  owner: 'Acme',
  repo: 'LLMBench',
  sha: SHA,
  targetBranch: 'main',
  sourceBranch: 'feature',
  sender: 'dev',
  pullRequest: 42,
};

function expectFitsPipeline(run: Obj) {
  const declared = new Set((pipeline.spec.params as Obj[]).map((p) => p.name));
  for (const p of run.spec.params as Obj[]) {
    expect(declared.has(p.name)).toBe(true);
    expect(String(p.value)).not.toMatch(/\{\{|\}\}/);
  }
}

describe('Pipelines-as-Code substitutes {{ }} as PaC does', () => {
  test('pull request: built-ins and the Repository defaults; report through a check run; git auth mounted', () => {
    const run = pacPipelineRun(load('.tekton/pull-request.yaml'), repository, pr, 'pac-gitauth-xyz');
    expectFitsPipeline(run);
    expect(param(run, 'revision')).toBe(SHA);
    expect(param(run, 'github-repo')).toBe('acme/llmbench'); // PaC lower-cases owner and name
    expect(param(run, 'backend')).toBe('vllm');
    expect(param(run, 'gpu-profile')).toBe('a100-mig-3g.20gb');
    expect(param(run, 'status-kind')).toBe('check');
    expect(param(run, 'github-token-secret')).toBe('pac-gitauth-xyz');
    expect((run.spec.workspaces as Obj[]).find((w) => w.name === 'git-auth')!.secret.secretName).toBe(
      'pac-gitauth-xyz',
    );
    // The load plan comes from the bench config, not from params.
    for (const p of ['requests', 'trials', 'concurrency']) expect(param(run, p)).toBeUndefined();
  });

  test('regression: the comment `/benchmark backend=tgi` benchmarks TGI (it was hard-coded to vLLM)', () => {
    const run = pacPipelineRun(load('.tekton/benchmark-comment.yaml'), repository, {
      ...pr,
      kind: 'comment',
      comment: '/benchmark backend=tgi',
    });
    expectFitsPipeline(run);
    expect(param(run, 'backend')).toBe('tgi');
    expect(param(run, 'model')).toBe('mistralai/Mistral-7B-Instruct-v0.2');
    expect(() =>
      pacPipelineRun(load('.tekton/benchmark-comment.yaml'), repository, {
        ...pr,
        kind: 'comment',
        comment: '/benchmark trials=1',
      }),
    ).toThrow(/not defined in the Repository's spec.params/);
  });

  test('regression: the nightly fan-out benchmarks three backends (it benchmarked vLLM three times)', () => {
    // The incoming requests exactly as the nightly CronJob posts them: one per MATRIX entry.
    const cron = yaml
      .loadAll(readFileSync(path.join(REPO_ROOT, 'tekton/nightly/cronjob.yaml'), 'utf8'))
      .find((d: any) => d?.metadata?.name === 'llm-bench-nightly') as Obj;
    const c = cron.spec.jobTemplate.spec.template.spec.containers[0];
    const matrix = (c.env as Obj[])
      .find((e) => e.name === 'MATRIX')!
      .value.trim()
      .split(/\s+/) as string[];
    expect(c.args[0]).toContain('"params":{"backend":"%s","model":"%s","gpu-profile":"%s"}');
    const runs = matrix.map((combo) => {
      const [backend, model, gpu] = [combo.split(':')[0], combo.split(':')[1], combo.split(':').slice(2).join(':')];
      return pacPipelineRun(load('.tekton/nightly.yaml'), repository, {
        ...pr,
        kind: 'incoming',
        pullRequest: undefined,
        params: { backend, model, 'gpu-profile': gpu },
      });
    });
    runs.forEach(expectFitsPipeline);
    expect(runs.map((r) => param(r, 'backend')).sort()).toEqual(['tgi', 'triton', 'vllm']);
    expect(runs.every((r) => param(r, 'update-baseline') === 'true')).toBe(true);
  });

  test('an incoming request may set only the params the Repository lists; an unknown placeholder fails', () => {
    expect(() =>
      pacPipelineRun(load('.tekton/nightly.yaml'), repository, { ...pr, kind: 'incoming', params: { trials: '1' } }),
    ).toThrow(/not listed in the Repository's incoming params/);
    expect(() => substitute({ v: '{{ backnd }}', w: '{{revision}}' }, { revision: SHA })).toThrow(/\{\{ backnd \}\}/);
    // PaC's pattern needs at least two characters between the braces and trims spaces.
    expect(substitute({ v: '{{revision}}-{{ revision }}' }, { revision: 'x' })).toEqual({ v: 'x-x' });
  });

  test('fork safety ships in the install: ok-to-test per commit SHA, not remembered', () => {
    const cfg = load('tekton/install/pac-settings.yaml');
    expect(cfg.spec.platforms.openshift.pipelinesAsCode.settings).toEqual({
      'remember-ok-to-test': 'false',
      'require-ok-to-test-sha': 'true',
    });
    expect(repository.spec.settings.policy.ok_to_test).toBeDefined();
    expect(repository.spec.settings.pipelinerun_provenance).toBe('default_branch');
  });
});

test('PR and comment runs give analyze one volume: no history PVC (only the nightly run writes history)', () => {
  for (const f of ['.tekton/pull-request.yaml', '.tekton/benchmark-comment.yaml']) {
    const run = load(f);
    const pvcs = (run.spec.workspaces as Obj[]).filter((w) => w.persistentVolumeClaim || w.volumeClaimTemplate);
    expect(pvcs.map((w) => w.name)).toEqual(['work']);
  }
});

test('regression: no entry point overrides the bench config’s load plan (trials 3 used to beat the config’s 12)', () => {
  const plan = ['concurrency', 'requests', 'trials', 'warmup', 'input-tokens', 'output-tokens'];
  for (const f of ['.tekton/pull-request.yaml', '.tekton/benchmark-comment.yaml', '.tekton/nightly.yaml'])
    for (const p of load(f).spec.params as Obj[]) expect([f, plan.includes(p.name)]).toEqual([f, false]);
  const bindings = yaml.loadAll(readFileSync(path.join(REPO_ROOT, 'tekton/triggers/triggerbindings.yaml'), 'utf8'));
  for (const b of bindings as Obj[])
    for (const p of b.spec.params as Obj[])
      expect([b.metadata.name, plan.includes(p.name)]).toEqual([b.metadata.name, false]);
  const tt = load('tekton/triggers/triggertemplate.yaml');
  for (const p of tt.spec.params as Obj[]) if (plan.includes(p.name)) expect([p.name, p.default]).toEqual([p.name, '']);
  for (const p of pipeline.spec.params as Obj[])
    if (plan.includes(p.name)) expect([p.name, p.default]).toEqual([p.name, '']);
});
