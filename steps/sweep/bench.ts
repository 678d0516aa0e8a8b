/**
 * `npm run bench:loadgen`: how truthful and how fast the load generator is, printed as tables.
 *
 * The scripted server runs in a child process (it must not share the client's event loop). Both processes read
 * CLOCK_MONOTONIC, one clock for the whole machine, so every server event (request received, chunk written) is
 * placed on the client's time axis. That splits a TTFT/ITL difference into what the client got wrong and what the
 * server really did:
 * - "vs script": |measured − scripted| (50 ms to the first token, then 20 ms), the issue's literal figure. It
 *   includes the fixture server's own lateness, e.g. a single Node event loop reading 256 simultaneous requests
 *   one after another: that delay is real server latency, and the client is right to include it in TTFT.
 * - "client error": what the client adds. TTFT: (first chunk's receive stamp − the server's write of it) +
 *   (request handed to the kernel − send stamp); an upper bound, as loopback transit counts against us. ITL:
 *   |measured gap − gap between the server's two writes|.
 * 1. Timing truth: each protocol at c = 1, 16, 256 (256 twice: simultaneous starts, and starts spread over 100 ms).
 * 2. Ceiling: 5,000 concurrent streams; chunks/s against a zero-delay server (the issue's definition); and a paced
 *    ramp (one event per network read, the costliest shape) to show where timing degrades.
 * Flags: --quick (smaller counts, a smoke run), --only floor|truth|ceiling, --levels 1,256 and --protocol vllm|tgi|triton
 * (narrow the timing-truth run), --case streams|zero|paced (one ceiling case), --repeat N (runs per floor and
 * timing-truth case, median shown; default 3), --client-threads N (time requests on N worker threads, as the sweep's
 * flag; the send-stamp part of TTFT client error is then not measured). Debug output: env BENCH_TRACE (where TTFT time goes), BENCH_GC (each
 * collection inside a measured load), BENCH_CPU (user/system CPU per chunk), env BENCH_SERVER_PROF=<dir> (V8 CPU profile of the server child).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { nowMs, type AdapterKind } from '../adapters/index.js';
import type { Script } from '../adapters/scripted-server.js';
import type { Sample } from '../core/types/sample.js';
import { percentile } from '../metrics/derive.js';
import { monotonicMs, monotonicToSampleMs } from '../core/monoclock.js';
import { localExecutor, threadExecutor, type ExecRequest, type Executor } from './executor.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVER = path.join(HERE, '..', 'adapters', 'scripted-server.ts');
const quick = process.argv.includes('--quick');
const flag = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const only = flag('--only');
const levelsFlag = flag('--levels')?.split(',').map(Number);
const protocolFlag = flag('--protocol');
const caseFlag = flag('--case');
/** As `llmbench sweep --client-threads`: time requests on N worker threads. */
const clientThreads = Math.max(1, Number(flag('--client-threads') ?? 1));
/** Each floor and timing-truth case runs this many times; tables show the median (p99s vary 2–3× run to run here). */
const repeats = Math.max(1, Number(flag('--repeat') ?? (quick ? 1 : 3)));
const TARGET = { p50: 1, p99: 3 };

interface ServerLog {
  prompt: string;
  /** Server performance.now() ms: when the request's headers were parsed, and when each output chunk was written. */
  recvMs: number;
  writeMs: number[];
}
interface Dump {
  /** Add to the server's ms for CLOCK_MONOTONIC ms. */
  hrOffsetMs: number;
  /** Server CPU time since the previous dump. */
  cpuUs: number;
  logs: ServerLog[];
}

class ServerProc {
  private buf = '';
  private waiters: ((line: string) => void)[] = [];
  private constructor(
    private child: ChildProcessByStdio<Writable, Readable, null>,
    readonly url: string,
  ) {}

  static async start(script: Script, log: boolean): Promise<ServerProc> {
    const prof = process.env.BENCH_SERVER_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_SERVER_PROF] : [];
    const child = spawn(process.execPath, [...prof, '--import', 'tsx', SERVER, JSON.stringify({ script, log })], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
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

  dump(): Promise<Dump> {
    return new Promise((resolve) => {
      this.waiters.push((line) => resolve(JSON.parse(line) as Dump));
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

/** CLOCK_MONOTONIC ms → this process's sample clock; with the server's hrOffsetMs, one time axis for both. */
const CLIENT_OFFSET = monotonicToSampleMs();

/** When undici handed each request's body to the kernel (its diagnostics channel fires right after the write). */
const bodySent: [number, unknown][] = [];
diagnostics.subscribe('undici:request:bodySent', (m) =>
  bodySent.push([nowMs(), (m as { request: { body: unknown } }).request.body]),
);
const PROMPT_RE = /bench [^"\\]+ request \d+/;

interface LoadResult {
  samples: Sample[];
  prompts: string[];
  /** Prompt → when its request was handed to the kernel. */
  written: Map<string, number>;
  wallS: number;
  eldP99: number | null;
  /** Client GC pauses during the load (main thread), ms: a pause delays every stamp behind it. */
  gcMaxMs: number;
  gcTotalMs: number;
  maxOpen: number;
  chunks: number;
  /** Client CPU time (user + system, all threads) per output chunk, µs. */
  cpuPerChunkUs: number;
}

/**
 * The sweep's executors: this thread, or --client-threads N worker threads. One per scripted server, so its
 * connections and its token-counter thread (the tokenizer takes ~150 ms of CPU to load) are set up by the warm-up
 * loads, not inside a measured one.
 */
const CLIENT = { tokenizer: 'mistral', keepAliveTimeoutMs: 60_000, connectTimeoutMs: 60_000 };
const newExec = async (): Promise<Executor> =>
  clientThreads > 1 ? threadExecutor({ ...CLIENT, threads: clientThreads }) : localExecutor(CLIENT);

/** Client GC pauses inside a load (main thread); NaN with client threads: this thread does not time requests. */
class GcWatch {
  maxMs = clientThreads > 1 ? NaN : 0;
  totalMs = clientThreads > 1 ? NaN : 0;
  /** The load's start: the collection forced before the window is reported late, and is not inside it. */
  t0 = Infinity;
  private readonly obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.startTime < this.t0) continue;
      if (process.env.BENCH_GC)
        console.log(
          `  gc kind ${(e as unknown as { detail?: { kind?: number } }).detail?.kind} ${e.duration.toFixed(2)} ms at ${(e.startTime - this.t0).toFixed(0)} ms into the load`,
        );
      this.maxMs = Math.max(this.maxMs, e.duration);
      this.totalMs += e.duration;
    }
  });
  constructor() {
    if (clientThreads === 1) this.obs.observe({ entryTypes: ['gc'] });
  }
  stop(): void {
    this.obs.disconnect();
  }
}

/** One bench request as the sweep sends it: ignore_eos, exactly maxTokens, measured, sent now. */
function benchRequest(
  url: string,
  kind: AdapterKind,
  api: string,
  c: number,
  i: number,
  prompt: string,
  maxTokens: number,
  timeoutS: number,
): ExecRequest {
  return {
    kind,
    api,
    url,
    timeoutMs: timeoutS * 1000,
    stallTimeoutMs: timeoutS * 1000,
    req: { model: 'mistral', prompt, maxTokens, ignoreEos: true, temperature: 0 },
    base: {
      run_id: 'bench',
      backend: kind,
      concurrency: c,
      rate: null,
      trial: 0,
      seq: i,
      prompt_index: i,
      warmup: false,
      intended_send_ms: nowMs(),
      input_tokens: { requested: null, client: null, server: null },
    },
  };
}

/** Prompt → when undici handed its request to the kernel, from the diagnostics channel's records. */
function writtenStamps(): Map<string, number> {
  const written = new Map<string, number>();
  for (const [t, body] of bodySent) {
    const m = PROMPT_RE.exec(String(body));
    if (m) written.set(m[0], t);
  }
  return written;
}

/** Most streams open at once: sweep over [first chunk, last chunk] intervals. */
function maxOpenStreams(samples: Sample[]): number {
  const ev: [number, number][] = [];
  for (const s of samples) if (s.chunk_ms.length) ev.push([s.chunk_ms[0], 1], [s.chunk_ms[s.chunk_ms.length - 1], -1]);
  ev.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0,
    maxOpen = 0;
  for (const [, d] of ev) maxOpen = Math.max(maxOpen, (open += d));
  return maxOpen;
}

/** Closed loop through the real adapter and client, as the sweep sends them; worker i starts after i·rampMs/c. */
async function load(
  exec: Executor,
  url: string,
  kind: AdapterKind,
  api: string,
  c: number,
  n: number,
  tag: string,
  maxTokens: number,
  rampMs = 0,
  timeoutS = 120,
): Promise<LoadResult> {
  const samples: Sample[] = [];
  const prompts: string[] = [];
  let next = 0;
  bodySent.length = 0;
  await exec.beginWindow(); // as the sweep does before each measured window: GC, loop-delay monitors
  const gc = new GcWatch();
  const t0 = performance.now();
  gc.t0 = t0;
  const cpu0 = process.cpuUsage();
  const worker = async (w: number) => {
    if (rampMs > 0) await new Promise((r) => setTimeout(r, (w * rampMs) / c));
    for (;;) {
      const i = next++;
      if (i >= n) return;
      const prompt = `bench ${tag} request ${i}`;
      prompts[i] = prompt;
      samples[i] = await exec.execute(benchRequest(url, kind, api, c, i, prompt, maxTokens, timeoutS));
    }
  };
  await Promise.all(Array.from({ length: Math.min(c, n) }, (_, w) => worker(w)));
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const eld = await exec.endWindow();
  gc.stop();
  const written = writtenStamps();
  const maxOpen = maxOpenStreams(samples);
  const chunks = samples.reduce((a, s) => a + s.chunk_ms.length, 0);
  if (process.env.BENCH_CPU)
    console.log(
      `  ${tag}: user ${(cpu.user / chunks).toFixed(1)} sys ${(cpu.system / chunks).toFixed(1)} µs/chunk over ${chunks} chunks, wall ${wallS.toFixed(2)} s`,
    );
  return {
    samples,
    prompts,
    written,
    wallS,
    eldP99: eld.p99_ms,
    gcMaxMs: gc.maxMs,
    gcTotalMs: gc.totalMs,
    maxOpen,
    chunks,
    cpuPerChunkUs: chunks ? (cpu.user + cpu.system) / chunks : NaN,
  };
}

interface Errors {
  ttftScript: number[];
  itlScript: number[];
  ttftClient: number[];
  itlClient: number[];
  /** Send stamp → the fixture server parsed the request (transit + the server's queue), ms. */
  queue: number[];
  failed: number;
  chunks: number;
  trace?: { deliver: number[]; send: number[] };
}

function compare(r: LoadResult, d: Dump, script: Script): Errors {
  const byPrompt = new Map(d.logs.map((l) => [l.prompt, l]));
  const toClient = (t: number) => t + d.hrOffsetMs + CLIENT_OFFSET;
  const e: Errors = { ttftScript: [], itlScript: [], ttftClient: [], itlClient: [], queue: [], failed: 0, chunks: 0 };
  r.samples.forEach((s, i) => {
    const log = byPrompt.get(r.prompts[i]);
    // undici's diagnostics channel is per thread: with client threads the send-stamp bound is not measured (0).
    const written = r.written.get(r.prompts[i]) ?? (clientThreads > 1 ? s.sent_ms : undefined);
    if (!s.ok || !log || written === undefined || !log.writeMs.length) {
      e.failed++;
      return;
    }
    e.chunks += s.chunk_ms.length;
    const ttft = s.chunk_ms[0] - s.sent_ms;
    e.ttftScript.push(Math.abs(ttft - script.ttftMs));
    const deliver = Math.abs(s.chunk_ms[0] - toClient(log.writeMs[0]));
    e.ttftClient.push(deliver + Math.max(0, written - s.sent_ms));
    if (process.env.BENCH_TRACE) {
      e.trace ??= { deliver: [], send: [] };
      e.trace.deliver.push(deliver);
      e.trace.send.push(written - s.sent_ms);
    }
    e.queue.push(toClient(log.recvMs) - s.sent_ms);
    const n = Math.min(s.chunk_ms.length, log.writeMs.length);
    for (let k = 1; k < n; k++) {
      const gap = s.chunk_ms[k] - s.chunk_ms[k - 1];
      e.itlScript.push(Math.abs(gap - script.itlMs));
      e.itlClient.push(Math.abs(gap - (log.writeMs[k] - log.writeMs[k - 1])));
    }
  });
  return e;
}

const q = (xs: number[], p: number) => (xs.length ? percentile(Float64Array.from(xs).sort(), p) : NaN);
const f = (x: number | null, d = 2) => (x == null || !Number.isFinite(x) ? '-' : x.toFixed(d));
const median = (xs: number[]) => q(xs.filter(Number.isFinite), 50);
const range = (xs: number[]) => (xs.length > 1 ? `${f(Math.min(...xs))}–${f(Math.max(...xs))}` : '-');
const meets = (xs: number[]) => xs.length > 0 && q(xs, 50) <= TARGET.p50 && q(xs, 99) <= TARGET.p99;

function printTable(head: string[], rows: string[][]) {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    '| ' + r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' | ') + ' |';
  console.log(line(head));
  console.log('|' + w.map((x, i) => (i === 0 ? '-'.repeat(x + 2) : '-'.repeat(x + 1) + ':')).join('|') + '|');
  for (const r of rows) console.log(line(r));
}

/** JIT-warm both processes (a cold V8 makes the fixture, not the client, late) and open c keep-alive connections. */
async function warm(exec: Executor, srv: ServerProc, kind: AdapterKind, api: string, c: number): Promise<void> {
  await load(exec, srv.url, kind, api, 32, quick ? 100 : 400, `jit-${kind}`, 4);
  await load(exec, srv.url, kind, api, c, c, `conn-${kind}-${c}`, 2);
  await srv.dump();
}

/**
 * The machine's own floor: the same burst shape (c connections, one message each every 20 ms) over raw TCP to a
 * minimal reader, no HTTP or SSE or JSON. Its delivery lateness is what any client in a Node process gets here
 * (vCPU wake-up, scheduling, loopback), so the load generator's error is judged against it.
 */
async function floor(c: number, itlMs = 20, count = 64): Promise<{ late: number[]; gap: number[] }> {
  const child = spawn(
    process.execPath,
    [path.join(HERE, 'floor-emitter.mjs'), String(itlMs), String(count), String(c)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(Number(/listening (\d+)/.exec(String(d))?.[1])));
    child.once('exit', (code) => reject(new Error(`floor emitter exited with ${code}`)));
  });
  const late: number[] = [];
  const gap: number[] = [];
  const done: Promise<void>[] = [];
  const sockets: net.Socket[] = [];
  for (let i = 0; i < c; i++) {
    const sock = net.connect({ port, host: '127.0.0.1', noDelay: true });
    sockets.push(sock);
    let buf = '';
    let prev: [number, number] | null = null;
    sock.on('data', (d: Buffer) => {
      const at = monotonicMs();
      buf += d.toString('latin1');
      let j;
      while ((j = buf.indexOf('\n')) >= 0) {
        const sent = Number(buf.slice(0, j));
        buf = buf.slice(j + 1);
        late.push(at - sent);
        if (prev) gap.push(Math.abs(at - prev[0] - (sent - prev[1])));
        prev = [at, sent];
      }
    });
    done.push(new Promise((r) => sock.once('close', () => r())));
    await new Promise((r) => sock.once('connect', r));
  }
  child.stdin.write('go\n');
  await Promise.all(done);
  child.stdin.end();
  return { late, gap };
}

async function machineFloor(): Promise<void> {
  console.log(
    '\n## Machine floor — raw TCP, same burst shape (c streams, one message each every 20 ms, 64 each), minimal reader',
  );
  console.log(
    `Delivery lateness = receive − send on CLOCK_MONOTONIC; gap error = |receive gap − send gap|; ms, median of ${repeats} run(s) [p99 range]. The load generator cannot beat this.\n`,
  );
  const rows: string[][] = [];
  for (const c of levelsFlag ?? (quick ? [1, 16] : [1, 16, 256])) {
    const figs: number[][] = [];
    for (let i = 0; i < repeats; i++) {
      const { late, gap } = await floor(c);
      figs.push([late.length, q(late, 50), q(late, 99), Math.max(...late), q(gap, 50), q(gap, 99)]);
    }
    const m = (k: number) => median(figs.map((x) => x[k]));
    rows.push([`c=${c}`, String(m(0)), f(m(1)), f(m(2)), f(m(3)), f(m(4)), f(m(5)), range(figs.map((x) => x[5]))]);
  }
  printTable(['streams', 'messages', 'lateness p50', 'p99', 'max', 'gap error p50', 'p99', 'gap p99 range'], rows);
}

interface TruthRow {
  row: string[];
  verdict: { label: string; script: boolean; client: boolean };
}

/** One timing-truth case (protocol, c, ramp), `repeats` times: each figure is the median over the repeats. */
async function truthCase(
  exec: Executor,
  srv: ServerProc,
  p: (typeof PROTOCOLS)[number],
  script: Script,
  c: number,
  ramp: number,
): Promise<TruthRow> {
  const n = c === 1 ? (quick ? 3 : 10) : c === 16 ? (quick ? 16 : 32) : c;
  // One row per case: each figure is the median over the repeats (p99 varies 2–3× from run to run here).
  const figs: number[][] = [];
  let ok = 0,
    gaps = 0;
  for (let rep = 0; rep < repeats; rep++) {
    const r = await load(exec, srv.url, p.kind, p.api, c, n, `${p.kind}-c${c}-${ramp}-${rep}`, script.tokens, ramp);
    const dump = await srv.dump();
    const e = compare(r, dump, script);
    if (process.env.BENCH_TRACE) {
      const span = (xs: number[]) => f(Math.max(...xs) - Math.min(...xs));
      console.log(
        `  c=${c} ramp ${ramp}: send stamps span ${span(r.samples.map((s) => s.sent_ms))} ms, writes span ${span([...r.written.values()])} ms, server receipts span ${span(dump.logs.map((l) => l.recvMs))} ms`,
      );
    }
    ok += n - e.failed;
    gaps += e.itlClient.length;
    figs.push([
      ...[e.ttftScript, e.itlScript, e.ttftClient, e.itlClient, e.queue].flatMap((xs) => [q(xs, 50), q(xs, 99)]),
      r.eldP99 ?? NaN,
      r.gcMaxMs,
      r.cpuPerChunkUs,
    ]);
  }
  const m = (k: number) => median(figs.map((x) => x[k]));
  const within = (k50: number, k99: number) => m(k50) <= TARGET.p50 && m(k99) <= TARGET.p99;
  const label = `${p.label} c=${c}${ramp ? ` ramp ${ramp} ms` : ''}`;
  return {
    verdict: { label, script: within(0, 1) && within(2, 3), client: within(4, 5) && within(6, 7) },
    row: [
      p.label,
      ramp ? `${c} (ramp ${ramp} ms)` : String(c),
      `${ok}/${n * repeats}`,
      String(gaps),
      ...Array.from({ length: 10 }, (_, k) => f(m(k))),
      range(figs.map((x) => x[7])),
      f(m(10)),
      f(m(11), 1),
      f(m(12), 1),
    ],
  };
}

/** Every level (256 twice: simultaneous starts, and starts spread over 100 ms) of one protocol, on a fresh server. */
async function truthProtocol(p: (typeof PROTOCOLS)[number], script: Script, levels: number[]): Promise<TruthRow[]> {
  const out: TruthRow[] = [];
  const srv = await ServerProc.start({ ...script, promptTokens: 8 }, true);
  const exec = await newExec();
  try {
    await warm(exec, srv, p.kind, p.api, Math.max(...levels));
    for (const c of levels) {
      for (const ramp of c >= 256 ? [0, 100] : [0]) out.push(await truthCase(exec, srv, p, script, c, ramp));
    }
  } finally {
    await exec.close();
    await srv.stop();
  }
  return out;
}

async function timingTruth(): Promise<void> {
  const script: Script = { ttftMs: 50, itlMs: 20, tokens: 64 };
  console.log(
    `\n## Timing truth — scripted server (child process): first token after ${script.ttftMs} ms, then every ${script.itlMs} ms, ${script.tokens} tokens`,
  );
  console.log(
    `Errors in ms, median of ${repeats} run(s) per row; target p50 ≤ ${TARGET.p50}, p99 ≤ ${TARGET.p99}. "fixture queue" = send stamp → the server parsed the request, inside "TTFT vs script".\n`,
  );
  const results: TruthRow[] = [];
  const levels = levelsFlag ?? (quick ? [1, 16] : [1, 16, 256]);
  for (const p of PROTOCOLS.filter((x) => !protocolFlag || x.kind === protocolFlag))
    results.push(...(await truthProtocol(p, script, levels)));
  printTable(
    [
      'protocol',
      'c',
      'ok',
      'gaps',
      'TTFT vs script p50',
      'p99',
      'ITL vs script p50',
      'p99',
      'TTFT client error p50',
      'p99',
      'ITL client error p50',
      'p99',
      'fixture queue p50',
      'p99',
      'ITL client p99 range',
      'loop delay p99',
      'client GC max',
      'client CPU µs/chunk',
    ],
    results.map((x) => x.row),
  );
  const verdicts = results.map((x) => x.verdict);
  const say = (k: 'script' | 'client', what: string) => {
    const m = verdicts.filter((v) => !v[k]).map((v) => v.label);
    console.log(
      `${what}: target met in ${verdicts.length - m.length} of ${verdicts.length} rows${m.length ? `; not met: ${m.join(', ')}` : ''}.`,
    );
  };
  say('client', 'Client error (what the load generator adds)');
  say('script', "Against the script (includes the fixture server's own lateness)");
}

type CeilingKind = 'streams' | 'zero' | 'paced';
interface CeilingFound {
  kind: CeilingKind;
  streams: number;
  chunksPerS: number;
  ok: boolean;
}

/** One ceiling case on a fresh server: JIT both sides, open every connection, then the measured load. */
async function ceilingCase(
  kind: CeilingKind,
  label: string,
  script: Script,
  c: number,
  n: number,
  rampMs: number,
  warmN: number,
): Promise<{ row: string[]; found: CeilingFound }> {
  const srv = await ServerProc.start({ ...script, promptTokens: 8 }, true);
  const exec = await newExec();
  try {
    await load(exec, srv.url, 'vllm', 'completions', Math.min(c, 64), warmN, 'jit', 2); // JIT both sides
    await load(exec, srv.url, 'vllm', 'completions', c, c, 'conn', 1); // open every connection first
    await srv.dump();
    const r = await load(exec, srv.url, 'vllm', 'completions', c, n, `${kind}-${c}`, script.tokens, rampMs);
    const d = await srv.dump();
    const e = compare(r, d, script);
    if (e.trace)
      console.log(
        `  ${label}: first-chunk delivery p50/p99 ${f(q(e.trace.deliver, 50))}/${f(q(e.trace.deliver, 99))}, send stamp → written p50/p99 ${f(q(e.trace.send, 50))}/${f(q(e.trace.send, 99))}`,
      );
    const chunksPerS = e.chunks / r.wallS;
    const ok = e.failed === 0 && meets(e.ttftClient) && meets(e.itlClient);
    const row = [
      label,
      String(n - e.failed),
      String(r.maxOpen),
      f(chunksPerS, 0),
      f(q(e.ttftClient, 50)),
      f(q(e.ttftClient, 99)),
      f(q(e.itlClient, 50)),
      f(q(e.itlClient, 99)),
      f(r.eldP99),
      f(r.gcMaxMs, 1),
      f(r.cpuPerChunkUs, 1),
      f(d.cpuUs / Math.max(1, e.chunks), 1),
      ok ? 'yes' : 'no',
    ];
    return { row, found: { kind, streams: r.maxOpen, chunksPerS, ok } };
  } finally {
    await exec.close();
    await srv.stop();
  }
}

/** The ceiling cases (or the one --case names): arguments of ceilingCase. */
function ceilingCases(): Parameters<typeof ceilingCase>[] {
  const cases: Parameters<typeof ceilingCase>[] = [];
  // (a) Concurrent streams, held open (one token a second) with phases spread over the second.
  const streams = quick ? 1000 : 5000;
  const held = { ttftMs: 200, itlMs: 1000, tokens: 11 };
  cases.push(['streams', `${streams} streams, 1 token/s each, started over 4 s`, held, streams, streams, 4000, 400]);
  // (b) Zero-delay server: each stream's next chunk as soon as its timer fires; chunks/s is what the pair sustains.
  for (const c of quick ? [64, 256] : [64, 256, 1024])
    cases.push([
      'zero',
      `c=${c} zero-delay server, 64 tokens`,
      { ttftMs: 0, itlMs: 0, tokens: 64 },
      c,
      c * (quick ? 2 : 8),
      0,
      400,
    ]);
  // (c) Paced: one token every 20 ms per stream, so every network read carries one event (the costliest shape).
  for (const c of quick ? [200] : [200, 400, 800])
    cases.push([
      'paced',
      `c=${c} paced 20 ms, started over 1 s (${(c * 50).toLocaleString('en-US')}/s offered)`,
      { ttftMs: 50, itlMs: 20, tokens: 64 },
      c,
      c * 2,
      1000,
      400,
    ]);
  return cases.filter(([kind]) => !caseFlag || caseFlag === kind);
}

async function ceiling(): Promise<void> {
  console.log(
    '\n## Ceiling — one sweep process (this one) against a scripted server in a child process, 2 shared cores',
  );
  console.log(
    `Client error as above (ms, target p50 ≤ ${TARGET.p50}, p99 ≤ ${TARGET.p99}); CPU per chunk includes kernel time.\n`,
  );
  const rows: string[][] = [];
  const found: CeilingFound[] = [];
  for (const args of ceilingCases()) {
    const r = await ceilingCase(...args);
    rows.push(r.row);
    found.push(r.found);
  }
  printTable(
    [
      'load',
      'ok',
      'max open',
      'chunks/s',
      'TTFT client error p50',
      'p99',
      'ITL client error p50',
      'p99',
      'loop delay p99',
      'client GC max',
      'client CPU µs/chunk',
      'server CPU µs/chunk',
      'within target',
    ],
    rows,
  );
  console.log(ceilingSummary(found));
}

/** One line per case that ran: the best figure within the target (p50 and p99 both), or "none". */
function ceilingSummary(found: CeilingFound[]): string {
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
  const best = (k: CeilingKind, key: 'streams' | 'chunksPerS') =>
    Math.max(0, ...found.filter((x) => x.kind === k && x.ok).map((x) => x[key]));
  const ran = (k: CeilingKind) => found.some((x) => x.kind === k);
  const parts: string[] = [];
  if (ran('streams')) {
    const m = best('streams', 'streams');
    parts.push(
      `concurrent streams within target: ${m ? fmt(m) : 'none'} (target ≥ 5,000: ${m >= 5000 ? 'met' : 'not met'})`,
    );
  }
  if (ran('zero')) {
    const m = best('zero', 'chunksPerS');
    parts.push(
      `chunks/s within target against the zero-delay server: ${m ? fmt(m) : 'none'} (target ≥ 40,000: ${m >= 40_000 ? 'met' : 'not met'})`,
    );
  }
  if (ran('paced')) {
    const m = best('paced', 'chunksPerS');
    parts.push(`paced, one event per read: ${m ? fmt(m) : 'none'} within target (no target; shows the per-read cost)`);
  }
  return parts.join('; ') + '.';
}

const load1 = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
console.log(
  `# llmbench load generator bench (${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} cores, load avg ${load1()}${clientThreads > 1 ? `, ${clientThreads} client threads` : ''})`,
);
if (!only || only === 'floor' || only === 'truth') await machineFloor();
if (!only || only === 'truth') await timingTruth();
if (!only || only === 'ceiling') await ceiling();
console.log(
  `\nload avg at the end: ${load1()} — figures taken on a machine shared with other jobs are contended; compare with the loop-delay column.`,
);
