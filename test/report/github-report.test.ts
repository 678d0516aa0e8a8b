import { describe, expect, it, beforeAll, afterAll, beforeEach, afterEach } from '@jest/globals';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { main } from '../../steps/cli.js';
import { runReport, type GitHubReportOptions } from '../../steps/report/report.js';
import { STICKY_MARKER } from '../../steps/report/summary-md.js';
import { statusFor, webUrlFor } from '../../steps/report/github.js';
import { silentLogger, createLogger } from '../../steps/core/log.js';
import { LlmbenchError } from '../../steps/core/errors.js';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github/server.js';
import { PlottedWorkdirs, reportArgs } from './plotted-workdirs.js';

// A planted token: it must reach the fake's Authorization header and nowhere else.
const TOKEN = 'ghp_PLANTEDtoken0123456789abcdefABCDEF0123';
const SHA = 'c0ffee0000000000000000000000000000000001';
const FAST = { retryBaseMs: 5, throttleBaseMs: 5, writeMinTimeMs: 0 };

const workdirs = new PlottedWorkdirs();
let gh: FakeGitHub;

beforeAll(() => workdirs.setUp('llmbench-gh-'));
afterAll(() => workdirs.tearDown());
beforeEach(async () => {
  gh = await startFakeGitHub({ token: TOKEN, repos: ['octo/bench'], prs: [7] });
});
afterEach(async () => {
  expect(gh.violations).toEqual([]);
  await gh.close();
});

const freshWorkdir = () => workdirs.fresh();

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

async function cli(argv: string[], env: NodeJS.ProcessEnv = { GITHUB_TOKEN: TOKEN }) {
  let stdout = '';
  let stderr = '';
  const code = await main({
    argv,
    env: { PATH: process.env.PATH, ...env },
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
  });
  return { code, stdout, stderr };
}

function ghOptions(over: Partial<GitHubReportOptions> = {}): GitHubReportOptions {
  return {
    target: { owner: 'octo', repo: 'bench', pr: 7, sha: SHA, apiUrl: gh.url },
    token: TOKEN,
    statusKind: 'status',
    context: 'llmbench',
    assets: { mode: 'branch', branch: 'llmbench-assets' },
    tuning: FAST,
    ...over,
  };
}

describe('llmbench report against a fake GitHub that validates against the real OpenAPI description', () => {
  it('the fake was built from @octokit/openapi and rejects what GitHub would reject', async () => {
    expect(gh.extractedFrom).toMatchObject({ package: '@octokit/openapi', version: '23.0.2' });
    const res = await fetch(`${gh.url}/repos/octo/bench/statuses/${SHA}`, {
      method: 'POST',
      headers: { authorization: `token ${TOKEN}` },
      body: JSON.stringify({ state: 'neutral' }),
    });
    expect(res.status).toBe(422);
    expect(res.headers.get('x-ratelimit-limit')).toBe('5000');
    expect(gh.violations.map((v) => v.kind)).toEqual(['request']);
    gh.violations.length = 0; // expected violation; the afterEach check is for the client's requests
  });

  it('CLI: first run creates one sticky comment and one status; the second run updates the same comment; the token appears nowhere', async () => {
    const wd = await freshWorkdir();
    const args = reportArgs(
      wd,
      { api: gh.url, sha: SHA },
      '--assets-url-prefix',
      'https://artifacts.example.test/run-1',
      '--pipeline-run-url',
      'https://console.example.test/pr/7',
    );
    const r1 = await cli(args);
    expect(r1.code).toBe(0);
    const repo = gh.repos.get('octo/bench')!;
    expect(repo.comments).toHaveLength(1);
    expect(repo.statuses).toHaveLength(1);
    const first = repo.comments[0];
    expect(first.body.startsWith(STICKY_MARKER)).toBe(true);
    expect(first.body).toContain('❌ Regression');
    expect(first.body).toContain(
      '![Output throughput vs concurrency](https://artifacts.example.test/run-1/plots/throughput.png)',
    );
    expect(first.body).toContain('[PipelineRun](https://console.example.test/pr/7)');
    expect(repo.statuses[0]).toMatchObject({
      state: 'failure',
      context: 'llmbench',
      sha: SHA,
      target_url: 'https://console.example.test/pr/7',
    });
    expect(r1.stdout).toContain(`#issuecomment-${first.id}`);

    // Someone else's comment in between must not be touched.
    repo.comments.push({
      id: 5,
      issue: 7,
      body: 'LGTM',
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
    });
    // A reply quoting our comment carries the marker too, but is not ours.
    repo.comments.push({
      id: 6,
      issue: 7,
      body: `> ${STICKY_MARKER}\n> ❌ Regression\n\nwhy?`,
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
    });
    const r2 = await cli(args);
    expect(r2.code).toBe(0);
    const mine = repo.comments.filter((c) => c.body.startsWith(STICKY_MARKER));
    expect(mine).toHaveLength(1);
    expect(mine[0].id).toBe(first.id);
    expect(repo.comments.find((c) => c.id === 5)!.body).toBe('LGTM');
    expect(repo.comments.find((c) => c.id === 6)!.body.endsWith('why?')).toBe(true);
    expect(repo.statuses).toHaveLength(2);
    const ops = gh.requests.map((q) => q.operationId);
    expect(ops.filter((o) => o === 'issues/create-comment')).toHaveLength(1);
    expect(ops.filter((o) => o === 'issues/update-comment')).toHaveLength(1);
    expect(ops.filter((o) => o === 'repos/create-commit-status')).toHaveLength(2);

    // The token was used …
    expect(gh.requests.every((q) => q.headers.authorization === `token ${TOKEN}`)).toBe(true);
    // … and appears in no output and no file.
    for (const out of [r1.stdout, r1.stderr, r2.stdout, r2.stderr]) expect(out).not.toContain(TOKEN);
    for (const f of await filesUnder(wd))
      expect({ f, has: (await fs.readFile(f)).includes(TOKEN) }).toEqual({ f, has: false });
    const local = await fs.readFile(path.join(wd, 'report', 'comment.md'), 'utf8');
    expect(local).toBe(mine[0].body);
    expect(JSON.parse(await fs.readFile(path.join(wd, 'report', 'github.json'), 'utf8'))).toMatchObject({
      ok: true,
      comment: { action: 'updated', id: first.id },
    });
  });

  it('GitHub Enterprise: --github-api https://HOST/api/v3 is the octokit base URL', async () => {
    const wd = await freshWorkdir();
    const r = await cli(reportArgs(wd, { api: `${gh.url}/api/v3`, sha: SHA }, '--no-assets'));
    expect(r.code).toBe(0);
    expect(gh.requests.length).toBeGreaterThan(0);
    expect(webUrlFor('https://ghe.example.test/api/v3')).toBe('https://ghe.example.test');
    expect(webUrlFor('https://api.github.com')).toBe('https://github.com');
  });

  it('plots are committed to the assets branch (created, then fast-forwarded) and linked by commit SHA', async () => {
    const wd = await freshWorkdir();
    const r1 = await runReport({ workdir: wd, log: silentLogger, github: ghOptions() });
    const repo = gh.repos.get('octo/bench')!;
    const ref1 = repo.refs.get('refs/heads/llmbench-assets')!;
    expect(ref1).toBe(r1.assets!.commit);
    expect(r1.commentMd).toContain(`${gh.url}/octo/bench/raw/${ref1}/pr-7/c0ffee000000/throughput.png`);
    const tree1 = repo.trees.get(repo.commits.get(ref1)!.tree.url.split('/').pop()!)!;
    expect(tree1.map((e) => e.path)).toContain('pr-7/c0ffee000000/throughput.png');
    const blob = repo.blobs.get(tree1.find((e) => e.path.endsWith('throughput.png'))!.sha)!;
    expect(Buffer.from(blob.content, 'base64').subarray(1, 4).toString()).toBe('PNG');

    const r2 = await runReport({
      workdir: wd,
      log: silentLogger,
      github: ghOptions({
        target: {
          owner: 'octo',
          repo: 'bench',
          pr: 7,
          sha: 'c0ffee0000000000000000000000000000000002',
          apiUrl: gh.url,
        },
      }),
    });
    const ref2 = repo.refs.get('refs/heads/llmbench-assets')!;
    expect(ref2).toBe(r2.assets!.commit);
    expect(repo.commits.get(ref2)!.parents.map((p: { sha: string }) => p.sha)).toEqual([ref1]);
    // The second tree keeps the first run's files.
    const tree2 = repo.trees.get(repo.commits.get(ref2)!.tree.url.split('/').pop()!)!;
    expect(tree2.map((e) => e.path)).toEqual(
      expect.arrayContaining(['pr-7/c0ffee000000/throughput.png', 'pr-7/c0ffee000000/heatmap.png']),
    );
    expect(repo.comments).toHaveLength(1);
  });

  it('retries 5xx with backoff and secondary rate limits after retry-after, then succeeds', async () => {
    const wd = await freshWorkdir();
    gh.fail({ operationId: 'issues/create-comment', status: 502, times: 2 });
    gh.fail({
      operationId: 'repos/create-commit-status',
      status: 403,
      body: {
        message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
        documentation_url: 'https://docs.github.com/rest',
      },
      headers: { 'retry-after': '1' },
    });
    const r = await runReport({ workdir: wd, log: silentLogger, github: ghOptions({ assets: { mode: 'none' } }) });
    expect(r.comment?.action).toBe('created');
    expect(r.status?.state).toBe('failure');
    const statuses = gh.requests.filter((q) => q.operationId === 'issues/create-comment').map((q) => q.status);
    expect(statuses).toEqual([502, 502, 201]);
    expect(gh.requests.filter((q) => q.operationId === 'repos/create-commit-status').map((q) => q.status)).toEqual([
      403, 201,
    ]);
    expect(gh.repos.get('octo/bench')!.comments).toHaveLength(1);
  });

  it('401: clear error, exit 3, local SUMMARY.md and comment body kept, token nowhere', async () => {
    const wd = await freshWorkdir();
    const r = await cli(reportArgs(wd, { api: gh.url, sha: SHA }, '--no-assets'), {
      GITHUB_TOKEN: 'ghp_WRONGtoken0123456789abcdefABCDEF012345',
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('github-unauthorized');
    expect(r.stderr).toContain('Bad credentials');
    expect(r.stderr).not.toContain('ghp_WRONG');
    expect(await fs.readFile(path.join(wd, 'SUMMARY.md'), 'utf8')).toContain('❌ Regression');
    expect(await fs.readFile(path.join(wd, 'report', 'comment.md'), 'utf8')).toContain(STICKY_MARKER);
    // Unauthorized: no point trying the status too.
    expect(gh.requests.map((q) => q.operationId)).toEqual(['issues/list-comments']);
  });

  it('404 (unknown repository) and 403 (missing permission) map to stable codes with exit 3', async () => {
    const wd = await freshWorkdir();
    const r = await cli(reportArgs(wd, { api: gh.url, sha: SHA, repo: 'octo/nope' }, '--no-assets'));
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('github-not-found');

    gh.fail({
      operationId: 'repos/create-commit-status',
      status: 403,
      body: { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest' },
    });
    const err = await runReport({
      workdir: wd,
      log: silentLogger,
      github: ghOptions({ assets: { mode: 'none' } }),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmbenchError);
    expect((err as LlmbenchError).code).toBe('github-forbidden');
    expect((err as LlmbenchError).exitCode).toBe(3);
    // The comment still went out; the failure is recorded next to the local report.
    expect(gh.repos.get('octo/bench')!.comments).toHaveLength(1);
    expect(JSON.parse(await fs.readFile(path.join(wd, 'report', 'github.json'), 'utf8'))).toMatchObject({
      ok: false,
      errors: [{ code: 'github-forbidden' }],
    });
  });

  it('GitHub unreachable: retried, then github-unavailable (exit 3) with the local report intact', async () => {
    const wd = await freshWorkdir();
    const dead = await startFakeGitHub({ token: TOKEN });
    const deadUrl = dead.url;
    await dead.close();
    const err = await runReport({
      workdir: wd,
      log: silentLogger,
      github: ghOptions({
        target: { owner: 'octo', repo: 'bench', pr: 7, sha: SHA, apiUrl: deadUrl },
        assets: { mode: 'none' },
      }),
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'github-unavailable', exitCode: 3 });
    expect(await fs.readFile(path.join(wd, 'report', 'comment.md'), 'utf8')).toContain(STICKY_MARKER);
    expect(await fs.readFile(path.join(wd, 'SUMMARY.md'), 'utf8')).toContain('❌ Regression');
  });

  it('a failed assets push still posts the verdict, without images', async () => {
    const wd = await freshWorkdir();
    gh.fail({
      operationId: 'git/create-tree',
      status: 422,
      body: { message: 'Validation Failed', documentation_url: 'https://docs.github.com/rest' },
    });
    const lines: string[] = [];
    const r = await runReport({
      workdir: wd,
      log: createLogger({ write: (l) => lines.push(l), json: true }),
      github: ghOptions(),
    });
    expect(r.assets?.error).toContain('HTTP 422');
    expect(r.comment?.action).toBe('created');
    expect(r.commentMd).not.toContain('![');
    expect(lines.join('\n')).toContain('posting the comment without images');
  });

  it('bad arguments: exit 2 listing every problem, before any file or request', async () => {
    const wd = await freshWorkdir();
    await fs.rm(path.join(wd, 'SUMMARY.md'), { force: true });
    const r = await cli(reportArgs(wd, { api: 'ftp://x', sha: '123', repo: 'not a repo', pr: 'abc' }), {});
    expect(r.code).toBe(2);
    for (const p of ['/github-repo', '/pr', '/sha', '/github-api', '/env/GITHUB_TOKEN']) expect(r.stderr).toContain(p);
    await expect(fs.access(path.join(wd, 'SUMMARY.md'))).rejects.toThrow();
    expect(gh.requests).toHaveLength(0);
  });

  it('check runs: inconclusive maps to neutral (statuses have no neutral: there it is error)', async () => {
    gh.setTokenKind('pac-app'); // check runs are written by GitHub Apps only
    const wd = await freshWorkdir();
    const v = JSON.parse(await fs.readFile(path.join(wd, 'analysis', 'verdict.json'), 'utf8'));
    v.verdict = 'inconclusive';
    await fs.writeFile(path.join(wd, 'analysis', 'verdict.json'), JSON.stringify(v));
    const r = await runReport({
      workdir: wd,
      log: silentLogger,
      github: ghOptions({ statusKind: 'check', assets: { mode: 'none' } }),
    });
    expect(r.status).toMatchObject({ kind: 'check', state: 'neutral' });
    expect(gh.repos.get('octo/bench')!.checkRuns[0]).toMatchObject({
      conclusion: 'neutral',
      head_sha: SHA,
      name: 'llmbench',
    });
    expect(statusFor(v).state).toBe('error');
    expect(statusFor(null).state).toBe('error');
  });

  it('regression: with the Pipelines-as-Code App token a commit status is refused 403 (no statuses permission); a check run passes', async () => {
    gh.setTokenKind('pac-app');
    const wd = await freshWorkdir();
    await expect(
      runReport({
        workdir: wd,
        log: silentLogger,
        github: ghOptions({ statusKind: 'status', assets: { mode: 'none' } }),
      }),
    ).rejects.toMatchObject({ exitCode: 3 });
    const denied = gh.requests.find((q) => q.operationId === 'repos/create-commit-status')!;
    expect(denied.status).toBe(403);
    const ok = await runReport({
      workdir: wd,
      log: silentLogger,
      github: ghOptions({ statusKind: 'check', assets: { mode: 'none' } }),
    });
    expect(ok.status).toMatchObject({ kind: 'check' });
  });

  it('a classic token cannot create check runs (GitHub Apps only): 403', async () => {
    const wd = await freshWorkdir();
    await expect(
      runReport({
        workdir: wd,
        log: silentLogger,
        github: ghOptions({ statusKind: 'check', assets: { mode: 'none' } }),
      }),
    ).rejects.toMatchObject({ exitCode: 3 });
    expect(gh.requests.find((q) => q.operationId === 'checks/create')!.status).toBe(403);
  });

  it('without GitHub flags it only writes SUMMARY.md (exit 0, no requests)', async () => {
    const wd = await freshWorkdir();
    const r = await cli(['report', '--workdir', wd], {});
    expect(r.code).toBe(0);
    const md = await fs.readFile(path.join(wd, 'SUMMARY.md'), 'utf8');
    expect(md).toContain('[Output throughput vs concurrency](plots/throughput.png)');
    expect(md).not.toContain(STICKY_MARKER);
    expect(gh.requests).toHaveLength(0);
  });
});
