/**
 * Secrets never persist (issue 16 item 6): literal URL credentials — passwords holding `@`, `:` and
 * percent-encoding — are masked wherever an endpoint is printed or written; `${NAME}` references in endpoints and
 * headers are resolved only for requests, and bench-config.json keeps the reference. Also item 8: `run` validates
 * endpoints, headers and datasets as `sweep` does, before writing anything.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startScriptedServer, type ScriptedServer } from '../../steps/adapters/scripted-server.js';
import { main } from '../../steps/cli.js';
import { clearRegisteredSecrets, redactString } from '../../steps/core/redact.js';
import { maskUrl } from '../../steps/core/targets.js';

// Each planted password breaks the old masking regex in its own way.
const PASSWORDS = ['p@ss@ter2Pw9', 'co:lon:ter2Pw9', 'pct%40enc%3Ater2Pw9', 'a@b:c%2Fter2Pw9'];
const tails = (pw: string) => [pw, decodeURIComponent(pw), 'ter2Pw9'];

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? allFiles(p) : [p];
  });
}

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '',
    err = '';
  const code = await main({
    argv,
    env: { LLMBENCH_LOG_LEVEL: 'debug', ...env },
    stdout: (s) => (out += s),
    stderr: (s) => (err += s),
  });
  return { code, out, err };
}

describe('masking URL credentials', () => {
  it.each(PASSWORDS)('password %s: the old regex left its tail in stdout/stderr; now masked whole', (pw) => {
    const url = `http://user:${pw}@127.0.0.1:1/v1`;
    for (const s of [
      redactString(`connect ECONNREFUSED ${url}`, {}),
      maskUrl(url),
      redactString(JSON.stringify({ url }), {}),
    ])
      for (const t of tails(pw)) expect(s).not.toContain(t);
    expect(maskUrl(url)).toBe('http://user:***@127.0.0.1:1/v1');
    // The WHATWG parser agrees on where the password ends.
    expect(new URL(url).host).toBe('127.0.0.1:1');
  });

  it('a lone user part (often a token) is masked; ${NAME} references are kept as written', () => {
    expect(maskUrl('https://ghp_abc@host/x')).toBe('https://***@host/x');
    expect(maskUrl('https://bench:${BENCH_PW}@host/x')).toBe('https://bench:${BENCH_PW}@host/x');
  });
});

describe('llmbench run with credentials', () => {
  let srv: ScriptedServer;
  let dir: string;
  beforeAll(async () => {
    srv = await startScriptedServer({ script: { ttftMs: 1, itlMs: 1, tokens: 4 } });
    dir = mkdtempSync(path.join(os.tmpdir(), 'llmbench-secrets-'));
  });
  afterAll(() => srv.close());

  const config = (endpoint: string, extra = '') =>
    [
      'version: 1',
      'backends:',
      '  - kind: vllm',
      `    endpoint: "${endpoint}"`,
      extra,
      'load: { concurrency: [1], requests: 3, trials: 2, warmup: 0 }',
      'workload: { output_tokens: 4, input_tokens: 8, prompts: 2 }',
      '',
    ].join('\n');

  it('run wrote the password in clear into bench-config.json (and summary.json, logs): now masked everywhere', async () => {
    clearRegisteredSecrets();
    const pw = PASSWORDS[3];
    const u = new URL(srv.url);
    const cfg = path.join(dir, 'literal.yaml');
    writeFileSync(cfg, config(`http://bench:${pw}@${u.host}`));
    const work = path.join(dir, 'literal');
    const r = await cli(['run', '--config', cfg, '--workdir', work]);
    expect(existsSync(path.join(work, 'bench-config.json'))).toBe(true);
    const written = allFiles(work).map((f) => readFileSync(f, 'latin1'));
    for (const t of tails(pw)) {
      expect(r.out).not.toContain(t);
      expect(r.err).not.toContain(t);
      for (const text of written) expect(text).not.toContain(t);
    }
    const bc = JSON.parse(readFileSync(path.join(work, 'bench-config.json'), 'utf8'));
    expect(bc.backends[0].endpoint).toBe(`http://bench:***@${u.host}`);
  }, 120_000);

  it('${NAME} in endpoint and headers: the request carries the value, bench-config.json keeps the reference', async () => {
    clearRegisteredSecrets();
    const cfg = path.join(dir, 'refs.yaml');
    writeFileSync(cfg, config('${BENCH_URL}', '    headers: { Authorization: "Bearer ${BENCH_API_TOKEN}" }'));
    const work = path.join(dir, 'refs');
    const secret = 'sk-REFERENCEDsecret0123456789';
    // A server that records what arrives and refuses it (the scripted server keeps no headers).
    const seen: (string | undefined)[] = [];
    const rec = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      req.resume();
      res.writeHead(503).end();
    });
    await new Promise<void>((res) => rec.listen(0, '127.0.0.1', res));
    const url = `http://127.0.0.1:${(rec.address() as AddressInfo).port}`;
    const r = await cli(['run', '--config', cfg, '--workdir', work], { BENCH_URL: url, BENCH_API_TOKEN: secret });
    await new Promise((res) => rec.close(res));
    expect(r.code).toBe(3); // every request refused: no-successful-requests, as sweep
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((a) => a === `Bearer ${secret}`)).toBe(true);
    const bc = JSON.parse(readFileSync(path.join(work, 'bench-config.json'), 'utf8'));
    expect(bc.backends[0].endpoint).toBe('${BENCH_URL}');
    expect(bc.backends[0].headers.Authorization).toBe('Bearer ${BENCH_API_TOKEN}');
    for (const f of allFiles(work)) expect(readFileSync(f, 'latin1')).not.toContain(secret);
    expect(r.err).not.toContain(secret);
  }, 120_000);
});

describe('run validates like sweep, before writing anything', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'llmbench-run-validate-'));
  });
  it.each([
    ['an endpoint sweep rejects (http:// without a host)', 'endpoint: "http://"', '/backends/0/endpoint'],
    ['an unset ${NAME} in the endpoint', 'endpoint: "http://u:${NOPE_UNSET_PW}@127.0.0.1:1"', 'NOPE_UNSET_PW'],
    ['a header name with a space', 'headers: { "Bad Name": "x" }', '/backends/0/headers/Bad Name'],
    ['a header value with CRLF', 'headers: { X-A: "a\\r\\nInjected: 1" }', 'CR, LF'],
  ])('%s: exit 2, no bench-config.json', async (_n, line, want) => {
    const cfg = path.join(dir, `${want.replace(/\W/g, '')}.yaml`);
    writeFileSync(cfg, ['version: 1', 'backends:', '  - kind: vllm', `    ${line}`, ''].join('\n'));
    const work = path.join(dir, `w-${want.replace(/\W/g, '')}`);
    const r = await cli(['run', '--config', cfg, '--workdir', work]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(want);
    expect(existsSync(work)).toBe(false);
  });

  it('a missing dataset file was reported only after bench-config.json was written: now before', async () => {
    const cfg = path.join(dir, 'ds.yaml');
    writeFileSync(
      cfg,
      ['version: 1', 'backends:', '  - kind: vllm', 'workload: { dataset: ./nope.jsonl }', ''].join('\n'),
    );
    const work = path.join(dir, 'w-ds');
    const r = await cli(['run', '--config', cfg, '--workdir', work]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('/workload/dataset');
    expect(existsSync(work)).toBe(false);
  });

  it('a refused endpoint exited 4 (inconclusive): now 3 like sweep', async () => {
    const cfg = path.join(dir, 'refused.yaml');
    writeFileSync(
      cfg,
      [
        'version: 1',
        'backends:',
        '  - kind: vllm',
        '    endpoint: "http://127.0.0.1:1"',
        'load: { concurrency: [1], requests: 2, trials: 1, warmup: 0 }',
        '',
      ].join('\n'),
    );
    const r = await cli(['run', '--config', cfg, '--workdir', path.join(dir, 'w-refused')]);
    expect(r.code).toBe(3);
    expect(r.err).toContain('no-successful-requests');
  }, 60_000);
});
