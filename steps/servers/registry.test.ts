import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { REPO_ROOT } from '../core/paths.js';
import { main } from '../cli.js';
import { parseConfig } from '../core/config.js';
import { InvalidInputError } from '../core/errors.js';
import { profiles } from '../sim/profiles.js';
import { startSimulator } from '../simulator/server.js';
import { GPU_PROFILES } from '../cluster/profiles.js';
import { generatedServerFiles } from './gen-docs.js';
import { SERVERS, SERVER_NAMES, getServer, metricsUrl } from './index.js';
import { waitReady } from '../wait/wait.js';
import { silentLogger } from '../core/log.js';
import type { KubeClient } from '../cluster/kube.js';

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main({ argv, stdout: (s) => (out += s), stderr: (s) => (err += s), env: {} });
  return { code, out, err };
}

describe('server registry', () => {
  test('every registered server is a complete folder: adapter, dialect, sim profile, Dockerfile, kind = name', () => {
    for (const n of SERVER_NAMES) {
      const s = SERVERS[n];
      expect(s.name).toBe(n);
      expect(s.adapter.kind).toBe(n);
      expect(s.dialect.kind).toBe(n);
      expect(s.adapter.apis.length).toBeGreaterThan(0);
      expect(profiles().backends.get(n)?.id).toBe(n);
      expect(readFileSync(path.join(REPO_ROOT, s.dockerfile), 'utf8')).toMatch(/^FROM /m);
    }
  });

  test('static files that list the servers match the registry (npm run gen:servers)', () => {
    for (const [rel, content] of generatedServerFiles())
      expect({ rel, content: readFileSync(path.join(REPO_ROOT, rel), 'utf8') }).toEqual({ rel, content });
  });

  test('one pinned version per server: the simulator reports it and the checked-in manifests deploy it', async () => {
    for (const n of SERVER_NAMES) {
      const s = SERVERS[n];
      expect(profiles().backends.get(n)?.server_version).toBe(s.version);
      const docs = yaml.loadAll(readFileSync(path.join(REPO_ROOT, 'manifests', `${n}.yaml`), 'utf8')) as {
        kind: string;
        spec: { template: { spec: { containers: { image: string }[] } } };
      }[];
      const image = docs.find((d) => d?.kind === 'Deployment')!.spec.template.spec.containers[0].image;
      expect(image).toBe(s.container.images.nvidia);
      const sim = await startSimulator({ backend: n, timeScale: 50 });
      try {
        const r = await fetch(sim.url + s.endpoints.version.path);
        expect(((await r.json()) as Record<string, unknown>)[s.endpoints.version.field]).toBe(s.version);
      } finally {
        await sim.close();
      }
    }
  });

  test('Triton: image release and version agree (25.08 ships Triton 2.60.0)', () => {
    expect(SERVERS.triton.container.images.nvidia).toContain(':25.08-');
    expect(SERVERS.triton.version).toBe('2.60.0');
  });

  test('metrics URL: the API port unless the server has a metrics port of its own (Triton :8002)', () => {
    expect(metricsUrl('vllm', 'http://h.svc:8000/')).toBe('http://h.svc:8000/metrics');
    expect(metricsUrl('triton', 'http://h.svc:8000')).toBe('http://h.svc:8002/metrics');
  });

  test('the simulator serves metrics where the real server does', async () => {
    for (const n of SERVER_NAMES) {
      const sim = await startSimulator({ backend: n, timeScale: 50 });
      try {
        const own = SERVERS[n].metrics.port !== null;
        expect(sim.metricsUrl === `${sim.url}/metrics`).toBe(!own);
        expect((await fetch(sim.metricsUrl)).status).toBe(200);
        if (own) expect((await fetch(`${sim.url}/metrics`)).status).toBe(404);
      } finally {
        await sim.close();
      }
    }
  });
});

describe('one GPU catalogue behind gpu_profile', () => {
  test('every simulator GPU is a catalogue id, and the config rejects an id outside the catalogue', () => {
    const ids = GPU_PROFILES.map((g) => g.id);
    for (const id of profiles().gpus.keys()) expect(ids).toContain(id);
    const problems = (() => {
      try {
        parseConfig('version: 1\nbackends: [{kind: vllm}]\ngpu_profile: t4\n');
        return [];
      } catch (e) {
        return (e as InvalidInputError).problems;
      }
    })();
    expect(problems).toEqual([
      expect.objectContaining({ path: '/gpu_profile', message: expect.stringContaining('t4-16gb') }),
    ]);
    expect(parseConfig('version: 1\nbackends: [{kind: vllm}]\ngpu_profile: t4-16gb\n').gpu_profile).toBe('t4-16gb');
  });
});

describe('bad input: an unknown server name exits 2 listing the known servers', () => {
  const known = (text: string) => SERVER_NAMES.every((n) => text.includes(n));

  test('config, and every CLI that takes --backend', async () => {
    expect(() => parseConfig('version: 1\nbackends: [{kind: nope}]\n')).toThrow(InvalidInputError);
    try {
      parseConfig('version: 1\nbackends: [{kind: nope}]\n');
    } catch (e) {
      expect(known(JSON.stringify((e as InvalidInputError).problems))).toBe(true);
    }
    for (const argv of [
      ['sweep', '--backend', 'nope', '--url', 'http://127.0.0.1:9', '--out', '/nonexistent/x'],
      ['render', '--backend', 'nope'],
      ['sim', '--backend', 'nope'],
      ['wait', '--backend', 'nope', '--endpoint', 'http://127.0.0.1:9'],
      ['build', '--backend', 'nope', '--registry', 'r.example'],
    ]) {
      const r = await cli(argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      expect(known(r.err)).toBe(true);
      expect(r.err).not.toMatch(/TypeError/);
    }
  });

  test('getServer and waitReady refuse an unknown name (no silent fallback to another server paths)', async () => {
    expect(() => getServer('nope')).toThrow(`known: ${SERVER_NAMES.join(', ')}`);
    const client = {} as KubeClient;
    await expect(
      waitReady(
        client,
        {
          backend: 'nope' as never,
          namespace: 'n',
          mode: 'direct',
          timeoutS: 1,
          pollMs: 10,
          pendingTimeoutS: 1,
          requestTimeoutMs: 100,
        },
        silentLogger,
      ),
    ).rejects.toBeInstanceOf(InvalidInputError);
  });
});
