/**
 * `npm run bench:loadgen`: how truthful and how fast the load generator is, printed as tables.
 *
 * 1. Timing truth: a scripted server (first token after 50 ms, then one every 20 ms, 64 tokens) in a separate
 *    child process, so it does not share the client's event loop; each protocol at c = 1, 16, 256. Error =
 *    |measured − scripted| and |measured − what the server actually did| (the server logs when it wrote each
 *    chunk; the second figure isolates the client from the server's own timer jitter), p50 and p99, for TTFT
 *    and ITL.
 * 2. Ceiling: (a) concurrent streams: 5,000 streams held open at once (one token per second) with their timing
 *    error; (b) chunks/s: a paced ramp (one token every 20 ms per stream) up to the rate where the timing target
 *    fails, and a zero-delay server (raw chunk throughput).
 * Flags: --quick (smaller counts, for a smoke run), --only truth|ceiling.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent } from 'undici';
import { executeRequest, getAdapter, nowMs, type AdapterKind } from '../adapters/index.js';
import type { Script } from '../adapters/scripted-server.js';
import type { Sample } from '../core/types/sample.js';
import { percentile } from '../metrics/derive.js';
import { getTokenizer } from '../workload/tokenizer.js';
import { workerCounter } from '../workload/token-counter.js';
import { LoopMonitor } from './selfcheck.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVER = path.join(HERE, '..', 'adapters', 'scripted-server.ts');
const quick = process.argv.includes('--quick');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;

interface ServerLog {
  route: string;
  prompt: string;
  recvMs: number;
  writeMs: number[];
}

class ServerProc {
  private buf = '';
  private waiters: ((line: string) => void)[] = [];
  private constructor(private child: ChildProcessByStdio<Writable, Readable, null>, readonly url: string) {}

  static async start(script: Script, log: boolean): Promise<ServerProc> {
    const child = spawn(process.execPath, ['--import', 'tsx', SERVER, JSON.stringify({ script, log })], { stdio: ['pipe', 'pipe', 'inherit'] });
    return new Promise((resolve, reject) => {
      let buf = '';
      const onData = (d: Buffer) => {
        buf += d.toString();
        const m = /listening (\S+)\n/.exec(buf);
        if (m) {
          child.stdout.off('data', onData);
          const p = new ServerProc(child, m[1]);
          p.buf = buf.slice(buf.indexOf(m[0]) + m[0].length);
          child.stdout.on('data', (x: Buffer) => p.onData(x));
          resolve(p);
        }
      };
      child.stdout.on('data', onData);
      child.once('exit', (c) => reject(new Error(`scripted server exited with ${c}`)));
    });
  }

  private onData(d: Buffer) {
    this.buf += d.toString();
    let i;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 1);
      this.waiters.shift()?.(line);
    }
  }

  dump(): Promise<ServerLog[]> {
    return new Promise((resolve) => {
      this.waiters.push((line) => resolve(JSON.parse(line) as ServerLog[]));
      this.child.stdin.write('dump\n');
    });
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin.end();
    setTimeout(() => this.child.kill('SIGKILL'), 3000).unref();
    await exited;
  }
}

const PROTOCOLS: { kind: AdapterKind; api: string; label: string }[] = [
  { kind: 'vllm', api: 'completions', label: 'vllm /v1/completions' },
  { kind: 'tgi', api: 'generate_stream', label: 'tgi /generate_stream' },
  { kind: 'triton', api: 'generate_stream', label: 'triton generate_stream' },
];

interface LoadResult {
  samples: Sample[];
  prompts: string[];
  wallS: number;
  eldP99: number | null;
  maxOpen: number;
  /** Client CPU time (user + system) per output chunk, µs: the contention-independent cost. */
  cpuPerChunkUs: number;
}

/** Closed loop at concurrency c through the real adapter and client, as the sweep sends them. */
const newAgent = () => new Agent({ keepAliveTimeout: 60_000, connections: null, pipelining: 1, connect: { timeout: 60_000 } });

/** Closed loop; worker i starts after i·rampMs/c, so streams' phases spread instead of all ticking together. */
async function load(dispatcher: Agent, url: string, kind: AdapterKind, api: string, c: number, n: number, tag: string, maxTokens: number, rampMs = 0, timeoutS = 120): Promise<LoadResult> {
  const adapter = getAdapter(kind);
  const counter = workerCounter(getTokenizer());
  const samples: Sample[] = [];
  const prompts: string[] = [];
  let next = 0;
  const mon = new LoopMonitor();
  mon.start();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const worker = async (w: number) => {
    if (rampMs > 0) await new Promise((r) => setTimeout(r, (w * rampMs) / c));
    for (;;) {
      const i = next++;
      if (i >= n) return;
      const prompt = `bench ${tag} request ${i}`;
      prompts[i] = prompt;
      samples[i] = await executeRequest({
        adapter, api, url, dispatcher, counter, timeoutMs: timeoutS * 1000, stallTimeoutMs: timeoutS * 1000,
        req: { model: 'mistral', prompt, maxTokens, ignoreEos: true, temperature: 0 },
        base: { run_id: 'bench', backend: kind, concurrency: c, rate: null, trial: 0, seq: i, prompt_index: i, warmup: false, intended_send_ms: nowMs(), input_tokens: { requested: null, client: null, server: null } },
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(c, n) }, (_, w) => worker(w)));
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await counter.close();
  const eld = mon.stop();
  // Most streams open at once: sweep over [first chunk, last chunk] intervals.
  const ev: [number, number][] = [];
  for (const s of samples) if (s.chunk_ms.length) ev.push([s.chunk_ms[0], 1], [s.chunk_ms[s.chunk_ms.length - 1], -1]);
  ev.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0, maxOpen = 0;
  for (const [, d] of ev) maxOpen = Math.max(maxOpen, (open += d));
  const chunks = samples.reduce((a, s) => a + s.chunk_ms.length, 0);
  return { samples, prompts, wallS, eldP99: eld.p99_ms, maxOpen, cpuPerChunkUs: chunks ? (cpu.user + cpu.system) / chunks : NaN };
}

interface Errors {
  ttftScript: number[];
  ttftServer: number[];
  itlScript: number[];
  itlServer: number[];
  failed: number;
  chunks: number;
}

function compare(r: LoadResult, logs: ServerLog[], script: Script): Errors {
  const byPrompt = new Map(logs.map((l) => [l.prompt, l]));
  const e: Errors = { ttftScript: [], ttftServer: [], itlScript: [], itlServer: [], failed: 0, chunks: 0 };
  r.samples.forEach((s, i) => {
    const log = byPrompt.get(r.prompts[i]);
    if (!s.ok || !log) {
      e.failed++;
      return;
    }
    e.chunks += s.chunk_ms.length;
    const ttft = s.chunk_ms[0] - s.sent_ms;
    e.ttftScript.push(Math.abs(ttft - script.ttftMs));
    e.ttftServer.push(Math.abs(ttft - (log.writeMs[0] - log.recvMs)));
    const n = Math.min(s.chunk_ms.length, log.writeMs.length);
    for (let k = 1; k < n; k++) {
      const gap = s.chunk_ms[k] - s.chunk_ms[k - 1];
      e.itlScript.push(Math.abs(gap - script.itlMs));
      e.itlServer.push(Math.abs(gap - (log.writeMs[k] - log.writeMs[k - 1])));
    }
  });
  return e;
}

const q = (xs: number[], p: number) => (xs.length ? percentile(Float64Array.from(xs).sort(), p) : NaN);
const f = (x: number | null, d = 2) => (x == null || !Number.isFinite(x) ? '-' : x.toFixed(d));
const pad = (s: string, n: number) => s.padEnd(n);

function printTable(head: string[], rows: string[][]) {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => '| ' + r.map((c, i) => (i === 0 ? pad(c, w[i]) : c.padStart(w[i]))).join(' | ') + ' |';
  console.log(line(head));
  console.log('|' + w.map((x, i) => (i === 0 ? '-'.repeat(x + 2) : '-'.repeat(x + 1) + ':')).join('|') + '|');
  for (const r of rows) console.log(line(r));
}

async function timingTruth() {
  const script: Script = { ttftMs: 50, itlMs: 20, tokens: 64 };
  console.log(`\n## Timing truth — scripted server (child process): first token after ${script.ttftMs} ms, then every ${script.itlMs} ms, ${script.tokens} tokens`);
  console.log('Error = |measured − scripted| and |measured − server-actual| (server-logged write times), ms. Target: p50 ≤ 1, p99 ≤ 3.\n');
  const rows: string[][] = [];
  const levels = quick ? [1, 16] : [1, 16, 256];
  for (const p of PROTOCOLS) {
    const srv = await ServerProc.start(script, true);
    const agent = newAgent();
    try {
      for (const c of levels) {
        // c=256 twice: all requests at once (like a batch server's synchronized steps: the worst case for a
        // single event loop) and with starts spread over 100 ms.
        for (const ramp of c === 256 ? [0, 100] : [0]) {
          const n = c === 1 ? (quick ? 3 : 10) : c === 16 ? (quick ? 16 : 32) : 256;
          await load(agent, srv.url, p.kind, p.api, c, c, `warm-${p.kind}-${c}-${ramp}`, 4); // open c keep-alive connections, JIT
          await srv.dump();
          const r = await load(agent, srv.url, p.kind, p.api, c, n, `${p.kind}-c${c}-${ramp}`, script.tokens, ramp);
          const e = compare(r, await srv.dump(), script);
          rows.push([
            p.label, ramp ? `${c} (ramp ${ramp} ms)` : String(c), String(n - e.failed), String(e.itlServer.length),
            f(q(e.ttftScript, 50)), f(q(e.ttftScript, 99)), f(q(e.ttftServer, 50)), f(q(e.ttftServer, 99)),
            f(q(e.itlScript, 50)), f(q(e.itlScript, 99)), f(q(e.itlServer, 50)), f(q(e.itlServer, 99)), f(r.eldP99), f(r.cpuPerChunkUs, 1),
          ]);
        }
      }
    } finally {
      await agent.close();
      await srv.stop();
    }
  }
  printTable(['protocol', 'c', 'ok', 'gaps', 'TTFT vs script p50', 'p99', 'TTFT vs server p50', 'p99', 'ITL vs script p50', 'p99', 'ITL vs server p50', 'p99', 'loop delay p99', 'client CPU µs/chunk'], rows);
}

async function ceiling() {
  console.log('\n## Ceiling — one client process (this one) against a scripted server in a child process, 2 shared cores');
  const rows: string[][] = [];
  // (a) Concurrent streams: all open at once, paced slowly, with their timing error.
  {
    const streams = quick ? 1000 : 5000;
    // Streams start over 4 s and last ~10 s, so all are open at once with phases spread over the second.
    const script: Script = { ttftMs: 200, itlMs: 1000, tokens: 11 };
    const srv = await ServerProc.start(script, true);
    const agent = newAgent();
    try {
      await load(agent, srv.url, 'vllm', 'completions', streams, streams, 'warm', 1); // open every connection first
      await srv.dump();
      const r = await load(agent, srv.url, 'vllm', 'completions', streams, streams, 'streams', script.tokens, 4000);
      const e = compare(r, await srv.dump(), script);
      rows.push([`${streams} streams, 1 token/s each, started over 4 s`, String(streams - e.failed), String(r.maxOpen), f(e.chunks / r.wallS, 0), f(q(e.ttftServer, 50)), f(q(e.ttftServer, 99)), f(q(e.itlServer, 50)), f(q(e.itlServer, 99)), f(r.eldP99), f(r.cpuPerChunkUs, 1)]);
    } finally {
      await agent.close();
      await srv.stop();
    }
  }
  // (b) Paced ramp: one token every 20 ms per stream; chunks/s = streams × 50.
  for (const c of quick ? [200, 400] : [400, 800, 1200, 1600]) {
    const script: Script = { ttftMs: 50, itlMs: 20, tokens: 64 };
    const srv = await ServerProc.start(script, true);
    const agent = newAgent();
    try {
      await load(agent, srv.url, 'vllm', 'completions', c, c, 'warm', 2);
      await srv.dump();
      const r = await load(agent, srv.url, 'vllm', 'completions', c, c * 2, `paced-${c}`, script.tokens, 1000);
      const e = compare(r, await srv.dump(), script);
      rows.push([`c=${c} paced 20 ms, started over 1 s (${c * 50}/s offered)`, String(c * 2 - e.failed), String(r.maxOpen), f(e.chunks / r.wallS, 0), f(q(e.ttftServer, 50)), f(q(e.ttftServer, 99)), f(q(e.itlServer, 50)), f(q(e.itlServer, 99)), f(r.eldP99), f(r.cpuPerChunkUs, 1)]);
    } finally {
      await agent.close();
      await srv.stop();
    }
  }
  // (c) Zero-delay server: raw chunk throughput (no timing target: the server writes in bursts).
  for (const c of [64, 256]) {
    const script: Script = { ttftMs: 0, itlMs: 0, tokens: 64 };
    const srv = await ServerProc.start(script, false);
    const agent = newAgent();
    try {
      await load(agent, srv.url, 'vllm', 'completions', c, c, 'warm', 2);
      const n = quick ? c * 4 : c * 16;
      const r = await load(agent, srv.url, 'vllm', 'completions', c, n, `zero-${c}`, script.tokens);
      const ok = r.samples.filter((s) => s.ok);
      const chunks = ok.reduce((a, s) => a + s.chunk_ms.length, 0);
      rows.push([`c=${c} zero-delay`, String(ok.length), String(r.maxOpen), f(chunks / r.wallS, 0), '-', '-', '-', '-', f(r.eldP99), f(r.cpuPerChunkUs, 1)]);
    } finally {
      await agent.close();
      await srv.stop();
    }
  }
  printTable(['load', 'ok', 'max open', 'chunks/s', 'TTFT err p50', 'p99', 'ITL err p50', 'p99', 'loop delay p99', 'client CPU µs/chunk'], rows);
  const cpus = rows.map((r) => Number(r[r.length - 1])).filter((x) => Number.isFinite(x) && x > 0);
  if (cpus.length) {
    const best = Math.min(...cpus);
    console.log(`Client CPU cost ${best.toFixed(1)}–${Math.max(...cpus).toFixed(1)} µs per chunk (all client threads) → a dedicated core could time ~${Math.round(1e6 / Math.max(...cpus)).toLocaleString('en-US')}–${Math.round(1e6 / best).toLocaleString('en-US')} chunks/s (extrapolation from CPU time, not a measured rate).`);
  }
  console.log('Errors are |measured − server-actual|, ms. Target: ≥ 5,000 concurrent streams and ≥ 40,000 chunks/s within p50 ≤ 1 ms, p99 ≤ 3 ms.');
}

console.log(`# llmbench load generator bench (${new Date().toISOString()}, node ${process.version}, ${(await import('node:os')).cpus().length} cores, load avg ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')})`);
if (!only || only === 'truth') await timingTruth();
if (!only || only === 'ceiling') await ceiling();
console.log(`\nload avg at the end: ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')} — figures taken on a machine shared with other jobs are contended; compare with the loop-delay column.`);
