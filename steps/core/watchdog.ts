/**
 * Runs a command in a child process under an RSS watchdog: its resident set (VmRSS of /proc/<pid>/status, every
 * thread included) is sampled every 50 ms and the child is SIGKILLed the moment it passes the limit, so a memory
 * bug under test fails the test instead of taking the shared machine down. Linux only (/proc).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Watched {
  code: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
  peakRssBytes: number;
  /** The watchdog killed the child for passing the RSS limit (or the time limit). */
  killedFor: 'rss' | 'time' | null;
  stdout: string;
  stderr: string;
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Keeps the last `max` characters of a stream (a runaway child must not fill the parent either). */
function tail(max: number) {
  let s = '';
  return {
    add: (b: Buffer) => {
      s = (s + b.toString('utf8')).slice(-max);
    },
    get: () => s,
  };
}

export function runWatched(
  cmd: string,
  args: string[],
  opts: { rssLimitBytes: number; timeoutMs: number; env?: NodeJS.ProcessEnv; cwd?: string },
): Promise<Watched> {
  const t0 = performance.now();
  const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = tail(64 * 1024),
    err = tail(64 * 1024);
  child.stdout.on('data', out.add);
  child.stderr.on('data', err.add);
  let peak = 0;
  let killedFor: Watched['killedFor'] = null;
  const kill = (why: 'rss' | 'time') => {
    if (killedFor || child.exitCode !== null) return;
    killedFor = why;
    child.kill('SIGKILL');
  };
  const poll = setInterval(() => {
    if (child.pid === undefined) return;
    peak = Math.max(peak, rssOf(child.pid));
    if (peak > opts.rssLimitBytes) kill('rss');
  }, 50);
  const timer = setTimeout(() => kill('time'), opts.timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', (e) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({
        code,
        signal,
        wallMs: performance.now() - t0,
        peakRssBytes: peak,
        killedFor,
        stdout: out.get(),
        stderr: err.get(),
      });
    });
  });
}
