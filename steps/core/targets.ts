/**
 * One validation of what a sweep sends to a server — endpoint, headers, dataset — shared by `sweep` (flags and
 * config) and `run` (config), so both reject the same things before anything is written or sent.
 *
 * Secrets come from the environment: `${NAME}` anywhere in an endpoint or header value is replaced by the variable's
 * value only when a request is built; configs and bench-config.json keep the reference. Resolved values are
 * registered with steps/core/redact.ts, so they are masked wherever they would be printed.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Problem } from './errors.js';
import { maskUrlCredentials, registerSecret } from './redact.js';

const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Problems with the `${NAME}` references of a value: malformed, or naming an unset variable. `env` null: syntax
 * only (config validation, before the environment the command will run in is known).
 */
export function envRefProblems(value: string, at: string, env: NodeJS.ProcessEnv | null): Problem[] {
  const problems: Problem[] = [];
  const rest = value.replace(REF, '');
  if (rest.includes('${'))
    problems.push({ path: at, message: 'malformed environment reference: write ${NAME} (letters, digits, _)' });
  for (const m of value.matchAll(REF))
    if (env && env[m[1]] === undefined)
      problems.push({ path: at, message: `environment variable ${m[1]} (referenced as \${${m[1]}}) is not set` });
  return problems;
}

/**
 * Replaces every `${NAME}` by its value (unset: empty) and registers the values as secrets. `env` null: a
 * placeholder value, for syntax checks.
 */
export function resolveEnvRefs(value: string, env: NodeJS.ProcessEnv | null): string {
  return value.replace(REF, (_, name: string) => {
    if (!env) return 'x';
    const v = env[name] ?? '';
    registerSecret(v);
    return v;
  });
}

/**
 * An endpoint is an absolute http(s) URL with a host, after resolving `${NAME}` (WHATWG URL parser, as undici
 * uses). Literal credentials are allowed but registered as secrets (decoded and encoded forms).
 */
export function endpointProblems(raw: string, at: string, env: NodeJS.ProcessEnv | null): Problem[] {
  const refs = envRefProblems(raw, at, env);
  if (refs.length || (!env && raw.startsWith('${'))) return refs; // the whole URL comes from the environment
  const resolved = resolveEnvRefs(raw, env);
  let u: URL;
  try {
    u = new URL(resolved);
  } catch {
    return [{ path: at, message: `'${maskUrl(raw)}' is not a URL` }];
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    return [{ path: at, message: `must be an http(s) URL (got ${u.protocol})` }];
  if (!u.hostname) return [{ path: at, message: 'has no host' }];
  if (u.password) {
    registerSecret(u.password);
    registerSecret(safeDecode(u.password));
  }
  if (u.username && u.password) {
    registerSecret(`${u.username}:${u.password}`);
  }
  return [];
}

const safeDecode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** RFC 9110 §5.1 field-name: a token (tchar = "!#$%&'*+-.^_`|~" DIGIT ALPHA). */
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Headers llmbench sets itself or that would break the request framing. */
const RESERVED = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'content-type', 'expect']);

/**
 * Header names must be tokens and values must not hold CR, LF or NUL (RFC 9110 §5.5) — undici would refuse each
 * request, turning one bad header into a sweep of failed samples instead of exit 2 now.
 */
export function headerProblems(headers: Record<string, string>, at: string, env: NodeJS.ProcessEnv | null): Problem[] {
  const problems: Problem[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const p = `${at}/${name}`;
    if (!FIELD_NAME.test(name)) problems.push({ path: p, message: 'is not a valid header name (RFC 9110 token)' });
    else if (RESERVED.has(name.toLowerCase()))
      problems.push({ path: p, message: 'is set by llmbench itself and cannot be overridden' });
    if (typeof value !== 'string') {
      problems.push({ path: p, message: 'must be a string' });
      continue;
    }
    if (/[\r\n\0]/.test(value)) problems.push({ path: p, message: 'value holds CR, LF or NUL' });
    const refs = envRefProblems(value, p, env);
    problems.push(...refs);
    if (!refs.length && /[\r\n\0]/.test(resolveEnvRefs(value, env)))
      problems.push({ path: p, message: 'value (after ${NAME} substitution) holds CR, LF or NUL' });
  }
  return problems;
}

/** Header values with `${NAME}` resolved (for the request only; never logged). */
export function resolveHeaderRefs(h: Record<string, string>, env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, resolveEnvRefs(v, env)]));
}

/** A dataset other than `synthetic`/`builtin` is a file that must be readable (relative to `cwd`). */
export async function datasetProblems(dataset: string | undefined, at: string, cwd: string): Promise<Problem[]> {
  if (dataset === undefined || dataset === 'synthetic' || dataset === 'builtin') return [];
  const file = path.resolve(cwd, dataset);
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) return [{ path: at, message: `${dataset} is not a file`, file }];
    await fs.access(file, fs.constants?.R_OK);
    return [];
  } catch (e) {
    return [{ path: at, message: `cannot read ${dataset}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, file }];
  }
}

/**
 * An endpoint for printing or writing: the password of literal credentials masked (split as the WHATWG parser does,
 * so `@`, `:` and percent-encoding in a password are handled as undici would); `${NAME}` references are kept.
 */
export const maskUrl = (raw: string): string => maskUrlCredentials(raw);

/** An endpoint with its userinfo removed whole (split at the last '@' of the authority, as WHATWG does). */
export const withoutCredentials = (raw: string): string => raw.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#]*@/, '$1');
