import path from 'node:path';
import type { CommandSpec } from '../core/command.js';
import { ExitCode } from '../core/exit-codes.js';
import { InvalidInputError, type Problem } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';
import { runReport, type AssetsConfig, type GitHubReportOptions } from './report.js';

const REPO_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

/** Validates every GitHub flag at once (exit 2 lists them all); returns null for local-only mode. */
export function parseGitHubOptions(opts: Record<string, unknown>, env: NodeJS.ProcessEnv): GitHubReportOptions | null {
  const problems: Problem[] = [];
  const repo = opts.githubRepo as string | undefined;
  const pr = opts.pr as string | undefined;
  const sha = opts.sha as string | undefined;
  const any = repo !== undefined || pr !== undefined || sha !== undefined;
  if (!any) return null;
  if (repo === undefined) problems.push({ path: '/github-repo', message: 'is required with --pr/--sha (OWNER/NAME)' });
  else if (!REPO_RE.test(repo))
    problems.push({ path: '/github-repo', message: `must be OWNER/NAME, got ${JSON.stringify(repo)}` });
  if (pr === undefined) problems.push({ path: '/pr', message: 'is required with --github-repo' });
  else if (!/^[1-9][0-9]{0,9}$/.test(pr))
    problems.push({ path: '/pr', message: `must be a positive pull request number, got ${JSON.stringify(pr)}` });
  if (sha === undefined)
    problems.push({ path: '/sha', message: 'is required with --github-repo (the PR head commit)' });
  else if (!/^[0-9a-f]{40}$/i.test(sha))
    problems.push({ path: '/sha', message: 'must be a full 40-character commit SHA' });
  const api = (opts.githubApi as string | undefined) ?? 'https://api.github.com';
  if (!isHttpUrl(api))
    problems.push({ path: '/github-api', message: `must be an http(s) URL, got ${JSON.stringify(api)}` });
  const token = env.GITHUB_TOKEN;
  if (!token)
    problems.push({
      path: '/env/GITHUB_TOKEN',
      message: 'is not set: the token is read from the GITHUB_TOKEN environment variable only',
    });
  const kind = String(opts.statusKind ?? 'status');
  if (kind !== 'status' && kind !== 'check')
    problems.push({ path: '/status-kind', message: 'must be "status" or "check"' });
  let assets: AssetsConfig = { mode: 'branch', branch: String(opts.assetsBranch ?? 'llmbench-assets') };
  if (opts.assets === false) assets = { mode: 'none' };
  else if (opts.assetsUrlPrefix !== undefined) {
    if (!isHttpUrl(String(opts.assetsUrlPrefix)))
      problems.push({ path: '/assets-url-prefix', message: 'must be an http(s) URL' });
    assets = { mode: 'prefix', prefix: String(opts.assetsUrlPrefix) };
  } else if (
    !/^[A-Za-z0-9._/-]+$/.test(assets.branch) ||
    assets.branch.includes('..') ||
    assets.branch.startsWith('/')
  ) {
    problems.push({ path: '/assets-branch', message: 'is not a valid branch name' });
  }
  if (problems.length) {
    throw new InvalidInputError(
      'report-bad-args',
      `llmbench report: ${problems.length} problem(s) with the GitHub options`,
      {
        problems,
        hint: 'Give --github-repo OWNER/NAME --pr N --sha SHA together, with GITHUB_TOKEN in the environment; or none of them for local files only.',
      },
    );
  }
  registerSecret(token);
  const [owner, name] = repo!.split('/');
  return {
    target: { owner, repo: name, pr: Number(pr), sha: sha!.toLowerCase(), apiUrl: api.replace(/\/+$/, '') },
    token: token!,
    statusKind: kind as 'status' | 'check',
    context: String(opts.statusContext ?? 'llmbench'),
    assets,
  };
}

export const command: CommandSpec = {
  name: 'report',
  summary: 'Write SUMMARY.md and post the sticky PR comment and commit status',
  configure: (c) =>
    c
      .requiredOption('--workdir <dir>', 'work directory (analysis/, runs/, plots/ from earlier steps)')
      .option('--github-repo <owner/name>', 'repository of the pull request')
      .option('--pr <n>', 'pull request number')
      .option('--sha <sha>', 'head commit of the pull request (status/check target)')
      .option(
        '--github-api <url>',
        'REST API base URL (GitHub Enterprise: https://HOST/api/v3)',
        'https://api.github.com',
      )
      .option('--title <text>', 'report title', 'llmbench')
      .option('--pipeline-run-url <url>', 'link to the PipelineRun (default: $LLMBENCH_PIPELINERUN_URL)')
      .option(
        '--status-kind <kind>',
        'status (commit status; works with any token) or check (check run; needs a GitHub App token)',
        'status',
      )
      .option('--status-context <name>', 'commit status context / check run name', 'llmbench')
      .option(
        '--assets-branch <branch>',
        'branch the plot PNGs are committed to, so the comment can show them',
        'llmbench-assets',
      )
      .option(
        '--assets-url-prefix <url>',
        'instead of a branch: where plots/ and report.html are published (links only, nothing pushed)',
      )
      .option('--no-assets', 'post the comment without plot images'),
  helpAfter:
    'The token comes from GITHUB_TOKEN only. Without --github-repo/--pr/--sha, only SUMMARY.md is written.\nEvery GitHub wait has a deadline: 30 s per request (body included), 180 s for all calls; a Retry-After longer than 60 s is not slept through (exit 3, the reset time in the hint). Plot images on the assets branch are best effort: without contents permission the comment is posted without them, with a warning.\nExit codes: 0 posted (whatever the verdict; analyze gates), 2 bad arguments, 3 GitHub failure (401/403/404/5xx after retries, deadline, rate limit), 130 interrupted — local files are always written first.',
  async run(opts, ctx) {
    const github = parseGitHubOptions(opts, ctx.env);
    const res = await runReport({
      workdir: path.resolve(ctx.cwd, String(opts.workdir)),
      log: ctx.log,
      title: String(opts.title ?? 'llmbench'),
      pipelineRunUrl: (opts.pipelineRunUrl as string | undefined) ?? ctx.env.LLMBENCH_PIPELINERUN_URL ?? null,
      github: github ?? undefined,
      signal: ctx.signal,
    });
    if (res.comment) ctx.stdout(`${res.comment.url}\n`);
    return ExitCode.OK;
  },
};
