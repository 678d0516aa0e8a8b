/**
 * The nightly CronJobs, run: each container's own script (curl for Pipelines-as-Code's /incoming, node for the
 * EventListener) executes on this machine against a loopback stand-in for its receiver, with the mounted
 * Secret as a temp file (its mountPath rewritten — the one substitution). The PaC stand-in checks what
 * PaC's /incoming checks (repository, branch among the targets, the shared secret, params declared in the
 * Repository CR); the EventListener stand-in verifies GitHub's HMAC signature and dispatches the body through
 * the real triggers (CEL, bindings, template) into a PipelineRun that must fit llm-bench.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkPipelineRun, loadDocs, ofKind, type Obj } from './tekton.js';
import { dispatch, verifyGitHubSignature } from './triggers.js';

const docs = loadDocs();
const cronjobs = new Map<string, Obj>(ofKind(docs, 'CronJob').map((d) => [d.obj.metadata.name, d.obj]));
const [repoCr] = ofKind(docs, 'Repository');
const pipeline = ofKind(docs, 'Pipeline').find((d) => d.obj.metadata.name === 'llm-bench')!.obj;
const SECRET = 'nightly-shared-secret-0123456789';

interface Received {
  headers: http.IncomingHttpHeaders;
  url: string;
  raw: string;
}

let server: http.Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function receiver(handle: (r: Received) => [number, string]): Promise<{ url: string; got: Received[] }> {
  const got: Received[] = [];
  server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const r = { headers: req.headers, url: req.url ?? '', raw };
      got.push(r);
      const [status, body] = handle(r);
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, got };
}

/** Runs the CronJob's container as its pod would: command + args, its env, its Secret volume as files. */
function runContainer(
  cj: Obj,
  envOverride: Record<string, string>,
  secretData: Record<string, string>,
): Promise<{ code: number | null; out: string }> {
  const pod = cj.spec.jobTemplate.spec.template.spec;
  const [c] = pod.containers;
  let args: string[] = [...(c.command ?? []), ...(c.args ?? [])];
  for (const m of c.volumeMounts ?? []) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mount-'));
    const vol = pod.volumes.find((v: Obj) => v.name === m.name);
    expect(vol.secret.secretName).toBeTruthy();
    mkdirSync(dir, { recursive: true });
    for (const [k, v] of Object.entries(secretData)) writeFileSync(path.join(dir, k), v);
    args = args.map((a) => a.split(m.mountPath).join(dir));
  }
  const env: Record<string, string> = { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin` };
  for (const e of c.env ?? []) env[e.name] = e.value;
  Object.assign(env, envOverride);
  return new Promise((resolve) => {
    const p = spawn(args[0] === 'node' ? process.execPath : args[0], args.slice(1), {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => resolve({ code, out }));
  });
}

describe('nightly CronJob → Pipelines-as-Code /incoming', () => {
  const cj = cronjobs.get('llm-bench-nightly')!;

  it('posts one authenticated request per (backend, model, GPU) with only params the Repository allows', async () => {
    const allowed = new Set<string>(repoCr.obj.spec.incoming[0].params);
    const targets: string[] = repoCr.obj.spec.incoming[0].targets;
    const { url, got } = await receiver((r) => {
      const b = JSON.parse(r.raw);
      const ok =
        r.url === '/incoming' &&
        b.secret === SECRET &&
        b.repository === repoCr.obj.metadata.name &&
        targets.includes(b.branch) &&
        Object.keys(b.params).every((k) => allowed.has(k));
      return ok ? [200, '{"status":"ok"}'] : [400, '{"status":"rejected"}'];
    });
    const r = await runContainer(cj, { PAC_URL: url }, { secret: SECRET });
    expect(r.code).toBe(0);
    const bodies = got.map((g) => JSON.parse(g.raw));
    expect(bodies.map((b) => b.params.backend)).toEqual(['vllm', 'tgi', 'triton']);
    for (const b of bodies) {
      expect(b).toMatchObject({
        repository: 'llmbench',
        namespace: 'llm-bench-ci',
        branch: 'main',
        pipelinerun: 'llm-bench-nightly',
        secret: SECRET,
      });
      expect(b.params).toEqual({
        backend: expect.any(String),
        model: 'mistralai/Mistral-7B-Instruct-v0.2',
        'gpu-profile': 'a100-mig-3g.20gb',
      });
    }
    // The secret travels in the body, never in the URL (access logs).
    expect(got.every((g) => !g.url.includes(SECRET))).toBe(true);
    // The PipelineRun it names exists in .tekton/ and is an incoming-webhook run.
    const nightly = ofKind(docs, 'PipelineRun').find((d) => d.obj.metadata.name === bodies[0].pipelinerun)!;
    expect(nightly.obj.metadata.annotations['pipelinesascode.tekton.dev/on-event']).toBe('[incoming]');
  }, 60_000);

  it('fails the Job when PaC rejects the request (a wrong secret is not silent)', async () => {
    const { url } = await receiver(() => [401, '{"status":"unauthorized"}']);
    const r = await runContainer(cj, { PAC_URL: url }, { secret: 'wrong' });
    expect(r.code).not.toBe(0);
  }, 60_000);
});

describe('nightly CronJob → Tekton Triggers EventListener (HMAC-signed)', () => {
  const cj = cronjobs.get('llm-bench-nightly-triggers')!;

  it('is suspended by default (one nightly path at a time)', () => {
    expect(cj.spec.suspend).toBe(true);
  });

  it('signs each body as GitHub does; the listener accepts it and renders a nightly PipelineRun per combination', async () => {
    const runs: Obj[] = [];
    const { url, got } = await receiver((r) => {
      if (!verifyGitHubSignature(SECRET, r.raw, r.headers['x-hub-signature-256'] as string))
        return [403, '{"error":"signature"}'];
      const d = dispatch(String(r.headers['x-github-event']), JSON.parse(r.raw));
      if (!d) return [202, '{"eventListener":"llm-bench","note":"no trigger matched"}'];
      runs.push(d.run);
      return [202, '{"eventListener":"llm-bench"}'];
    });
    const r = await runContainer(cj, { EVENTLISTENER_URL: url }, { secret: SECRET });
    expect([r.code, r.out]).toEqual([0, expect.stringContaining('HTTP 202')]);
    expect(got.length).toBe(3);
    expect(runs.map((x) => x.spec.params.find((p: Obj) => p.name === 'backend').value)).toEqual([
      'vllm',
      'tgi',
      'triton',
    ]);
    for (const x of runs) {
      expect(x.spec.params.find((p: Obj) => p.name === 'update-baseline').value).toBe('true');
      expect(checkPipelineRun('nightly', x, pipeline)).toEqual([]);
    }
  }, 60_000);

  it('a body signed with another secret is refused by the signature check', async () => {
    const { url } = await receiver((r) =>
      verifyGitHubSignature(SECRET, r.raw, r.headers['x-hub-signature-256'] as string) ? [202, '{}'] : [403, '{}'],
    );
    const r = await runContainer(cj, { EVENTLISTENER_URL: url }, { secret: 'not-the-secret' });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/HTTP 403/);
  }, 60_000);
});
