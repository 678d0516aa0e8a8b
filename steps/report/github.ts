/**
 * The GitHub side of `llmbench report`, on @octokit/rest: one sticky PR comment found by a hidden marker and
 * updated in place, a commit status (or check run) mapped from the verdict, and plot images committed to an
 * assets branch through the Git Data API so the comment can link them. Retries with backoff on 5xx
 * (@octokit/plugin-retry) and on secondary rate limits (@octokit/plugin-throttling). Errors become
 * EnvironmentErrors with a stable code and a hint; nothing here ever prints the token.
 */
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck';
import { randomUUID } from 'node:crypto';
import { EnvironmentError, LlmbenchError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { redactString } from '../core/redact.js';
import { STICKY_MARKER } from './summary-md.js';
import type { Verdict } from '../core/types/verdict.js';

export interface GitHubTarget {
  owner: string;
  repo: string;
  pr: number;
  sha: string;
  /** REST base URL: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server. */
  apiUrl: string;
}

/** Knobs for tests; production uses the plugins' defaults (1 s write spacing, 1 s × n² retry backoff). */
export interface ClientTuning {
  retryBaseMs?: number;
  retries?: number;
  throttleBaseMs?: number;
  writeMinTimeMs?: number;
  /** Deadline of one HTTP request, body included (default GITHUB_DEADLINES.callMs). */
  callTimeoutMs?: number;
  /** Deadline of every GitHub call of one report together, retries and rate-limit waits included. */
  totalTimeoutMs?: number;
  /** The longest Retry-After we wait out (seconds); a longer one is exit 3 with the reset time in the hint. */
  maxRetryAfterS?: number;
}

/**
 * Every wait has a deadline: one HTTP request 30 s (octokit's `request.timeout` is ignored by its fetch
 * transport, so the deadline is an AbortSignal on each fetch), all of a report's calls 180 s, and a rate limit
 * is waited out only up to 60 s — GitHub's secondary limits ask for minutes to an hour, which a CI step must not
 * sleep through (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api).
 */
export const GITHUB_DEADLINES = { callMs: 30_000, totalMs: 180_000, maxRetryAfterS: 60 };

/** The report's GitHub calls passed their total deadline. */
export class GitHubDeadlineError extends EnvironmentError {
  constructor(totalMs: number) {
    super('github-deadline', `GitHub calls did not finish within the total deadline of ${totalMs / 1000} s`, {
      hint: 'GitHub (or the network to it) is too slow right now; the local report files are complete — re-run `llmbench report` later.',
    });
  }
}

/** Rejects with `signal.reason` when `signal` aborts first (the abandoned promise is left to settle). */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  p.catch(() => {}); // an abandoned call's later failure is not an unhandled rejection
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

const PluggedOctokit = Octokit.plugin(retry, throttling);
export type GitHubClient = InstanceType<typeof PluggedOctokit>;

export function createClient(
  target: GitHubTarget,
  token: string,
  log: Logger,
  tuning: ClientTuning = {},
  signal?: AbortSignal,
): GitHubClient {
  const callMs = tuning.callTimeoutMs ?? GITHUB_DEADLINES.callMs;
  const totalMs = tuning.totalTimeoutMs ?? GITHUB_DEADLINES.totalMs;
  const maxWait = tuning.maxRetryAfterS ?? GITHUB_DEADLINES.maxRetryAfterS;
  // The total deadline and the caller's signal (SIGINT/SIGTERM) end every request and every wait.
  const total = new AbortController();
  const timer = setTimeout(() => total.abort(new GitHubDeadlineError(totalMs)), totalMs);
  timer.unref();
  const stop = signal ? AbortSignal.any([signal, total.signal]) : total.signal;
  /** Logs a rate-limit hit; retries it (true) up to `retries` times when the wait is within maxWait. */
  const onLimit =
    (kind: string, retries: number) =>
    (retryAfter: number, options: { method: string; url: string }, _o: unknown, retryCount: number) => {
      const retry = retryCount < retries && retryAfter <= maxWait;
      log.warn(`GitHub ${kind} rate limit hit`, {
        request: `${options.method} ${options.url}`,
        retry_after_s: retryAfter,
        retry,
      });
      return retry;
    };
  const throttle: Record<string, unknown> = {
    // A fresh id per client keeps one run's limiter state from leaking into another in the same process.
    id: randomUUID(),
    onRateLimit: onLimit('primary', 1),
    onSecondaryRateLimit: onLimit('secondary', 3),
  };
  if (tuning.throttleBaseMs !== undefined) throttle.retryAfterBaseValue = tuning.throttleBaseMs;
  if (tuning.writeMinTimeMs !== undefined) {
    throttle.write = new Bottleneck.Group({ maxConcurrent: 1, minTime: tuning.writeMinTimeMs });
    throttle.notifications = new Bottleneck.Group({ maxConcurrent: 1, minTime: tuning.writeMinTimeMs });
  }
  const safe = (level: 'debug' | 'info' | 'warn' | 'error') => (msg: string, extra?: unknown) =>
    log[level](
      `octokit: ${redactString(String(msg))}`,
      extra && typeof extra === 'object' ? { detail: redactString(JSON.stringify(extra)).slice(0, 500) } : undefined,
    );
  // Per request: its own timeout, plus the total deadline and the caller's signal. Octokit turns a failed fetch
  // into "HTTP 500 Unknown Error" when the error comes from another realm, so timeouts are counted here.
  const state = { callTimeouts: 0, callMs };
  const fetchWithDeadline = async (url: string | URL | Request, init: RequestInit = {}) => {
    const timeout = AbortSignal.timeout(callMs);
    try {
      return await fetch(url, {
        ...init,
        signal: AbortSignal.any([timeout, stop, ...(init.signal ? [init.signal] : [])]),
      });
    } catch (e) {
      if (timeout.aborted) state.callTimeouts++;
      throw e;
    }
  };
  const gh = new PluggedOctokit({
    auth: token,
    baseUrl: target.apiUrl.replace(/\/+$/, ''),
    userAgent: 'llmbench-report',
    log: { debug: safe('debug'), info: safe('debug'), warn: safe('warn'), error: safe('error') },
    retry: {
      retries: tuning.retries ?? 3,
      ...(tuning.retryBaseMs !== undefined ? { retryAfterBaseValue: tuning.retryBaseMs } : {}),
    },
    throttle,
    request: { fetch: fetchWithDeadline },
  } as unknown as ConstructorParameters<typeof PluggedOctokit>[0]);
  // Outermost wrap (registered last): a call waiting out a retry backoff or a Retry-After ends at the deadline too.
  gh.hook.wrap('request', (request, options) => raceAbort(Promise.resolve(request(options)), stop));
  clientState.set(gh, state);
  return gh;
}

const clientState = new WeakMap<GitHubClient, { callTimeouts: number; callMs: number }>();

/**
 * githubError, knowing the client: a call that failed after its requests timed out is `github-timeout` (exit 3)
 * naming the per-call deadline, not a generic "unavailable".
 */
export function githubCallError(gh: GitHubClient, e: unknown, what: string): LlmbenchError {
  const err = githubError(e, what);
  const st = clientState.get(gh);
  if (err.code === 'github-unavailable' && st && st.callTimeouts > 0)
    return new EnvironmentError('github-timeout', `${what} failed: no answer within ${st.callMs / 1000} s`, {
      hint: 'GitHub did not answer within the per-request deadline (after retries); the local report files are complete — re-run `llmbench report` later.',
    });
  return err;
}

/** Turns an Octokit error into a typed error with a hint (exit 3). */
export function githubError(e: unknown, what: string): LlmbenchError {
  if (e instanceof LlmbenchError) return e;
  const err = e as {
    status?: number;
    message?: string;
    response?: { data?: { message?: string; documentation_url?: string }; headers?: Record<string, string> };
  };
  const status = err.status;
  const ghMessage = redactString(err.response?.data?.message ?? err.message ?? String(e));
  const base = `${what} failed${status ? ` (HTTP ${status})` : ''}: ${ghMessage}`;
  const reset = rateLimitReset(err.response?.headers);
  if ((status === 403 || status === 429) && reset)
    return new EnvironmentError('github-rate-limited', base, {
      hint: `GitHub asked to wait until ${reset} (longer than the ${GITHUB_DEADLINES.maxRetryAfterS} s this step waits out); re-run \`llmbench report\` after that time.`,
    });
  switch (status) {
    case 401:
      return new EnvironmentError('github-unauthorized', base, {
        hint: 'GITHUB_TOKEN is missing, expired or revoked (GitHub App installation tokens last one hour: mint a fresh one before reporting).',
      });
    case 403:
      if (err.response?.headers?.['x-ratelimit-remaining'] === '0') {
        return new EnvironmentError('github-rate-limited', base, {
          hint: 'The token ran out of API rate limit; wait for x-ratelimit-reset or use a GitHub App token.',
        });
      }
      return new EnvironmentError('github-forbidden', base, {
        hint: 'The token lacks permission: it needs pull-requests/issues write (comment), statuses or checks write (status), and contents write for the assets branch.',
      });
    case 404:
      return new EnvironmentError('github-not-found', base, {
        hint: 'Check --github-repo and --pr (and --github-api for GitHub Enterprise); GitHub also answers 404 when the token cannot see a private repository.',
      });
    case 422:
      return new EnvironmentError('github-rejected', base, {
        hint: 'GitHub rejected the request; for a status this usually means --sha is not a commit of the repository.',
      });
    default:
      return new EnvironmentError('github-unavailable', base, {
        hint: 'GitHub did not answer successfully after retries; the local report files are complete — re-run `llmbench report` later.',
      });
  }
}

/** When a rate limit ends (ISO time), from Retry-After or x-ratelimit-reset; null when the answer says neither. */
export function rateLimitReset(
  headers: Record<string, string | undefined> | undefined,
  now = Date.now(),
): string | null {
  const after = Number(headers?.['retry-after']);
  if (headers?.['retry-after'] !== undefined && Number.isFinite(after))
    return new Date(now + after * 1000).toISOString();
  if (headers?.['x-ratelimit-remaining'] === '0') {
    const at = Number(headers['x-ratelimit-reset']);
    if (Number.isFinite(at)) return new Date(at * 1000).toISOString();
  }
  return null;
}

export interface CommentResult {
  action: 'created' | 'updated';
  id: number;
  url: string;
}

/** Exactly one llmbench comment per PR: the first comment carrying the marker is updated; otherwise one is created. */
export async function upsertStickyComment(gh: GitHubClient, t: GitHubTarget, body: string): Promise<CommentResult> {
  if (!body.startsWith(STICKY_MARKER)) throw new Error('comment body must start with the sticky marker');
  const existing = await gh.paginate(gh.rest.issues.listComments, {
    owner: t.owner,
    repo: t.repo,
    issue_number: t.pr,
    per_page: 100,
  });
  // Our comments start with the marker; a reply quoting one ("> …") or mentioning it elsewhere is not ours.
  const mine = existing.filter((c) => (c.body ?? '').startsWith(STICKY_MARKER)).sort((a, b) => a.id - b.id);
  if (mine.length) {
    const r = await gh.rest.issues.updateComment({ owner: t.owner, repo: t.repo, comment_id: mine[0].id, body });
    return { action: 'updated', id: r.data.id, url: r.data.html_url };
  }
  const r = await gh.rest.issues.createComment({ owner: t.owner, repo: t.repo, issue_number: t.pr, body });
  return { action: 'created', id: r.data.id, url: r.data.html_url };
}

export type StatusKind = 'status' | 'check';

/**
 * Verdict → commit status. Statuses have no "neutral": inconclusive (and "no verdict") map to `error`, which a
 * required status check treats as not passing — an undecidable run must never look like a pass. Check runs do
 * have `neutral`, which is what inconclusive maps to there (note: branch protection counts neutral as passing).
 */
export function statusFor(verdict: Verdict | null): {
  state: 'success' | 'failure' | 'error';
  conclusion: 'success' | 'failure' | 'neutral';
  description: string;
} {
  if (!verdict) return { state: 'error', conclusion: 'neutral', description: 'No verdict: the analysis did not run' };
  const gatedRows = verdict.comparisons.filter((c) => c.gated !== false);
  const reg = gatedRows.filter((c) => c.verdict === 'regression').length;
  const gated = gatedRows.length;
  switch (verdict.verdict) {
    case 'pass':
      return {
        state: 'success',
        conclusion: 'success',
        description: `Pass: no regression in ${gated} gated comparisons`,
      };
    case 'regression':
      return {
        state: 'failure',
        conclusion: 'failure',
        description: `Regression: ${reg} of ${gated} gated comparisons regressed`,
      };
    case 'inconclusive':
      return {
        state: 'error',
        conclusion: 'neutral',
        description: 'Inconclusive: not enough valid data to decide (not a pass)',
      };
  }
}

export async function setCommitStatus(
  gh: GitHubClient,
  t: GitHubTarget,
  verdict: Verdict | null,
  o: { kind: StatusKind; context: string; targetUrl?: string | null; summary?: string },
): Promise<{ kind: StatusKind; id: number; state: string }> {
  const s = statusFor(verdict);
  if (o.kind === 'check') {
    const r = await gh.rest.checks.create({
      owner: t.owner,
      repo: t.repo,
      name: o.context,
      head_sha: t.sha,
      status: 'completed',
      conclusion: s.conclusion,
      ...(o.targetUrl ? { details_url: o.targetUrl } : {}),
      output: { title: s.description, summary: (o.summary ?? s.description).slice(0, 65_535) },
    });
    return { kind: 'check', id: r.data.id, state: s.conclusion };
  }
  const r = await gh.rest.repos.createCommitStatus({
    owner: t.owner,
    repo: t.repo,
    sha: t.sha,
    state: s.state,
    context: o.context,
    description: s.description.slice(0, 140),
    ...(o.targetUrl ? { target_url: o.targetUrl } : {}),
  });
  return { kind: 'status', id: r.data.id, state: s.state };
}

/** The web host that serves raw files for an API base URL (github.com for api.github.com; GHES strips /api/v3). */
export function webUrlFor(apiUrl: string): string {
  const u = new URL(apiUrl);
  if (u.hostname === 'api.github.com') return 'https://github.com';
  return `${u.origin}${u.pathname.replace(/\/api\/v3\/?$/, '').replace(/\/+$/, '')}`;
}

export interface AssetFile {
  /** Path inside the assets branch. */
  path: string;
  content: Uint8Array;
}

/**
 * Commits files to `branch` (created as an orphan branch when missing) with the Git Data API: blobs, one tree
 * on top of the previous one, one commit, then a fast-forward ref update. Links point at the commit SHA so a
 * later run never changes what an old comment shows. One retry when another run moved the branch meanwhile.
 */
export async function publishAssets(
  gh: GitHubClient,
  t: GitHubTarget,
  branch: string,
  files: AssetFile[],
  message: string,
): Promise<{ commit: string; urlFor: (path: string) => string }> {
  for (let attempt = 0; ; attempt++) {
    let parent: string | null = null;
    let baseTree: string | undefined;
    try {
      const ref = await gh.rest.git.getRef({ owner: t.owner, repo: t.repo, ref: `heads/${branch}` });
      parent = ref.data.object.sha;
      const c = await gh.rest.git.getCommit({ owner: t.owner, repo: t.repo, commit_sha: parent });
      baseTree = c.data.tree.sha;
    } catch (e) {
      if ((e as { status?: number }).status !== 404) throw e;
    }
    const tree: { path: string; mode: '100644'; type: 'blob'; sha: string }[] = [];
    for (const f of files) {
      const b = await gh.rest.git.createBlob({
        owner: t.owner,
        repo: t.repo,
        content: Buffer.from(f.content).toString('base64'),
        encoding: 'base64',
      });
      tree.push({ path: f.path, mode: '100644', type: 'blob', sha: b.data.sha });
    }
    const newTree = await gh.rest.git.createTree({
      owner: t.owner,
      repo: t.repo,
      tree,
      ...(baseTree ? { base_tree: baseTree } : {}),
    });
    const commit = await gh.rest.git.createCommit({
      owner: t.owner,
      repo: t.repo,
      message,
      tree: newTree.data.sha,
      parents: parent ? [parent] : [],
    });
    try {
      if (parent)
        await gh.rest.git.updateRef({
          owner: t.owner,
          repo: t.repo,
          ref: `heads/${branch}`,
          sha: commit.data.sha,
          force: false,
        });
      else
        await gh.rest.git.createRef({
          owner: t.owner,
          repo: t.repo,
          ref: `refs/heads/${branch}`,
          sha: commit.data.sha,
        });
    } catch (e) {
      if ((e as { status?: number }).status === 422 && attempt === 0) continue;
      throw e;
    }
    const web = webUrlFor(t.apiUrl);
    const sha = commit.data.sha;
    return {
      commit: sha,
      urlFor: (p) => `${web}/${t.owner}/${t.repo}/raw/${sha}/${p.split('/').map(encodeURIComponent).join('/')}`,
    };
  }
}
