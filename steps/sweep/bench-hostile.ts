/**
 * `npm run bench:hostile`: what a hostile server costs a sweep. Each case starts a misbehaving server (the scripted
 * server's hostile faults, in its own process), runs `llmbench sweep` against it as a child process and prints its
 * exit code, wall time and peak RSS against the bounds, and whether every request became a sample with the
 * expected error category. Exits 1 when a bound is broken.
 *
 * Extending: add a row to CASES. A case is any command with bounds — `start` may launch a server, write a file or
 * do nothing, `args` is the llmbench command line, `check` reads what the command wrote. (File and analyze cases
 * belong in this table too.)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Script } from '../adapters/scripted-server.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(HERE, '..', '..');
const CLI = path.join(ROOT, 'steps', 'bin', 'llmbench.js');
const SERVER = path.join(HERE, '..', 'adapters', 'scripted-server.ts');
/** The bounds: peak RSS of the command, and its wall time on top of its own deadlines. */
const RSS_LIMIT_MB = 500;

interface Ctx {
  /** Base URL of the case's server, if it started one. */
  url: string;
  out: string;
}
interface Case {
  name: string;
  /** The hostile server's script (none: the case needs no server). */
  server?: Script;
  args(c: Ctx): string[];
  /** Wall-time bound, s: the deadlines the command was given, plus start-up. */
  wallLimitS: number;
  /** Expected exit code (steps/core/exit-codes.ts): 3 when every request of a sweep failed at the server. */
  exit: number;
  /** Problems with what the command wrote ([] = fine). */
  check(c: Ctx): string[];
}

const sweep = (backend: string, extra: string[]) => (c: Ctx) => [
  'sweep',
  '--backend',
  backend,
  '--url',
  c.url,
  '--out',
  c.out,
  '--concurrency',
  '2',
  '--requests',
  '2',
  '--trials',
  '1',
  '--warmup',
  '0',
  '--output-tokens',
  '64',
  '--input-tokens',
  '16',
  '--progress',
  'none',
  ...extra,
];

/** Every request a sample, each failed with `category`. */
const allFailedAs =
  (category: string, n = 2) =>
  (c: Ctx) => {
    const f = path.join(c.out, 'samples.ndjson');
    if (!existsSync(f)) return ['no samples.ndjson'];
    const lines = readFileSync(f, 'utf8').split('\n').filter(Boolean);
    const cats = lines.map((l) => (JSON.parse(l) as { error?: { category?: string } | null }).error?.category ?? 'ok');
    const problems: string[] = [];
    if (lines.length !== n) problems.push(`${lines.length} samples, expected ${n}`);
    const wrong = cats.filter((x) => x !== category);
    if (wrong.length) problems.push(`categories ${cats.join(',')}, expected ${category}`);
    const stamps = lines.map((l) => (JSON.parse(l) as { chunk_ms: unknown[] }).chunk_ms.length);
    if (stamps.some((k) => k > 4 * 64 + 16)) problems.push(`chunk stamps per request ${stamps.join(',')}`);
    return problems;
  };

/** The tightest deadline, s, that sweep `flags` give a request (--timeout, --stall-timeout). */
const deadlineS = (flags: string[]) =>
  Math.min(
    ...['--timeout', '--stall-timeout'].map((f) =>
      flags.includes(f) ? Number(flags[flags.indexOf(f) + 1]) : Infinity,
    ),
  );

/**
 * A hostile-server case: one `fault` on an otherwise instant server; every request must fail as `category` and
 * the sweep exit 3 within its tightest deadline plus 15 s of start-up.
 */
function failingCase(
  name: string,
  backend: string,
  fault: Omit<Script, 'ttftMs' | 'itlMs' | 'tokens'>,
  flags: string,
  category: string,
): Case {
  const extra = flags.split(' ');
  return {
    name,
    server: { ttftMs: 0, itlMs: 0, tokens: 1, ...fault },
    args: sweep(backend, extra),
    wallLimitS: deadlineS(extra) + 15,
    exit: 3,
    check: allFailedAs(category),
  };
}

const MB = 1024 * 1024;
const CASES: Case[] = [
  failingCase(
    'stream forever, ignoring max_tokens (vllm)',
    'vllm',
    { fault: 'flood' },
    '--timeout 5',
    'output_overflow',
  ),
  failingCase(
    'one 50 MB SSE line (tgi)',
    'tgi',
    { fault: 'long_line', lineBytes: 50 * MB },
    '--timeout 5',
    'malformed_chunk',
  ),
  failingCase(
    'one 10 MB SSE line (triton)',
    'triton',
    { fault: 'long_line', lineBytes: 10 * MB },
    '--timeout 5',
    'malformed_chunk',
  ),
  failingCase(
    'slow drip, 1 byte / 5 ms (vllm, --timeout 4)',
    'vllm',
    { fault: 'drip', dripMs: 5 },
    '--timeout 4 --stall-timeout 60',
    'timeout',
  ),
  failingCase(
    'keep-alive comments only (tgi, --stall-timeout 2)',
    'tgi',
    { fault: 'keepalive_stall', dripMs: 200 },
    '--timeout 30 --stall-timeout 2',
    'stalled',
  ),
];

async function startServer(script: Script): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER, JSON.stringify({ script, log: false })], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error('scripted server did not start within 30 s')), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /listening (\S+)/.exec(buf);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`scripted server exited (${code})`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

/** Runs the command under /usr/bin/time (max RSS of the process, all its threads) with a hard kill at 3× the bound. */
function runCommand(
  args: string[],
  killAfterS: number,
): Promise<{ code: number | null; wallS: number; rssMb: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn('/usr/bin/time', ['-f', 'MAXRSS_KB=%M', process.execPath, CLI, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, CI: '' },
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.length > 100_000) err = err.slice(-50_000);
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), killAfterS * 1000);
    child.on('exit', (code) => {
      clearTimeout(killer);
      const m = /MAXRSS_KB=(\d+)/.exec(err);
      const exit = /Command exited with non-zero status (\d+)/.exec(err);
      resolve({
        code: exit ? Number(exit[1]) : code,
        wallS: (performance.now() - t0) / 1000,
        rssMb: m ? Number(m[1]) / 1024 : NaN,
      });
    });
  });
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));

async function main(): Promise<number> {
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
  const rows: string[][] = [];
  let failed = 0;
  for (const c of CASES) {
    if (only && !c.name.includes(only)) continue;
    const out = mkdtempSync(path.join(os.tmpdir(), 'llmbench-hostile-'));
    const srv = c.server ? await startServer(c.server) : undefined;
    try {
      const ctx: Ctx = { url: srv?.url ?? '', out: path.join(out, 'run') };
      const r = await runCommand(c.args(ctx), c.wallLimitS * 3);
      const problems = c.check(ctx);
      if (r.code !== c.exit) problems.push(`exit ${r.code}, expected ${c.exit}`);
      if (r.wallS > c.wallLimitS) problems.push(`wall ${r.wallS.toFixed(1)} s > ${c.wallLimitS} s`);
      if (!(r.rssMb <= RSS_LIMIT_MB)) problems.push(`peak RSS ${r.rssMb.toFixed(0)} MB > ${RSS_LIMIT_MB} MB`);
      if (problems.length) failed++;
      rows.push([
        c.name,
        `${r.code} (${c.exit})`,
        `${r.wallS.toFixed(1)} / ${c.wallLimitS}`,
        `${r.rssMb.toFixed(0)} / ${RSS_LIMIT_MB}`,
        problems.length ? 'FAIL: ' + problems.join('; ') : 'ok',
      ]);
    } finally {
      srv?.stop();
      rmSync(out, { recursive: true, force: true });
    }
  }
  const head = ['case', 'exit (expected)', 'wall s / bound', 'peak RSS MB / bound', 'result'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((x, i) => pad(x, w[i])).join('  ');
  process.stdout.write(`Hostile servers: \`llmbench sweep\` (c = 2, 2 requests, 64 tokens) per case\n\n`);
  process.stdout.write(line(head) + '\n' + w.map((n) => '-'.repeat(n)).join('  ') + '\n');
  for (const r of rows) process.stdout.write(line(r) + '\n');
  return failed ? 1 : 0;
}

process.exitCode = await main();
