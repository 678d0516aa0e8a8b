import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import http from 'node:http';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { main } from '../cli.js';
import { REPO_ROOT } from '../core/paths.js';
import { contentHash, imageSpecs, type BuildPlan } from './build.js';
import { pushTinyImage, startRegistry, type TestRegistry } from '../../test/cluster/registry.js';
import { SERVER_NAMES } from '../servers/index.js';

let reg: TestRegistry;
beforeAll(async () => {
  reg = await startRegistry();
});
afterAll(async () => {
  await reg?.close();
});

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const code = await main({ argv, stdout: (s) => (out += s), stderr: (s) => (err += s), env, cwd: REPO_ROOT });
  return { code, out, err };
}

describe('build plan against a real registry (docker-registry on loopback)', () => {
  test('every image is planned as build; once the registry has the vllm tag, vllm is skipped with its digest', async () => {
    const first = await cli(['build', '--registry', `${reg.host}/bench`, '--plain-http', '--json']);
    expect(first.code).toBe(0);
    const plan = JSON.parse(first.out) as BuildPlan;
    expect(plan.images.map((i) => [i.name, i.action])).toEqual([
      ['steps', 'build'],
      ...SERVER_NAMES.map((n) => [n, 'build']),
    ]);
    const vllm = plan.images.find((i) => i.name === 'vllm')!;
    expect(vllm.image).toBe(`${reg.host}/bench/llmbench-vllm:${vllm.tag}`);
    expect(vllm.tag).toMatch(/^[0-9a-f]{20}$/);
    // The HF token is a build secret read from the environment, never a build arg.
    expect(vllm.commands[0]).toEqual(expect.arrayContaining(['--secret', 'id=hf_token,env=HF_TOKEN']));
    expect(JSON.stringify(vllm.build_args)).not.toMatch(/token/i);

    const digest = pushTinyImage(reg.host, 'bench/llmbench-vllm', vllm.tag);
    const second = await cli(['build', '--registry', `${reg.host}/bench`, '--plain-http', '--json']);
    const plan2 = JSON.parse(second.out) as BuildPlan;
    const v2 = plan2.images.find((i) => i.name === 'vllm')!;
    expect(v2).toMatchObject({ action: 'skip', exists: true, existing_digest: digest, tag: vllm.tag, commands: [] });
    expect(plan2.images.filter((i) => i.action === 'build').map((i) => i.name)).toEqual([
      'steps',
      ...SERVER_NAMES.filter((n) => n !== 'vllm'),
    ]);
  });

  test('--backend --plan writes the JSON plan and the plain-text files the Tekton build Task reads', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'llmbench-plan-'));
    const planFile = path.join(dir, 'plan-tgi.json');
    const planArgs = ['build', '--backend', 'tgi', '--registry', reg.host, '--plain-http', '--plan', planFile];
    const r = await cli(planArgs);
    expect(r.code).toBe(0);
    const plan = JSON.parse(readFileSync(planFile, 'utf8')) as BuildPlan;
    expect(plan.images).toHaveLength(1);
    const read = (ext: string) => readFileSync(path.join(dir, `plan-tgi.${ext}`), 'utf8');
    expect(read('needed')).toBe('true');
    expect(read('image')).toBe(plan.images[0].image);
    expect(read('dockerfile')).toBe(path.join(REPO_ROOT, 'docker/tgi/Dockerfile'));
    expect(read('context')).toBe(path.join(REPO_ROOT, 'docker'));
    expect(read('existing-digest')).toBe('');
    // The build args and secret the tag was hashed with, one buildah argument per line.
    expect(read('buildah-args').split('\n')).toEqual([
      '--build-arg',
      `BASE_IMAGE=${plan.images[0].build_args.BASE_IMAGE}`,
      '--build-arg',
      'MODEL_ID=mistralai/Mistral-7B-Instruct-v0.2',
      '--secret',
      'id=hf_token,env=HF_TOKEN',
      '',
    ]);
    pushTinyImage(reg.host, 'llmbench-tgi', plan.images[0].tag);
    await cli(planArgs);
    expect(read('needed')).toBe('false');
    expect(read('existing-digest')).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  test('registry answering 401 with a Bearer challenge: token fetched with REGISTRY_AUTH_FILE credentials', async () => {
    // An auth front in front of the real registry: token endpoint + Bearer check, then proxy to the registry.
    const creds = Buffer.from('bench:s3cret').toString('base64');
    const front = http.createServer(async (req, res) => {
      if (req.url?.startsWith('/token')) {
        if (req.headers.authorization !== `Basic ${creds}`) return void res.writeHead(401).end();
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'tok-1' }));
      }
      if (req.headers.authorization !== 'Bearer tok-1') {
        const port = (front.address() as AddressInfo).port;
        return void res
          .writeHead(401, { 'www-authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="test"` })
          .end();
      }
      const up = await fetch(`http://${reg.host}${req.url}`, {
        method: req.method,
        headers: { accept: String(req.headers.accept) },
      });
      res.writeHead(up.status, Object.fromEntries(up.headers.entries())).end();
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    const host = `127.0.0.1:${(front.address() as AddressInfo).port}`;
    try {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'llmbench-auth-'));
      const plan = JSON.parse(
        (await cli(['build', '--backend', 'vllm', '--registry', reg.host, '--plain-http', '--json'])).out,
      ) as BuildPlan;
      pushTinyImage(reg.host, 'llmbench-vllm', plan.images[0].tag);
      const noCreds = await cli(['build', '--backend', 'vllm', '--registry', host, '--plain-http']);
      expect(noCreds.code).toBe(3);
      expect(noCreds.err).toContain('registry-unavailable');
      writeFileSync(path.join(dir, 'auth.json'), JSON.stringify({ auths: { [host]: { auth: creds } } }));
      const ok = await cli(['build', '--backend', 'vllm', '--registry', host, '--plain-http'], {
        REGISTRY_AUTH_FILE: path.join(dir, 'auth.json'),
      });
      expect(ok.code).toBe(0);
      expect(ok.out).toMatch(/^skip /);
    } finally {
      await new Promise((r) => front.close(r));
    }
  });

  test('an unreachable registry is exit 3; a malformed --registry is exit 2', async () => {
    const down = await cli(['build', '--backend', 'vllm', '--registry', '127.0.0.1:9', '--plain-http']);
    expect(down.code).toBe(3);
    expect(down.err).toContain('registry-unavailable');
    const bad = await cli(['build', '--registry', 'not a registry!']);
    expect(bad.code).toBe(2);
  });
});

describe('content-hash tags', () => {
  test('a tag changes exactly when its Dockerfile, inputs or build args change', async () => {
    const src = mkdtempSync(path.join(os.tmpdir(), 'llmbench-src-'));
    mkdirSync(path.join(src, 'docker'));
    cpSync(path.join(REPO_ROOT, 'docker'), path.join(src, 'docker'), { recursive: true });
    const specs = imageSpecs({ model: 'm/a', vendor: 'nvidia' });
    const before = { vllm: await contentHash(src, specs.vllm), tgi: await contentHash(src, specs.tgi) };
    writeFileSync(
      path.join(src, 'docker/vllm/Dockerfile'),
      readFileSync(path.join(src, 'docker/vllm/Dockerfile'), 'utf8') + '\n# changed\n',
    );
    const after = { vllm: await contentHash(src, specs.vllm), tgi: await contentHash(src, specs.tgi) };
    expect(after.vllm.sha256).not.toBe(before.vllm.sha256);
    expect(after.tgi.sha256).toBe(before.tgi.sha256);
    // A shared input changes both; another model or the ROCm base is another image.
    writeFileSync(path.join(src, 'docker/common/download_model.py'), '# changed\n');
    expect((await contentHash(src, specs.tgi)).sha256).not.toBe(before.tgi.sha256);
    const other = imageSpecs({ model: 'm/b', vendor: 'nvidia' });
    expect((await contentHash(src, other.tgi)).sha256).not.toBe((await contentHash(src, specs.tgi)).sha256);
    const rocm = imageSpecs({ model: 'm/a', vendor: 'amd' });
    expect(rocm.vllm.repository).toBe('llmbench-vllm-rocm');
    expect((await contentHash(src, rocm.vllm)).sha256).not.toBe((await contentHash(src, specs.vllm)).sha256);
  });

  test('Triton has no ROCm base image: exit 2', async () => {
    const r = await cli([
      'build',
      '--backend',
      'triton',
      '--gpu-vendor',
      'amd',
      '--registry',
      'quay.io/x',
      '--offline',
    ]);
    expect(r.code).toBe(2);
  });
});
