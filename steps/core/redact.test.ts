import { describe, expect, it } from '@jest/globals';
import { redact, redactString } from './redact.js';
import { createLogger } from './log.js';

const PLANTED = 'ghp_PLANTEDsecretVALUE1234567890abcdef';

describe('redaction', () => {
  const env = { GITHUB_TOKEN: PLANTED, MY_SECRET: 'hunter2-secret', DB_PASSWORD: 'pw-123456', HOME: '/root' };

  it('masks values of env vars named *TOKEN*, *SECRET*, *PASSWORD*', () => {
    const s = redactString(`token=${PLANTED} secret=hunter2-secret pw=pw-123456 home=/root`, env);
    expect(s).not.toContain(PLANTED);
    expect(s).not.toContain('hunter2-secret');
    expect(s).not.toContain('pw-123456');
    expect(s).toContain('/root');
  });

  it('masks Authorization headers, bearer tokens and URL credentials even when not in env', () => {
    const s = redactString('Authorization: Bearer abcdefghijklmnop; url https://user:pa55word@example.com/x', {});
    expect(s).not.toContain('abcdefghijklmnop');
    expect(s).not.toContain('pa55word');
    const o = redact({ headers: { authorization: 'token xyz123456789' }, nested: [{ note: `uses ${PLANTED}` }] }, env);
    expect(JSON.stringify(o)).not.toContain('xyz123456789');
    expect(JSON.stringify(o)).not.toContain(PLANTED);
  });

  it('the logger never prints a planted token, in JSON or human mode', () => {
    for (const json of [true, false]) {
      const lines: string[] = [];
      const log = createLogger({ json, env, write: (l) => lines.push(l) });
      log.info(`calling GitHub with ${PLANTED}`, { headers: { Authorization: `Bearer ${PLANTED}` }, token: PLANTED });
      log.error('failed', { url: `https://x:${PLANTED}@api.github.com` });
      expect(lines.join('\n')).not.toContain(PLANTED);
      expect(lines.length).toBe(2);
    }
  });

  it('logs JSON lines under CI=true and human text otherwise', () => {
    const a: string[] = [];
    createLogger({ env: { CI: 'true' }, write: (l) => a.push(l) }).info('hello', { n: 1 });
    expect(JSON.parse(a[0])).toMatchObject({ level: 'info', msg: 'hello', n: 1 });
    const b: string[] = [];
    createLogger({ env: {}, write: (l) => b.push(l) }).info('hello', { n: 1 });
    expect(b[0]).toBe('hello n=1');
  });
});
