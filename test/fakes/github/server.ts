/**
 * A fake GitHub REST API on 127.0.0.1 (port 0) for `llmbench report` tests. It routes by the real paths of
 * GitHub's OpenAPI description (test/fixtures/github/openapi-subset.json, extracted from @octokit/openapi),
 * validates every request (path and query parameters, JSON body) and every response it sends against that
 * description, keeps state (comments, statuses, check runs, git objects and refs), and answers like GitHub:
 * numeric ids, 401/404/422 bodies with documentation_url, x-ratelimit-* headers. Failures can be scripted.
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const here = path.dirname(fileURLToPath(import.meta.url));
export const OPENAPI_SUBSET = path.resolve(here, '..', '..', 'fixtures', 'github', 'openapi-subset.json');

type Json = Record<string, any>;

interface Route {
  method: string;
  template: string;
  operationId: string;
  regex: RegExp;
  params: string[];
  op: Json;
}

export interface RecordedRequest {
  operationId: string | null;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  status: number;
}

export interface Violation {
  kind: 'request' | 'response' | 'route';
  operationId: string | null;
  method: string;
  path: string;
  errors: unknown;
}

export interface ScriptedFailure {
  operationId: string;
  status: number;
  /** How many requests to fail (default 1). */
  times?: number;
  body?: Json;
  headers?: Record<string, string>;
  /** Answer only after this many ms (a slow GitHub); with `hang`, never answer (the socket stays open). */
  delayMs?: number;
  hang?: boolean;
}

export interface FakeGitHubOptions {
  /** Accepted token (Authorization: token X or Bearer X). */
  token: string;
  /** Repositories that exist, "owner/name". */
  repos?: string[];
  /** Issue/PR numbers that exist per repo (default: any). */
  prs?: number[];
  /** Commit SHAs statuses may be set on (default: any 40-hex). */
  shas?: string[];
  /**
   * What the token may do. `classic` (default): a personal access token with the repo scope — everything
   * here except creating check runs, which only GitHub Apps may do. `pac-app`: the installation token of the
   * Pipelines-as-Code GitHub App, limited to the permissions PaC documents for it (PAC_APP_PERMISSIONS).
   */
  tokenKind?: 'classic' | 'pac-app';
}

/**
 * The Pipelines-as-Code GitHub App's permissions (pipelines-as-code docs/content/docs/install/github_apps.md,
 * the `default_permissions` of the app manifest `tkn pac bootstrap` creates). No `statuses`: a commit status
 * posted with its token is refused.
 */
export const PAC_APP_PERMISSIONS: Record<string, 'read' | 'write'> = {
  checks: 'write',
  contents: 'write',
  issues: 'write',
  members: 'read',
  metadata: 'read',
  organization_plan: 'read',
  pull_requests: 'write',
};

/**
 * Fine-grained permission each operation needs (GitHub REST docs, "Fine-grained access tokens" / "Permissions
 * required for GitHub Apps" per endpoint); any one of the listed alternatives suffices.
 */
const NEEDS: Record<string, [string, 'read' | 'write'][]> = {
  'issues/list-comments': [
    ['issues', 'read'],
    ['pull_requests', 'read'],
  ],
  'issues/create-comment': [
    ['issues', 'write'],
    ['pull_requests', 'write'],
  ],
  'issues/update-comment': [
    ['issues', 'write'],
    ['pull_requests', 'write'],
  ],
  'repos/create-commit-status': [['statuses', 'write']],
  'checks/create': [['checks', 'write']],
  'checks/update': [['checks', 'write']],
  'git/create-blob': [['contents', 'write']],
  'git/create-tree': [['contents', 'write']],
  'git/create-commit': [['contents', 'write']],
  'git/get-commit': [['contents', 'read']],
  'git/get-ref': [['contents', 'read']],
  'git/create-ref': [['contents', 'write']],
  'git/update-ref': [['contents', 'write']],
};

/** null when the token may call the operation, else GitHub's 403 body and the header naming what it needs. */
export function forbidden(
  kind: 'classic' | 'pac-app',
  operationId: string,
): { body: Record<string, string>; accepted: string } | null {
  const needs = NEEDS[operationId] ?? [];
  const accepted = needs.map(([k, v]) => `${k}=${v}`).join(', ');
  if (kind === 'classic') {
    // Check runs are written by GitHub Apps only (REST docs, "Check runs": OAuth apps and authenticated users
    // can view but not create them).
    if (operationId.startsWith('checks/'))
      return { body: { message: 'You must authenticate via a GitHub App.', status: '403' }, accepted };
    return null;
  }
  const ok =
    needs.length === 0 || needs.some(([k, v]) => PAC_APP_PERMISSIONS[k] === v || PAC_APP_PERMISSIONS[k] === 'write');
  // An installation token lacking the permission: "Resource not accessible by integration" (REST docs,
  // "Troubleshooting": the X-Accepted-GitHub-Permissions header lists what the endpoint accepts).
  return ok ? null : { body: { message: 'Resource not accessible by integration', status: '403' }, accepted };
}

const DOCS = 'https://docs.github.com/rest';

class RepoState {
  comments: Json[] = [];
  statuses: Json[] = [];
  checkRuns: Json[] = [];
  blobs = new Map<string, { content: string; encoding: string }>();
  trees = new Map<string, Json[]>();
  commits = new Map<string, Json>();
  refs = new Map<string, string>();
}

export class FakeGitHub {
  readonly requests: RecordedRequest[] = [];
  readonly violations: Violation[] = [];
  readonly repos = new Map<string, RepoState>();
  private readonly routes: Route[] = [];
  private readonly ajv: Ajv;
  private readonly doc: Json;
  private readonly validators = new Map<string, ValidateFunction>();
  private failures: ScriptedFailure[] = [];
  private server?: http.Server;
  private nextId = 1000;
  private remaining = 5000;
  url = '';

  constructor(readonly opts: FakeGitHubOptions) {
    this.doc = JSON.parse(readFileSync(OPENAPI_SUBSET, 'utf8'));
    // OpenAPI 3.0 schemas: `nullable` is understood by ajv; x-* and other annotations are not errors.
    this.ajv = new Ajv({ strict: false, allErrors: true, allowUnionTypes: true, discriminator: false });
    (addFormatsModule as unknown as { default: (a: Ajv) => void }).default(this.ajv);
    this.ajv.addSchema({ $id: 'gh', components: this.doc.components }, 'gh');
    for (const [template, ops] of Object.entries(this.doc.paths as Record<string, Json>)) {
      for (const [method, op] of Object.entries(ops)) {
        const params: string[] = [];
        const re = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{(\w+)\\?\}/g, (_m, name: string) => {
          params.push(name);
          // A git ref ("heads/x") may arrive with its slash unencoded.
          return name === 'ref' ? '(.+)' : '([^/]+)';
        });
        this.routes.push({
          method: method.toUpperCase(),
          template,
          operationId: op.operationId,
          regex: new RegExp(`^${re}$`),
          params,
          op,
        });
      }
    }
    for (const r of opts.repos ?? ['octo/bench']) this.repos.set(r, new RepoState());
  }

  get extractedFrom(): Json {
    return this.doc['x-extracted-from'];
  }

  fail(f: ScriptedFailure): void {
    this.failures.push({ times: 1, ...f });
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        try {
          this.handle(req, res, raw);
        } catch (e) {
          this.send(res, null, 500, { message: `fake error: ${(e as Error).message}` });
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
    // Clients keep connections alive; drop them so the process can exit.
    this.server.closeAllConnections();
    await closed;
  }

  private schema(ref: Json): ValidateFunction {
    const key = JSON.stringify(ref);
    let v = this.validators.get(key);
    if (!v) {
      const rewritten = JSON.parse(JSON.stringify(ref).replace(/"#\/components\//g, '"gh#/components/'));
      v = this.ajv.compile(rewritten);
      this.validators.set(key, v);
    }
    return v;
  }

  private resolve(obj: Json): Json {
    if (obj && typeof obj.$ref === 'string') {
      const [, , kind, name] = obj.$ref.split('/');
      return this.doc.components[kind][name];
    }
    return obj;
  }

  /** Switch the kind of token the fake accepts (the same token string keeps working). */
  setTokenKind(kind: 'classic' | 'pac-app'): void {
    this.opts.tokenKind = kind;
  }

  private send(
    res: http.ServerResponse,
    route: Route | null,
    status: number,
    body: unknown,
    extraHeaders: Record<string, string> = {},
    reqPath = '',
  ): void {
    this.remaining = Math.max(0, this.remaining - 1);
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'x-github-api-version-selected': '2022-11-28',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': String(this.remaining),
      'x-ratelimit-used': String(5000 - this.remaining),
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      'x-ratelimit-resource': 'core',
      'x-github-request-id': createHash('sha1').update(String(this.nextId++)).digest('hex').slice(0, 16).toUpperCase(),
      ...extraHeaders,
    };
    // Check our own answers against the description, so the client is tested against GitHub-shaped data.
    if (route && status < 300) {
      const resp = this.resolve(route.op.responses?.[String(status)] ?? {});
      const schema = resp?.content?.['application/json']?.schema;
      if (schema) {
        const v = this.schema(schema);
        if (!v(body))
          this.violations.push({
            kind: 'response',
            operationId: route.operationId,
            method: route.method,
            path: reqPath,
            errors: v.errors,
          });
      } else if (status !== 204) {
        this.violations.push({
          kind: 'response',
          operationId: route.operationId,
          method: route.method,
          path: reqPath,
          errors: `status ${status} is not documented`,
        });
      }
    }
    res.writeHead(status, headers);
    res.end(status === 204 ? undefined : JSON.stringify(body));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    // GitHub Enterprise serves the REST API under /api/v3; accept both.
    const p = url.pathname.replace(/^\/api\/v3(?=\/)/, '');
    const query = Object.fromEntries(url.searchParams.entries());
    let body: unknown = undefined;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        this.record(null, method, p, query, req, raw, 400);
        return this.send(res, null, 400, { message: 'Problems parsing JSON', documentation_url: DOCS });
      }
    }
    let route: Route | undefined;
    let match: RegExpExecArray | null = null;
    for (const r of this.routes) {
      if (r.method !== method) continue;
      match = r.regex.exec(p);
      if (match) {
        route = r;
        break;
      }
    }
    const auth = req.headers.authorization ?? '';
    const tokenOk = auth === `token ${this.opts.token}` || auth === `Bearer ${this.opts.token}`;
    if (!tokenOk) {
      this.record(route?.operationId ?? null, method, p, query, req, body, 401);
      return this.send(res, null, 401, { message: 'Bad credentials', documentation_url: DOCS, status: '401' });
    }
    if (!route || !match) {
      this.violations.push({
        kind: 'route',
        operationId: null,
        method,
        path: p,
        errors: 'no such operation in the extracted description',
      });
      this.record(null, method, p, query, req, body, 404);
      return this.send(res, null, 404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
    }
    const denied = forbidden(this.opts.tokenKind ?? 'classic', route.operationId);
    if (denied) {
      this.record(route.operationId, method, p, query, req, body, 403);
      res.setHeader('x-accepted-github-permissions', denied.accepted);
      return this.send(res, null, 403, { ...denied.body, documentation_url: DOCS });
    }
    const params: Record<string, string> = {};
    route.params.forEach((n, i) => (params[n] = decodeURIComponent(match![i + 1])));

    // Validate parameters and body against the operation.
    const errors: unknown[] = [];
    for (const prm0 of route.op.parameters ?? []) {
      const prm = this.resolve(prm0);
      const value = prm.in === 'path' ? params[prm.name] : prm.in === 'query' ? query[prm.name] : undefined;
      if (value === undefined) {
        if (prm.required) errors.push(`missing ${prm.in} parameter ${prm.name}`);
        continue;
      }
      const typed = prm.schema?.type === 'integer' || prm.schema?.type === 'number' ? Number(value) : value;
      const v = this.schema(prm.schema ?? {});
      if (!v(typed)) errors.push({ parameter: prm.name, errors: v.errors });
    }
    const known = new Set(
      (route.op.parameters ?? [])
        .map((x: Json) => this.resolve(x))
        .filter((x: Json) => x.in === 'query')
        .map((x: Json) => x.name),
    );
    for (const k of Object.keys(query)) if (!known.has(k)) errors.push(`unknown query parameter ${k}`);
    const rb = route.op.requestBody;
    if (rb) {
      const schema = rb.content?.['application/json']?.schema;
      if (body === undefined && rb.required) errors.push('missing JSON body');
      else if (schema && body !== undefined) {
        const v = this.schema(schema);
        if (!v(body)) errors.push({ body: v.errors });
      }
    } else if (body !== undefined && method !== 'GET') errors.push('operation takes no body');
    if (errors.length) {
      this.violations.push({ kind: 'request', operationId: route.operationId, method, path: p, errors });
      this.record(route.operationId, method, p, query, req, body, 422);
      return this.send(res, null, 422, {
        message: 'Validation Failed',
        errors: errors.map((e) => ({ resource: 'Request', code: 'invalid', message: JSON.stringify(e) })),
        documentation_url: DOCS,
        status: '422',
      });
    }

    const fi = this.failures.findIndex((f) => f.operationId === route!.operationId && (f.times ?? 1) > 0);
    if (fi >= 0) {
      const f = this.failures[fi];
      f.times = (f.times ?? 1) - 1;
      this.record(route.operationId, method, p, query, req, body, f.status);
      if (f.hang) return; // a server that accepted the request and never answers
      if (f.delayMs) {
        const t = setTimeout(() => {
          if (!res.destroyed) this.send(res, null, f.status, f.body ?? {}, f.headers ?? {});
        }, f.delayMs);
        res.on('close', () => clearTimeout(t));
        return;
      }
      return this.send(
        res,
        null,
        f.status,
        f.body ?? {
          message: http.STATUS_CODES[f.status] ?? 'error',
          documentation_url: DOCS,
          status: String(f.status),
        },
        f.headers ?? {},
      );
    }

    const repoKey = `${params.owner}/${params.repo}`;
    const repo = this.repos.get(repoKey);
    if (!repo) {
      this.record(route.operationId, method, p, query, req, body, 404);
      return this.send(res, null, 404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
    }
    const [status, out] = this.operate(route.operationId, repo, repoKey, params, query, body as Json);
    this.record(route.operationId, method, p, query, req, body, status);
    this.send(res, status < 300 ? route : null, status, out, {}, p);
  }

  private record(
    operationId: string | null,
    method: string,
    p: string,
    query: Record<string, string>,
    req: http.IncomingMessage,
    body: unknown,
    status: number,
  ): void {
    this.requests.push({ operationId, method, path: p, query, headers: req.headers, body, status });
  }

  // ---------- GitHub-shaped objects ----------

  private user(login = 'llmbench-bot', type = 'Bot'): Json {
    const id = 41898282;
    const u = `${this.url}/users/${login}`;
    return {
      login,
      id,
      node_id: 'MDM6Qm90NDE4OTgyODI=',
      avatar_url: `${this.url}/avatars/${id}`,
      gravatar_id: '',
      url: u,
      html_url: `${this.url}/${login}`,
      followers_url: `${u}/followers`,
      following_url: `${u}/following{/other_user}`,
      gists_url: `${u}/gists{/gist_id}`,
      starred_url: `${u}/starred{/owner}{/repo}`,
      subscriptions_url: `${u}/subscriptions`,
      organizations_url: `${u}/orgs`,
      repos_url: `${u}/repos`,
      events_url: `${u}/events{/privacy}`,
      received_events_url: `${u}/received_events`,
      type,
      site_admin: false,
    };
  }

  private comment(repoKey: string, issue: number, id: number, body: string, created: string, updated: string): Json {
    return {
      id,
      node_id: `IC_kwDO${id}`,
      url: `${this.url}/repos/${repoKey}/issues/comments/${id}`,
      html_url: `${this.url}/${repoKey}/pull/${issue}#issuecomment-${id}`,
      body,
      user: this.user(),
      created_at: created,
      updated_at: updated,
      issue_url: `${this.url}/repos/${repoKey}/issues/${issue}`,
      author_association: 'NONE',
    };
  }

  private notFound(): [number, Json] {
    return [404, { message: 'Not Found', documentation_url: DOCS, status: '404' }];
  }

  private unprocessable(message: string): [number, Json] {
    return [422, { message, documentation_url: DOCS, status: '422' }];
  }

  private sha(...parts: unknown[]): string {
    return createHash('sha1').update(JSON.stringify(parts)).update(String(this.nextId++)).digest('hex');
  }

  private operate(
    op: string,
    repo: RepoState,
    repoKey: string,
    params: Record<string, string>,
    query: Record<string, string>,
    body: Json,
  ): [number, unknown] {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const prOk = (n: number) => !this.opts.prs || this.opts.prs.includes(n);
    switch (op) {
      case 'issues/list-comments': {
        const n = Number(params.issue_number);
        if (!prOk(n)) return this.notFound();
        const per = Number(query.per_page ?? 30);
        const page = Number(query.page ?? 1);
        const all = repo.comments.filter((c) => c.issue === n);
        return [
          200,
          all
            .slice((page - 1) * per, page * per)
            .map((c) => this.comment(repoKey, n, c.id, c.body, c.created_at, c.updated_at)),
        ];
      }
      case 'issues/create-comment': {
        const n = Number(params.issue_number);
        if (!prOk(n)) return this.notFound();
        if (body.body.length > 65536)
          return this.unprocessable('Validation Failed: body is too long (maximum is 65536 characters)');
        const c = { id: this.nextId++, issue: n, body: body.body, created_at: now, updated_at: now };
        repo.comments.push(c);
        return [201, this.comment(repoKey, n, c.id, c.body, c.created_at, c.updated_at)];
      }
      case 'issues/update-comment': {
        const c = repo.comments.find((x) => x.id === Number(params.comment_id));
        if (!c) return this.notFound();
        if (body.body.length > 65536)
          return this.unprocessable('Validation Failed: body is too long (maximum is 65536 characters)');
        c.body = body.body;
        c.updated_at = now;
        return [200, this.comment(repoKey, c.issue, c.id, c.body, c.created_at, c.updated_at)];
      }
      case 'repos/create-commit-status': {
        if (!/^[0-9a-f]{40}$/.test(params.sha) || (this.opts.shas && !this.opts.shas.includes(params.sha)))
          return this.unprocessable(`No commit found for SHA: ${params.sha}`);
        const id = this.nextId++;
        const s = {
          url: `${this.url}/repos/${repoKey}/statuses/${params.sha}`,
          avatar_url: null,
          id,
          node_id: `SC_${id}`,
          state: body.state,
          description: body.description ?? null,
          target_url: body.target_url ?? null,
          context: body.context ?? 'default',
          created_at: now,
          updated_at: now,
          creator: this.user(),
        };
        repo.statuses.push({ ...s, sha: params.sha });
        return [201, s];
      }
      case 'checks/create': {
        const id = this.nextId++;
        const app = {
          id: 1,
          slug: 'llmbench',
          node_id: 'MDM6QXBwMQ==',
          owner: this.user('octo', 'Organization'),
          name: 'llmbench',
          description: null,
          external_url: this.url,
          html_url: `${this.url}/apps/llmbench`,
          created_at: now,
          updated_at: now,
          permissions: { checks: 'write' },
          events: [],
        };
        const run = {
          id,
          head_sha: body.head_sha,
          node_id: `CR_${id}`,
          external_id: body.external_id ?? '',
          url: `${this.url}/repos/${repoKey}/check-runs/${id}`,
          html_url: `${this.url}/${repoKey}/runs/${id}`,
          details_url: body.details_url ?? null,
          status: body.status ?? (body.conclusion ? 'completed' : 'queued'),
          conclusion: body.conclusion ?? null,
          started_at: body.started_at ?? now,
          completed_at: body.completed_at ?? (body.conclusion ? now : null),
          output: {
            title: body.output?.title ?? null,
            summary: body.output?.summary ?? null,
            text: body.output?.text ?? null,
            annotations_count: 0,
            annotations_url: `${this.url}/repos/${repoKey}/check-runs/${id}/annotations`,
          },
          name: body.name,
          check_suite: { id: 1 },
          app,
          pull_requests: [],
        };
        repo.checkRuns.push(run);
        return [201, run];
      }
      case 'git/create-blob': {
        const sha = createHash('sha1').update(`blob:${body.content}`).digest('hex');
        repo.blobs.set(sha, { content: body.content, encoding: body.encoding ?? 'utf-8' });
        return [201, { url: `${this.url}/repos/${repoKey}/git/blobs/${sha}`, sha }];
      }
      case 'git/create-tree': {
        const base = body.base_tree ? repo.trees.get(body.base_tree) : [];
        if (body.base_tree && !base) return this.unprocessable('Invalid tree info');
        const entries = new Map<string, Json>((base ?? []).map((e) => [e.path, e]));
        for (const e of body.tree as Json[]) {
          if (e.sha && !repo.blobs.has(e.sha)) return this.unprocessable('Invalid tree info: blob not found');
          entries.set(e.path, {
            path: e.path,
            mode: e.mode,
            type: e.type,
            sha: e.sha ?? createHash('sha1').update(`blob:${e.content}`).digest('hex'),
          });
        }
        const tree = [...entries.values()];
        const sha = this.sha('tree', tree);
        repo.trees.set(sha, tree);
        return [
          201,
          {
            sha,
            url: `${this.url}/repos/${repoKey}/git/trees/${sha}`,
            truncated: false,
            tree: tree.map((e) => ({ ...e, url: `${this.url}/repos/${repoKey}/git/blobs/${e.sha}` })),
          },
        ];
      }
      case 'git/create-commit': {
        if (!repo.trees.has(body.tree)) return this.unprocessable('Tree SHA does not exist');
        for (const p of body.parents ?? [])
          if (!repo.commits.has(p)) return this.unprocessable('Parent SHA does not exist or is not a commit object');
        const sha = this.sha('commit', body);
        const commit = this.gitCommit(repoKey, sha, body.tree, body.parents ?? [], body.message, now);
        repo.commits.set(sha, commit);
        return [201, commit];
      }
      case 'git/get-commit': {
        const c = repo.commits.get(params.commit_sha);
        return c ? [200, c] : this.notFound();
      }
      case 'git/get-ref': {
        const sha = repo.refs.get(`refs/${params.ref}`);
        return sha ? [200, this.gitRef(repoKey, `refs/${params.ref}`, sha)] : this.notFound();
      }
      case 'git/create-ref': {
        if (repo.refs.has(body.ref)) return this.unprocessable('Reference already exists');
        if (!repo.commits.has(body.sha)) return this.unprocessable('Object does not exist');
        repo.refs.set(body.ref, body.sha);
        return [201, this.gitRef(repoKey, body.ref, body.sha)];
      }
      case 'git/update-ref': {
        const ref = `refs/${params.ref}`;
        const old = repo.refs.get(ref);
        if (!old) return this.unprocessable('Reference does not exist');
        if (!repo.commits.has(body.sha)) return this.unprocessable('Object does not exist');
        // Without force, the new commit must descend from the old one (fast-forward).
        if (!body.force && !(repo.commits.get(body.sha)!.parents as Json[]).some((p) => p.sha === old))
          return this.unprocessable('Update is not a fast forward');
        repo.refs.set(ref, body.sha);
        return [200, this.gitRef(repoKey, ref, body.sha)];
      }
      default:
        return this.notFound();
    }
  }

  private gitRef(repoKey: string, ref: string, sha: string): Json {
    return {
      ref,
      node_id: `REF_${sha.slice(0, 8)}`,
      url: `${this.url}/repos/${repoKey}/git/${ref}`,
      object: { type: 'commit', sha, url: `${this.url}/repos/${repoKey}/git/commits/${sha}` },
    };
  }

  private gitCommit(repoKey: string, sha: string, tree: string, parents: string[], message: string, now: string): Json {
    const who = { name: 'llmbench', email: 'llmbench@users.noreply.github.com', date: now };
    return {
      sha,
      node_id: `C_${sha.slice(0, 8)}`,
      url: `${this.url}/repos/${repoKey}/git/commits/${sha}`,
      html_url: `${this.url}/${repoKey}/commit/${sha}`,
      author: who,
      committer: who,
      message,
      tree: { sha: tree, url: `${this.url}/repos/${repoKey}/git/trees/${tree}` },
      parents: parents.map((p) => ({
        sha: p,
        url: `${this.url}/repos/${repoKey}/git/commits/${p}`,
        html_url: `${this.url}/${repoKey}/commit/${p}`,
      })),
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
    };
  }
}

export async function startFakeGitHub(opts: FakeGitHubOptions): Promise<FakeGitHub> {
  return new FakeGitHub(opts).start();
}
