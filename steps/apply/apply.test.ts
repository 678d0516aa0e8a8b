import { afterEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../cli.js';
import { FAKE_CA_PEM, startFakeKube, type FakeKube } from '../../test/fakes/k8s/server.js';

let fake: FakeKube | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const code = await main({
    argv,
    stdout: (s) => (out += s),
    stderr: (s) => (err += s),
    env: { LLMBENCH_KUBE_RETRY_MS: '5', ...env },
  });
  return { code, out, err };
}

function setup(f: FakeKube) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'llmbench-apply-'));
  const kc = path.join(dir, 'kubeconfig');
  writeFileSync(kc, f.kubeconfig());
  return { dir, kc };
}

describe('apply', () => {
  test('server-side applies prerequisites + server with field manager llmbench, records an inventory, and is idempotent', async () => {
    fake = await startFakeKube();
    const { dir, kc } = setup(fake);
    const r = await cli(['apply', '--backend', 'vllm', '--kubeconfig', kc, '--workdir', dir, '--route']);
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const patches = fake.requests.filter((q) => q.method === 'PATCH');
    expect(patches.length).toBe(10);
    for (const p of patches) {
      expect(p.contentType).toBe('application/apply-patch+yaml');
      expect(p.query).toMatchObject({ fieldManager: 'llmbench', force: 'true' });
    }
    expect(fake.rejected).toEqual([]);
    const dep = fake.get('Deployment', 'llm-bench', 'llmbench-vllm')!;
    expect(dep.metadata.generation).toBe(1);
    const inv = JSON.parse(readFileSync(path.join(dir, 'cluster', 'vllm.applied.json'), 'utf8'));
    expect(inv.objects.map((o: any) => o.kind)).toEqual([
      'Namespace',
      'ServiceAccount',
      'ServiceAccount',
      'Role',
      'RoleBinding',
      'PersistentVolumeClaim',
      'Deployment',
      'Service',
      'NetworkPolicy',
      'Route',
    ]);
    expect(inv.objects.find((o: any) => o.kind === 'PersistentVolumeClaim').keep_on_teardown).toBe(true);
    // Again: same objects, nothing changes.
    const again = await cli(['apply', '--backend', 'vllm', '--kubeconfig', kc, '--workdir', dir, '--route']);
    expect(again.code).toBe(0);
    expect(fake.get('Deployment', 'llm-bench', 'llmbench-vllm')!.metadata.generation).toBe(1);
    // A changed flag is a new generation.
    await cli(['apply', '--backend', 'vllm', '--kubeconfig', kc, '--workdir', dir, '--route', '--engine-arg=--seed=7']);
    expect(fake.get('Deployment', 'llm-bench', 'llmbench-vllm')!.metadata.generation).toBe(2);
  });

  test('transient API errors (503, 429, connection reset) are retried with backoff', async () => {
    fake = await startFakeKube();
    const { dir, kc } = setup(fake);
    fake.failNext('PATCH', 503, 2);
    fake.failNext('PATCH', 429, 1);
    fake.failNext('PATCH', 0, 1);
    const r = await cli(['apply', '--backend', 'tgi', '--kubeconfig', kc, '--workdir', dir]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/transient API error, retrying/);
    expect(fake.get('Deployment', 'llm-bench', 'llmbench-tgi')).toBeDefined();
  });

  test('persistent 503 ends with exit 3 after bounded retries', async () => {
    fake = await startFakeKube();
    const { dir, kc } = setup(fake);
    fake.failNext('PATCH', 503, 100);
    const r = await cli(['apply', '--backend', 'tgi', '--kubeconfig', kc, '--workdir', dir]);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/kube-unavailable/);
    expect(fake.requests.filter((q) => q.method === 'PATCH').length).toBe(6);
  });

  test('plain Kubernetes without Routes: --route fails before applying anything, hint says --no-route; --no-route works', async () => {
    fake = await startFakeKube({ openshift: false });
    const { dir, kc } = setup(fake);
    const r = await cli(['apply', '--backend', 'vllm', '--kubeconfig', kc, '--workdir', dir, '--route']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/--no-route/);
    expect(fake.requests.filter((q) => q.method === 'PATCH')).toEqual([]);
    const ok = await cli(['apply', '--backend', 'vllm', '--kubeconfig', kc, '--workdir', dir, '--no-route']);
    expect(ok.code).toBe(0);
  });

  test('ACM: creates ManifestWorks in the managed cluster namespace on the hub', async () => {
    fake = await startFakeKube();
    const { dir, kc } = setup(fake);
    const r = await cli([
      'apply',
      '--backend',
      'triton',
      '--acm',
      '--cluster',
      'spoke-1',
      '--kubeconfig',
      kc,
      '--workdir',
      dir,
    ]);
    expect(r.code).toBe(0);
    expect(
      fake
        .all('ManifestWork')
        .map((w) => `${w.metadata.namespace}/${w.metadata.name}`)
        .sort(),
    ).toEqual(['spoke-1/llmbench-prerequisites', 'spoke-1/llmbench-triton']);
    expect(fake.all('Deployment')).toEqual([]);
    expect(fake.rejected).toEqual([]);
  });

  test('credentials: no kubeconfig anywhere is exit 3 (never http://localhost:8080); a missing --kubeconfig file is exit 2', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'llmbench-home-'));
    const none = await cli(['apply', '--backend', 'vllm', '--workdir', home], { HOME: home });
    expect(none.code).toBe(3);
    expect(none.err).toMatch(/no-kube-credentials/);
    expect(none.err).toMatch(/localhost:8080/);
    // KUBERNETES_SERVICE_HOST without a mounted token: loadFromCluster() would target https://undefined:undefined.
    const halfPod = await cli(['apply', '--backend', 'vllm', '--workdir', home], {
      HOME: home,
      KUBERNETES_SERVICE_HOST: '10.0.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      LLMBENCH_SERVICE_ACCOUNT_DIR: path.join(home, 'no-sa'),
    });
    expect(halfPod.code).toBe(3);
    expect(halfPod.err).toMatch(/not inside a pod/);
    const missing = await cli(
      ['apply', '--backend', 'vllm', '--kubeconfig', path.join(home, 'nope'), '--workdir', home],
      { HOME: home },
    );
    expect(missing.code).toBe(2);
  });

  test('in a pod: the mounted ServiceAccount token and CA reach the API server over TLS', async () => {
    fake = await startFakeKube({ tls: true, token: 'sa-token' });
    const sa = mkdtempSync(path.join(os.tmpdir(), 'llmbench-sa-'));
    writeFileSync(path.join(sa, 'token'), 'sa-token\n');
    writeFileSync(path.join(sa, 'ca.crt'), FAKE_CA_PEM);
    writeFileSync(path.join(sa, 'namespace'), 'llm-bench');
    const port = new URL(fake.url).port;
    const r = await cli(['apply', '--backend', 'vllm', '--workdir', sa], {
      HOME: sa,
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: port,
      LLMBENCH_SERVICE_ACCOUNT_DIR: sa,
    });
    expect(r.err).toContain('credentials=in-cluster service account');
    expect(r.code).toBe(0);
    expect(fake.get('Deployment', 'llm-bench', 'llmbench-vllm')).toBeDefined();
    // Without the CA the server certificate is not trusted: an error, never a silent skip of verification.
    writeFileSync(path.join(sa, 'ca.crt'), '');
    const untrusted = await cli(['apply', '--backend', 'vllm', '--workdir', sa], {
      HOME: sa,
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: port,
      LLMBENCH_SERVICE_ACCOUNT_DIR: sa,
    });
    expect(untrusted.code).toBe(3);
  });

  test('a kubeconfig with certificate-authority-data works over TLS', async () => {
    fake = await startFakeKube({ tls: true });
    const { dir, kc } = setup(fake);
    expect((await cli(['apply', '--backend', 'tgi', '--kubeconfig', kc, '--workdir', dir])).code).toBe(0);
  });

  test('a kubeconfig whose server is https://undefined:undefined (what loadFromCluster() gives outside a pod) is exit 3', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'llmbench-apply-'));
    writeFileSync(
      path.join(dir, 'kc'),
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: c',
        'clusters: [{name: x, cluster: {server: "https://undefined:undefined"}}]',
        'users: [{name: u, user: {token: t}}]',
        'contexts: [{name: c, context: {cluster: x, user: u}}]',
        '',
      ].join('\n'),
    );
    const r = await cli(['apply', '--backend', 'vllm', '--kubeconfig', path.join(dir, 'kc'), '--workdir', dir]);
    expect(r.code).toBe(3);
    expect(r.err).toContain('error [kube-server-unset]');
  });

  test('bad credentials are exit 3 with a hint', async () => {
    fake = await startFakeKube({ token: 'right' });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'llmbench-apply-'));
    writeFileSync(path.join(dir, 'kc'), fake.kubeconfig('wrong'));
    const r = await cli(['apply', '--backend', 'vllm', '--kubeconfig', path.join(dir, 'kc'), '--workdir', dir]);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/kube-unauthorized/);
  });
});

describe('bad input: a missing prerequisite', () => {
  test('--no-prerequisites into a namespace the install never ran in fails at once, naming the object and the install command', async () => {
    fake = await startFakeKube();
    const { dir, kc } = setup(fake);
    const t0 = Date.now();
    const r = await cli(['apply', '--backend', 'vllm', '--kubeconfig', kc, '--workdir', dir, '--no-prerequisites']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/serviceaccounts "llmbench-server" not found in namespace "llm-bench"/);
    expect(r.err).toMatch(/kubectl apply -f manifests\/prerequisites.yaml/);
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(fake.requests.filter((q) => q.method === 'PATCH')).toEqual([]);
  });
});
