/**
 * Every GitHub wait has a deadline (issue 16 item 3): a slow or silent GitHub ends in exit 3 within the per-call and
 * total deadlines, a long Retry-After is not slept through (exit 3 naming the reset time), a token that cannot write
 * contents still gets the verdict posted (without images), and the first SIGTERM stops `report` mid-call (130).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { runReport, type GitHubReportOptions } from '../../steps/report/report.js';
import { STICKY_MARKER } from '../../steps/report/summary-md.js';
import { createLogger, silentLogger } from '../../steps/core/log.js';
import { REPO_ROOT } from '../../steps/core/paths.js';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github/server.js';
import { PlottedWorkdirs, reportArgs } from './plotted-workdirs.js';

const TOKEN = 'ghp_PLANTEDtoken0123456789abcdefABCDEF0123';
const SHA = 'c0ffee0000000000000000000000000000000001';
const FAST = { retryBaseMs: 5, throttleBaseMs: 5, writeMinTimeMs: 0, retries: 1 };

const workdirs = new PlottedWorkdirs();
let gh: FakeGitHub;

beforeAll(() => workdirs.setUp('llmbench-gh-deadline-'));
afterAll(() => workdirs.tearDown());
beforeEach(async () => {
  gh = await startFakeGitHub({ token: TOKEN, repos: ['octo/bench'], prs: [7] });
});
afterEach(async () => {
  await gh.close();
});

const freshWorkdir = () => workdirs.fresh();

function ghOptions(over: Partial<GitHubReportOptions> = {}): GitHubReportOptions {
  return {
    target: { owner: 'octo', repo: 'bench', pr: 7, sha: SHA, apiUrl: gh.url },
    token: TOKEN,
    statusKind: 'status',
    context: 'llmbench',
    assets: { mode: 'none' },
    tuning: FAST,
    ...over,
  };
}

describe('GitHub deadlines', () => {
  it('a GitHub that answered slowly was awaited in full (40 s a call): now the per-call deadline ends it, exit 3', async () => {
    const wd = await freshWorkdir();
    gh.fail({ operationId: 'issues/list-comments', status: 200, body: [], delayMs: 20_000, times: 5 });
    const t0 = performance.now();
    const err = await runReport({
      workdir: wd,
      log: silentLogger,
      github: ghOptions({ tuning: { ...FAST, callTimeoutMs: 300 } }),
    }).catch((e: unknown) => e);
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(err).toMatchObject({ code: 'github-timeout', exitCode: 3 });
    expect(await fs.readFile(path.join(wd, 'report', 'comment.md'), 'utf8')).toContain(STICKY_MARKER);
  });

  it('a GitHub that never answered hung until SIGKILL: now the total deadline ends it, exit 3', async () => {
    const wd = await freshWorkdir();
    gh.fail({ operationId: 'issues/list-comments', status: 200, hang: true, times: 10 });
    gh.fail({ operationId: 'repos/create-commit-status', status: 200, hang: true, times: 10 });
    const t0 = performance.now();
    const err = await runReport({
      workdir: wd,
      log: silentLogger,
      github: ghOptions({ tuning: { ...FAST, callTimeoutMs: 60_000, totalTimeoutMs: 800 } }),
    }).catch((e: unknown) => e);
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(err).toMatchObject({ code: 'github-deadline', exitCode: 3 });
  });

  it('Retry-After: 3600 put report to sleep for an hour: now exit 3 at once, the reset time in the hint', async () => {
    const wd = await freshWorkdir();
    gh.fail({
      operationId: 'issues/list-comments',
      status: 403,
      body: {
        message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
        documentation_url: 'https://docs.github.com/rest',
      },
      headers: { 'retry-after': '3600' },
      times: 5,
    });
    const t0 = performance.now();
    const err = (await runReport({
      workdir: wd,
      log: silentLogger,
      github: ghOptions({ tuning: { ...FAST, throttleBaseMs: 1000 } }),
    }).catch((e: unknown) => e)) as { code: string; exitCode: number; hint: string };
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(err).toMatchObject({ code: 'github-rate-limited', exitCode: 3 });
    const at = Date.parse(/wait until (\S+) /.exec(err.hint)![1]);
    expect(Math.abs(at - (Date.now() + 3600_000))).toBeLessThan(60_000);
  });

  it('a token without contents permission failed the whole report: now the verdict is posted without images, with a warning', async () => {
    const wd = await freshWorkdir();
    // GitHub's answer to a token whose permissions lack contents: write (GitHub Apps / fine-grained tokens).
    const denied = {
      message: 'Resource not accessible by integration',
      documentation_url: 'https://docs.github.com/rest/git/blobs#create-a-blob',
      status: '403',
    };
    gh.fail({ operationId: 'git/create-blob', status: 403, body: denied, times: 20 });
    const lines: string[] = [];
    const r = await runReport({
      workdir: wd,
      log: createLogger({ write: (l) => lines.push(l), json: true }),
      github: ghOptions({ assets: { mode: 'branch', branch: 'llmbench-assets' } }),
    });
    expect(r.comment?.action).toBe('created');
    expect(r.status?.state).toBeDefined();
    expect(r.assets?.error).toContain('HTTP 403');
    expect(r.commentMd).not.toContain('![');
    expect(lines.join('\n')).toContain('posting the comment without images');
    expect(lines.join('\n')).toContain('contents: write');
  });

  it('the first SIGTERM was ignored while a GitHub call hung: now report stops within 5 s, exit 130, "interrupted"', async () => {
    const wd = await freshWorkdir();
    gh.fail({ operationId: 'issues/list-comments', status: 200, hang: true, times: 10 });
    const child = spawn(
      process.execPath,
      [path.join(REPO_ROOT, 'steps/bin/llmbench.js'), ...reportArgs(wd, { api: gh.url, sha: SHA }, '--no-assets')],
      { env: { PATH: process.env.PATH, GITHUB_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const exit = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    // Wait until the request hangs at the fake, then signal.
    for (let i = 0; i < 300 && !gh.requests.some((q) => q.operationId === 'issues/list-comments'); i++)
      await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    child.kill('SIGTERM');
    const code = await exit;
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(code).toBe(130);
    expect(err).toContain('interrupted');
    expect(await fs.readFile(path.join(wd, 'report', 'comment.md'), 'utf8')).toContain(STICKY_MARKER);
  }, 60_000);
});
