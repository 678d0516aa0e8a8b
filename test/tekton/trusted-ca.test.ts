import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { REPO_ROOT } from '../../steps/core/paths.js';

type Obj = Record<string, any>;
const load = (f: string) => yaml.loadAll(readFileSync(path.join(REPO_ROOT, f), 'utf8')) as Obj[];

/** Runs a Task step's own script with `llmbench` stubbed to print the CA variable it was started with. */
function runStep(file: string, env: Record<string, string>): string {
  const task = load(file)[0];
  const step = task.spec.steps[0];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trusted-ca-'));
  const stub = path.join(dir, 'llmbench');
  writeFileSync(stub, '#!/bin/sh\necho "NODE_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS:-}"\nexit 9\n');
  chmodSync(stub, 0o755);
  const script = String(step.script).replace(/\$\(results\.[a-z-]+\.path\)/g, path.join(dir, 'result'));
  const r = spawnSync('sh', ['-c', script], {
    env: { PATH: `${dir}:/usr/bin:/bin`, WORKDIR: dir, BACKEND: 'vllm', KUBECONFIG_BOUND: 'false', ...env },
    encoding: 'utf8',
  });
  return r.stdout;
}

describe('a Route, when asked, is verified with the cluster’s trusted CA bundle', () => {
  const ca = mkdtempSync(path.join(os.tmpdir(), 'ca-'));
  writeFileSync(path.join(ca, 'ca-bundle.crt'), '-----BEGIN CERTIFICATE-----\n');
  for (const file of ['tekton/tasks/wait.yaml', 'tekton/tasks/sweep.yaml'])
    test(`${file}: NODE_EXTRA_CA_CERTS from the trusted-ca workspace when bound, unset otherwise`, () => {
      const base = { CONCURRENCY: '', REQUESTS: '', TRIALS: '', WARMUP: '', INPUT_TOKENS: '', OUTPUT_TOKENS: '' };
      const plan = { ...base, UPDATE_BASELINE: 'false', AB: 'false' };
      const common = { ...plan, CONFIG: '', MODEL: 'm', ENDPOINT: 'http://x', CLIENT_THREADS: '1', NAMESPACE: 'n' };
      const extra = { MANAGED_CLUSTER: '', PIPELINE_RUN: '', ARM: '', READY_TIMEOUT: '1', KUBECONFIG_DIR: '' };
      expect(runStep(file, { ...common, ...extra, TRUSTED_CA_BOUND: 'true', TRUSTED_CA_DIR: ca })).toContain(
        `NODE_EXTRA_CA_CERTS=${ca}/ca-bundle.crt`,
      );
      expect(runStep(file, { ...common, ...extra, TRUSTED_CA_BOUND: 'false', TRUSTED_CA_DIR: '' })).toContain(
        'NODE_EXTRA_CA_CERTS=\n',
      );
    });

  test('every entry point binds the injected ConfigMap the install creates; no Route unless asked', () => {
    const cm = load('tekton/install/storage.yaml').find((d) => d.kind === 'ConfigMap')!;
    expect(cm.metadata.labels['config.openshift.io/inject-trusted-cabundle']).toBe('true');
    const runs = [
      ...['.tekton/pull-request.yaml', '.tekton/benchmark-comment.yaml', '.tekton/nightly.yaml'].map((f) => load(f)[0]),
      load('tekton/triggers/triggertemplate.yaml')[0].spec.resourcetemplates[0],
    ];
    for (const r of runs)
      expect((r.spec.workspaces as Obj[]).find((w) => w.name === 'trusted-ca')?.configMap?.name).toBe(cm.metadata.name);
    const pipeline = load('tekton/pipeline.yaml')[0];
    expect((pipeline.spec.params as Obj[]).find((p) => p.name === 'route')!.default).toBe('false');
  });
});

describe('bad input: an ACM run with the hub-internal registry', () => {
  const run = (env: Record<string, string>) => {
    const task = load('tekton/tasks/image.yaml')[0];
    const dir = mkdtempSync(path.join(os.tmpdir(), 'image-task-'));
    const script = String(task.spec.steps[0].script).replace(/\$\(results\.([a-z-]+)\.path\)/g, `${dir}/$1`);
    return spawnSync('sh', ['-c', script], {
      env: { PATH: '/usr/bin:/bin', WORKDIR: dir, BACKEND: 'vllm', ...env },
      encoding: 'utf8',
    });
  };
  test('fails at once (exit 2) saying managed clusters cannot pull from the hub’s internal registry', () => {
    const internal =
      'image-registry.openshift-image-registry.svc:5000/llm-bench-ci/llmbench-vllm@sha256:' + 'a'.repeat(64);
    const r = run({ SERVER_IMAGE: internal, MANAGED_CLUSTER: 'gpu-cluster-1' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/managed cluster gpu-cluster-1 cannot pull/);
    expect(run({ SERVER_IMAGE: internal, MANAGED_CLUSTER: '' }).status).toBe(0);
    expect(run({ SERVER_IMAGE: 'quay.io/x/llmbench-vllm:tag', MANAGED_CLUSTER: '' }).stderr).toMatch(
      /not pinned by digest/,
    );
  });
});
