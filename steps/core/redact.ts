/**
 * Secret redaction for everything we print or write. Values of environment variables whose names contain
 * TOKEN, SECRET or PASSWORD, Authorization header values, bearer tokens and URL credentials never leave the
 * process in clear text.
 */
const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|APIKEY|API_KEY/i;
const MASK = '***';

const extraSecrets: string[] = [];

/** Registers a secret that did not come from the environment (e.g. read from a file). */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4 && !extraSecrets.includes(value)) extraSecrets.push(value);
}

/** Forgets secrets registered with registerSecret (tests: one case's secret must not mask the next one's). */
export function clearRegisteredSecrets(): void {
  extraSecrets.length = 0;
}

function secretValues(env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [...extraSecrets];
  for (const [name, value] of Object.entries(env)) {
    if (value && value.length >= 4 && SECRET_NAME.test(name)) out.push(value);
  }
  // Longest first so a secret that contains another is masked whole.
  return out.sort((a, b) => b.length - a.length);
}

export function redactString(s: string, env: NodeJS.ProcessEnv = process.env): string {
  let out = s;
  for (const v of secretValues(env)) {
    if (out.includes(v)) out = out.split(v).join(MASK);
  }
  out = out
    .replace(/(authorization["']?\s*[:=]\s*["']?)(bearer |token |basic )?[^\s"',}]+/gi, `$1$2${MASK}`)
    .replace(/\b(bearer|token)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${MASK}`)
    .replace(/\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|hf_[A-Za-z0-9]{20,})/g, MASK)
    // URL credentials: the authority is split at its last '@' (WHATWG), so a password holding '@' or ':' is
    // masked whole, not up to its first '@'.
    .replace(/\b[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s"'<>]*@[^\s"'<>]*/g, maskUrlCredentials);
  return out;
}

/** Deep-redacts a value for logging: secret-named keys are masked, strings are scrubbed. */
export function redact<T>(value: T, env: NodeJS.ProcessEnv = process.env, depth = 0): T {
  if (depth > 12) return value;
  if (typeof value === 'string') return redactString(value, env) as T;
  if (Array.isArray(value)) return value.map((v) => redact(v, env, depth + 1)) as T;
  if (value && typeof value === 'object') {
    if (value instanceof Error) return redactString(String(value.message), env) as T;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = /authorization|token|secret|password|cookie/i.test(k) && v != null ? MASK : redact(v, env, depth + 1);
    }
    return out as T;
  }
  return value;
}

/** `scheme://user:pass@host…` → `scheme://user:***@host…`; a lone user part (often a token) → `***@`. */
export function maskUrlCredentials(url: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)@([^@/?#]*)(.*)$/s.exec(url);
  if (!m) return url;
  const [, scheme, userinfo, host, rest] = m;
  if (/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(userinfo)) return url; // an environment reference, not a secret
  const colon = userinfo.indexOf(':');
  if (colon < 0) return `${scheme}${MASK}@${host}${rest}`;
  const pass = userinfo.slice(colon + 1);
  if (/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(pass)) return url;
  return `${scheme}${userinfo.slice(0, colon)}:${MASK}@${host}${rest}`;
}
