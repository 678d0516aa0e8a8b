/**
 * tekton/bootstrap/steps-image.yaml's Task on the harness, as far as it can go without a container engine: the
 * fetch step's own script (curl, on this machine's curl) downloads this repository's tarball from a loopback
 * stand-in for GitHub's "Download a repository archive (tar)" endpoint, and the build-and-push step's own script
 * runs up to `buildah bud` (recorded substitution: buildah cannot run here; CI builds the same Dockerfile for real
 * with `npm run image:steps`). What that proves: the request GitHub would get (path, token from the git-auth
 * workspace in a header, never in the URL), the tarball layout the script unpacks (GitHub's one top-level
 * directory, --strip-components=1), and that the Dockerfile and the ignore file buildah is given exist there.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../steps/core/paths.js';
import { PipelineHarness, dumpRun } from './harness.js';
import { loadDocs, ofKind, type Obj } from './tekton.js';

const TOKEN = 'ghp_BootstrapTokenPlanted0123456789abcdef';
const task = ofKind(loadDocs(), 'Task').find((d) => d.obj.metadata.name === 'llmbench-bootstrap-steps-image')!;
let root: string;
let server: http.Server;
let api = '';
const requests: { url: string; auth: string | undefined }[] = [];
let sha = '';

/**
 * GitHub: GET /repos/{owner}/{repo}/tarball/{ref} answers 302 to codeload (docs.github.com, "Download a repository
 * archive (tar)"); the archive holds one top-level directory `{owner}-{repo}-{short sha}/`. A private repository
 * without a token is a 404.
 */
function fakeTarballApi(req: http.IncomingMessage, res: http.ServerResponse): void {
  requests.push({ url: req.url ?? '', auth: req.headers.authorization });
  const m = /^\/repos\/([^/]+)\/([^/]+)\/tarball\/([^/?]+)$/.exec(req.url ?? '');
  if (m) {
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return void res.writeHead(404).end('{"message":"Not Found"}');
    return void res.writeHead(302, { location: `${api}/codeload/${m[1]}/${m[2]}/legacy.tar.gz/${m[3]}` }).end();
  }
  const c = /^\/codeload\/([^/]+)\/([^/]+)\/legacy\.tar\.gz\/([^/]+)$/.exec(req.url ?? '');
  if (!c || c[3] !== sha) return void res.writeHead(404).end();
  const tgz = execFileSync(
    'git',
    ['-C', REPO_ROOT, 'archive', '--format=tar.gz', `--prefix=${c[1]}-${c[2]}-${sha.slice(0, 7)}/`, sha],
    {
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  res.writeHead(200, { 'content-type': 'application/x-gzip' }).end(tgz);
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'tekton-bootstrap-'));
  sha = execFileSync('git', ['-C', REPO_ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  server = http.createServer(fakeTarballApi);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(root, { recursive: true, force: true });
});

describe('bootstrap: the steps-image Task up to buildah', () => {
  it('fetches the tarball with the git-auth token in a header and unpacks the Dockerfile buildah would build', async () => {
    const steps = task.obj.spec.steps as Obj[];
    const own = String(steps.find((s) => s.name === 'build-and-push')!.script);
    const upToBuildah = own.slice(0, own.indexOf('buildah bud'));
    expect(upToBuildah).toContain('tar -xzf');
    const pipeline = {
      apiVersion: 'tekton.dev/v1',
      kind: 'Pipeline',
      metadata: { name: 'bootstrap' },
      spec: {
        params: [{ name: 'repo' }, { name: 'revision' }, { name: 'github-api' }],
        workspaces: [{ name: 'work' }, { name: 'git-auth' }],
        tasks: [
          {
            name: 'steps-image',
            taskRef: { name: task.obj.metadata.name },
            params: ['repo', 'revision', 'github-api'].map((n) => ({ name: n, value: `$(params.${n})` })),
            workspaces: [
              { name: 'work', workspace: 'work' },
              { name: 'git-auth', workspace: 'git-auth' },
            ],
          },
        ],
      },
    };
    const work = path.join(root, 'work');
    const gitAuth = path.join(root, 'git-auth');
    mkdirSync(gitAuth, { recursive: true });
    writeFileSync(path.join(gitAuth, 'token'), TOKEN);
    const run = await new PipelineHarness({
      docs: [task, { file: 'p.yaml', index: 0, obj: pipeline }],
      pipeline: 'bootstrap',
      params: { repo: 'octo/llmbench', revision: sha, 'github-api': api },
      workspaces: { work, 'git-auth': gitAuth },
      substitutions: {
        'steps-image/fetch': { reason: 'curl image: its own script with this machine’s curl' },
        'steps-image/build-and-push': {
          reason: 'buildah image: its own script up to `buildah bud` (CI builds the Dockerfile for real)',
          script: `${upToBuildah}test -f "$src/docker/steps/Dockerfile"\ntest -f "$src/docker/steps/Dockerfile.dockerignore"\n`,
        },
      },
    }).run();
    const dump = dumpRun(run);
    expect([dump, run.status]).toEqual([dump, 'Succeeded']);
    expect(run.taskRuns[0].steps.map((s) => s.substituted)).toEqual([
      expect.stringContaining('curl'),
      expect.stringContaining('buildah'),
    ]);
    // The API path with the token as a header (not in the URL), then the redirect GitHub answers.
    expect(requests.map((r) => r.url)).toEqual([
      `/repos/octo/llmbench/tarball/${sha}`,
      `/codeload/octo/llmbench/legacy.tar.gz/${sha}`,
    ]);
    expect(requests[0].auth).toBe(`Bearer ${TOKEN}`);
    expect(requests.every((r) => !r.url.includes(TOKEN))).toBe(true);
    // The build context is the repository's top level (the archive's one directory stripped); no token file left.
    const top = execFileSync('git', ['-C', REPO_ROOT, 'ls-tree', '--name-only', sha], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .sort();
    expect(readdirSync(path.join(work, 'src')).sort()).toEqual(top);
    expect(readdirSync(work).includes('.auth-header')).toBe(false);
  }, 120_000);

  it('bad input: a repo that is not OWNER/NAME fails the fetch step before any request', async () => {
    const before = requests.length;
    const pipeline = {
      apiVersion: 'tekton.dev/v1',
      kind: 'Pipeline',
      metadata: { name: 'bootstrap' },
      spec: {
        params: [{ name: 'repo' }],
        workspaces: [{ name: 'work' }],
        tasks: [
          {
            name: 'steps-image',
            taskRef: { name: task.obj.metadata.name },
            params: [
              { name: 'repo', value: '$(params.repo)' },
              { name: 'github-api', value: api },
            ],
            workspaces: [{ name: 'work', workspace: 'work' }],
          },
        ],
      },
    };
    const run = await new PipelineHarness({
      docs: [task, { file: 'p.yaml', index: 0, obj: pipeline }],
      pipeline: 'bootstrap',
      params: { repo: 'llmbench' },
      workspaces: { work: path.join(root, 'work-bad') },
      substitutions: { 'steps-image/fetch': { reason: 'curl image: its own script with this machine’s curl' } },
    }).run();
    expect(run.taskRuns[0]).toMatchObject({ status: 'Failed', reason: 'step fetch exited 2' });
    expect(run.taskRuns[0].steps[0].stderr).toContain("repo 'llmbench' is not OWNER/NAME");
    expect(requests.length).toBe(before);
  });
});
