/**
 * The Triggers entry point, evaluated: GitHub payloads go through the EventListener's CEL filters and
 * overlays (a real CEL evaluator, @bufbuild/cel, with the strings extension cel-go's Triggers interceptor
 * also has), then the TriggerBindings and the TriggerTemplate, and the rendered PipelineRun must fit the
 * Pipeline and the PipelineRun CRD. This is where "forks get no GPU without approval" is proven.
 */
import { describe, expect, it } from '@jest/globals';
import { CrdValidator, checkPipelineRun, loadDocs, ofKind, type Obj } from './tekton.js';
import { dispatch } from './triggers.js';
import { SERVER_NAMES } from '../../steps/servers/index.js';

const docs = loadDocs();
const pipeline = ofKind(docs, 'Pipeline').find((d) => d.obj.metadata.name === 'llm-bench')!.obj;
const crds = new CrdValidator();

const SHA = 'c0ffee0000000000000000000000000000000001';
const pr = (over: Obj = {}) => ({
  action: 'opened',
  number: 42,
  pull_request: {
    number: 42,
    base: { ref: 'main' },
    head: { sha: SHA, repo: { full_name: 'octo/bench' } },
    labels: [],
  },
  repository: { full_name: 'octo/bench', clone_url: 'https://github.com/octo/bench.git' },
  ...over,
});
const fork = (over: Obj = {}) =>
  pr({
    pull_request: {
      number: 42,
      base: { ref: 'main' },
      head: { sha: SHA, repo: { full_name: 'mallory/bench' } },
      labels: [],
    },
    ...over,
  });
const comment = (body: string, association = 'MEMBER', onPr = true) => ({
  action: 'created',
  issue: { number: 42, ...(onPr ? { pull_request: { url: 'https://api.github.com/repos/octo/bench/pulls/42' } } : {}) },
  comment: { body, author_association: association },
  repository: { full_name: 'octo/bench', clone_url: 'https://github.com/octo/bench.git' },
});
const param = (r: Obj, n: string) => r.spec.params.find((p: Obj) => p.name === n)?.value;

describe('EventListener CEL filters on real-shaped GitHub payloads', () => {
  it.each([
    ['a PR opened from a branch of the repository', 'pull_request', pr(), 'pull-request'],
    ['a push to that PR (synchronize)', 'pull_request', pr({ action: 'synchronize' }), 'pull-request'],
    [
      'a fork PR labeled ok-to-benchmark by a maintainer',
      'pull_request',
      fork({ action: 'labeled', label: { name: 'ok-to-benchmark' } }),
      'pull-request',
    ],
    ['/benchmark by a member', 'issue_comment', comment('/benchmark'), 'benchmark-comment'],
    [
      '/benchmark tgi by a collaborator',
      'issue_comment',
      comment('/benchmark tgi', 'COLLABORATOR'),
      'benchmark-comment',
    ],
    [
      'the nightly CronJob body',
      'llmbench-nightly',
      {
        backend: 'triton',
        model: 'mistralai/Mistral-7B-Instruct-v0.2',
        gpu_profile: 'h100-80gb',
        revision: 'main',
        repo_url: 'https://github.com/octo/bench.git',
        github_repo: 'octo/bench',
      },
      'nightly',
    ],
  ])('accepts %s', (_name, type, body, trigger) => {
    expect(dispatch(type, body as Obj)?.trigger).toBe(trigger);
  });

  it.each([
    ['a fork PR opened (no approval yet)', 'pull_request', fork()],
    [
      'a push to an approved fork PR (approval is per label event)',
      'pull_request',
      fork({
        action: 'synchronize',
        pull_request: {
          number: 42,
          base: { ref: 'main' },
          head: { sha: SHA, repo: { full_name: 'mallory/bench' } },
          labels: [{ name: 'ok-to-benchmark' }],
        },
      }),
    ],
    ['a fork PR labeled with another label', 'pull_request', fork({ action: 'labeled', label: { name: 'bug' } })],
    ['a PR closed', 'pull_request', pr({ action: 'closed' })],
    [
      'a PR to another base branch',
      'pull_request',
      pr({
        pull_request: {
          number: 42,
          base: { ref: 'release-1' },
          head: { sha: SHA, repo: { full_name: 'octo/bench' } },
          labels: [],
        },
      }),
    ],
    ['/benchmark by a first-time contributor', 'issue_comment', comment('/benchmark', 'FIRST_TIME_CONTRIBUTOR')],
    ['/benchmark by someone with no association', 'issue_comment', comment('/benchmark', 'NONE')],
    ['/benchmark on an issue, not a PR', 'issue_comment', comment('/benchmark', 'OWNER', false)],
    ['/benchmark with an unknown backend', 'issue_comment', comment('/benchmark evil')],
    ['a comment that merely mentions /benchmark', 'issue_comment', comment('please run /benchmark')],
    ['an edited comment', 'issue_comment', { ...comment('/benchmark'), action: 'edited' }],
    [
      'a nightly body with an unknown backend',
      'llmbench-nightly',
      { backend: 'evil', model: 'm', gpu_profile: 'g', revision: 'main', repo_url: 'u', github_repo: 'o/r' },
    ],
    ['a push event (not subscribed)', 'push', pr()],
  ])('rejects %s', (_name, type, body) => {
    expect(dispatch(type, body as Obj)).toBeNull();
  });
});

describe('bindings and template render a PipelineRun that fits llm-bench', () => {
  it('pull_request: head SHA, PR number, repository, PR-sized load plan', () => {
    const r = dispatch('pull_request', pr())!.run;
    expect([
      param(r, 'revision'),
      param(r, 'pr-number'),
      param(r, 'github-repo'),
      param(r, 'repo-url'),
      param(r, 'backend'),
      param(r, 'update-baseline'),
      param(r, 'ab'), // the A/B gate against a live baseline server
    ]).toEqual([SHA, '42', 'octo/bench', 'https://github.com/octo/bench.git', 'vllm', 'false', 'true']);
    expect(r.metadata.generateName).toBe('llm-bench-vllm-');
    expect(crds.validate(r, { generateNameAllowed: true })).toEqual([]);
    expect(checkPipelineRun('pull_request run', r, pipeline)).toEqual([]);
  });

  it('regression: `/benchmark <server>` accepts every registered server (sglang was filtered out: hand-written list)', () => {
    for (const name of SERVER_NAMES) {
      const r = dispatch('issue_comment', comment(`/benchmark ${name}`))?.run;
      expect(r && param(r, 'backend')).toBe(name);
    }
  });

  it('/benchmark tgi: the backend from the comment, the PR head ref (source resolves the SHA)', () => {
    const r = dispatch('issue_comment', comment('/benchmark tgi'))!.run;
    expect([param(r, 'backend'), param(r, 'revision'), param(r, 'pr-number')]).toEqual([
      'tgi',
      'refs/pull/42/head',
      '42',
    ]);
    expect(r.metadata.labels['llmbench.dev/backend']).toBe('tgi');
    expect(crds.validate(r, { generateNameAllowed: true })).toEqual([]);
    expect(checkPipelineRun('comment run', r, pipeline)).toEqual([]);
  });

  it('nightly: backend, model and GPU from the body, baseline update on, no PR', () => {
    const r = dispatch('llmbench-nightly', {
      backend: 'triton',
      model: 'mistralai/Mistral-7B-Instruct-v0.2',
      gpu_profile: 'h100-80gb',
      revision: 'main',
      repo_url: 'https://github.com/octo/bench.git',
      github_repo: 'octo/bench',
    })!.run;
    expect([param(r, 'backend'), param(r, 'gpu-profile'), param(r, 'update-baseline'), param(r, 'pr-number')]).toEqual([
      'triton',
      'h100-80gb',
      'true',
      '',
    ]);
    expect(crds.validate(r, { generateNameAllowed: true })).toEqual([]);
    expect(checkPipelineRun('nightly run', r, pipeline)).toEqual([]);
  });
});
