/**
 * Where requests are timed: on the sweep's own thread (`localExecutor`, the default), or spread over worker
 * threads (`threadExecutor`, `--client-threads N`), each with its own event loop, undici Agent and token counter.
 * Per-chunk work (reads, parsing, stamps) is what limits one event loop; scheduling (closed/open loop, intended
 * send times, resume, progress, samples.ndjson) stays on the sweep's thread either way, so a sharded sweep writes
 * the same set of samples as an unsharded one (line order and timings differ).
 */
import { Worker } from 'node:worker_threads';
import { Agent } from 'undici';
import { executeRequest, getAdapter, type AdapterKind, type GenRequest, type SampleBase } from '../servers/adapters.js';
import type { Sample } from '../core/types/sample.js';
import { getTokenizer } from '../workload/tokenizer.js';
import { workerCounter } from '../workload/token-counter.js';
import { collectGarbage } from './gc.js';
import { EnvironmentError } from '../core/errors.js';
import { monotonicToSampleMs } from '../core/monoclock.js';
import { LoopMonitor, type LoopDelay } from './selfcheck.js';

/** One request, as plain data (it crosses to a worker thread by structured clone). */
export interface ExecRequest {
  kind: AdapterKind;
  api: string;
  url: string;
  req: GenRequest;
  base: SampleBase;
  headers?: Record<string, string>;
  timeoutMs: number;
  stallTimeoutMs: number;
}

export interface Executor {
  readonly threads: number;
  execute(r: ExecRequest, signal?: AbortSignal): Promise<Sample>;
  /** A measured window starts (nothing in flight): collect garbage and start the loop-delay monitors. */
  beginWindow(): Promise<void>;
  /** It ended: the worst loop delay over the sweep thread and every thread that timed requests. */
  endWindow(): Promise<LoopDelay>;
  close(): Promise<void>;
}

const worst = (ds: LoopDelay[]): LoopDelay => {
  const m = (k: keyof LoopDelay) =>
    ds.reduce<number | null>((a, d) => (d[k] == null ? a : a == null ? d[k] : Math.max(a, d[k] as number)), null);
  return { p90_ms: m('p90_ms'), p99_ms: m('p99_ms'), max_ms: m('max_ms') };
};

/** How a thread that times requests connects and counts tokens (the same for this thread and client threads). */
export interface ClientOptions {
  tokenizer: string;
  keepAliveTimeoutMs: number;
  connectTimeoutMs: number;
}

export interface ThreadOptions extends ClientOptions {
  threads: number;
}

/** Times requests on this thread, with its own connections (undici Agent) and token-counter thread. */
export function localExecutor(o: ClientOptions): Executor {
  const dispatcher = new Agent({
    keepAliveTimeout: o.keepAliveTimeoutMs,
    keepAliveMaxTimeout: 600_000,
    connections: null,
    pipelining: 1,
    connect: { timeout: o.connectTimeoutMs },
  });
  const counter = workerCounter(getTokenizer(o.tokenizer));
  const mon = new LoopMonitor();
  return {
    threads: 1,
    execute: (r, signal) => executeRequest({ ...r, adapter: getAdapter(r.kind), dispatcher, counter, signal }),
    async beginWindow() {
      collectGarbage();
      mon.start();
    },
    endWindow: async () => mon.stop(),
    async close() {
      await Promise.allSettled([dispatcher.close(), counter.close()]);
    },
  };
}

type FromWorker =
  | { type: 'ready' }
  | { type: 'sample'; id: number; sample: Sample }
  | { type: 'window'; delay: LoopDelay }
  | { type: 'fatal'; message: string; stack?: string };

/** Stamps taken on another thread, moved to this thread's sample clock (`shift` ms); intended_send_ms is ours. */
export function shiftSample(s: Sample, shift: number): Sample {
  s.sent_ms += shift;
  if (s.headers_ms != null) s.headers_ms += shift;
  if (s.end_ms != null) s.end_ms += shift;
  for (let i = 0; i < s.chunk_ms.length; i++) s.chunk_ms[i] += shift;
  return s;
}

const READY_TIMEOUT_MS = 60_000;

const threadError = (message: string, cause?: unknown) =>
  new EnvironmentError('client-thread-failed', message, {
    hint: 'A client thread stopped (out of memory, or a bug). Every finished request is in samples.ndjson: continue with --resume, or rerun with --client-threads 1. LLMBENCH_DEBUG=1 prints the stack.',
    cause,
  });

interface Slot {
  w: Worker;
  inflight: number;
  exited: boolean;
  windowWaiters: { resolve: (d: LoopDelay) => void; reject: (e: Error) => void }[];
}

/** What every client thread's handlers share: the slots, the requests awaiting a sample, the first failure. */
interface Pool {
  workers: Slot[];
  pending: Map<number, { resolve: (s: Sample) => void; reject: (e: Error) => void }>;
  nextId: number;
  rr: number;
  failure: Error | null;
  closing: boolean;
}

/** Any thread failing fails every request in flight and every later call: nothing may wait for a dead thread. */
function failPool(pool: Pool, e: Error): void {
  pool.failure ??= e;
  for (const p of pool.pending.values()) p.reject(pool.failure);
  pool.pending.clear();
  for (const s of pool.workers) for (const w of s.windowWaiters.splice(0)) w.reject(pool.failure);
}

/** Settles a thread's start: ready, or failed before it was. */
interface StartWaiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

/** A message from client thread i: it started, a sample, a window's loop delay, or a fatal error. */
function onWorkerMessage(pool: Pool, slot: Slot, i: number, m: FromWorker, started: StartWaiter): void {
  if (m.type === 'ready') started.resolve();
  else if (m.type === 'sample') {
    const p = pool.pending.get(m.id);
    if (!p) return;
    pool.pending.delete(m.id);
    slot.inflight--;
    p.resolve(m.sample);
  } else if (m.type === 'window') slot.windowWaiters.shift()?.resolve(m.delay);
  else if (m.type === 'fatal') {
    const e = threadError(
      `client thread ${i} failed: ${m.message}`,
      Object.assign(new Error(m.message), { stack: m.stack }),
    );
    started.reject(e);
    failPool(pool, e);
  }
}

/** Starts client thread i; resolves once it reports ready (bounded by READY_TIMEOUT_MS). */
function spawnThread(o: ThreadOptions, pool: Pool, i: number): Promise<void> {
  // Stamps are moved to this thread's clock: both sides know their offset from CLOCK_MONOTONIC.
  const w = new Worker(new URL('./request-worker.mjs', import.meta.url), {
    workerData: {
      tokenizer: o.tokenizer,
      keepAliveTimeoutMs: o.keepAliveTimeoutMs,
      connectTimeoutMs: o.connectTimeoutMs,
      sampleOffsetMs: monotonicToSampleMs(),
    },
  });
  const slot: Slot = { w, inflight: 0, exited: false, windowWaiters: [] };
  pool.workers.push(slot);
  return new Promise<void>((resolve, reject) => {
    const t = setTimeout(
      () => reject(threadError(`client thread ${i} did not start within ${READY_TIMEOUT_MS / 1000} s`)),
      READY_TIMEOUT_MS,
    );
    t.unref();
    const started: StartWaiter = {
      resolve: () => {
        clearTimeout(t);
        resolve();
      },
      reject,
    };
    w.on('message', (m: FromWorker) => onWorkerMessage(pool, slot, i, m, started));
    w.on('error', (e) => {
      const err = threadError(`client thread ${i} failed: ${e.message}`, e);
      reject(err);
      failPool(pool, err);
    });
    w.on('exit', (code) => {
      slot.exited = true;
      const err = threadError(`client thread ${i} exited with code ${code}`);
      reject(err);
      if (pool.closing) for (const x of slot.windowWaiters.splice(0)) x.reject(err);
      else failPool(pool, err);
    });
  });
}

/** The thread with the fewest requests in flight (ties: round robin). */
function pickSlot(pool: Pool): Slot {
  const { workers, rr } = pool;
  let wi = rr;
  for (let k = 1; k < workers.length; k++) {
    const i = (rr + k) % workers.length;
    if (workers[i].inflight < workers[wi].inflight) wi = i;
  }
  pool.rr = (rr + 1) % workers.length;
  return workers[wi];
}

/** Sends one request to a client thread; its sample (or the pool's failure) settles the promise. */
function executeOnThread(pool: Pool, r: ExecRequest, signal?: AbortSignal): Promise<Sample> {
  if (pool.failure) return Promise.reject(pool.failure);
  const slot = pickSlot(pool);
  const id = pool.nextId++;
  slot.inflight++;
  return new Promise<Sample>((resolve, reject) => {
    const onAbort = () => slot.w.postMessage({ type: 'abort', id });
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => signal?.removeEventListener('abort', onAbort);
    pool.pending.set(id, { resolve: (x) => (done(), resolve(x)), reject: (e) => (done(), reject(e)) });
    slot.w.postMessage({ type: 'exec', id, r, aborted: signal?.aborted ?? false });
  });
}

/** Asks one thread to begin or end its measured window; resolves with its loop delay. */
function askWindow(pool: Pool, slot: Slot, type: 'begin' | 'end'): Promise<LoopDelay> {
  return new Promise<LoopDelay>((resolve, reject) => {
    if (pool.failure) return reject(pool.failure);
    if (slot.exited) return reject(threadError('a client thread has exited'));
    slot.windowWaiters.push({ resolve, reject });
    slot.w.postMessage({ type });
  });
}

/** Asks every live thread to close (terminated after 5 s); whatever still waits then fails instead of hanging. */
async function closeThreads(pool: Pool): Promise<void> {
  pool.closing = true;
  await Promise.all(
    pool.workers.map((s) =>
      s.exited
        ? undefined
        : new Promise<void>((resolve) => {
            s.w.once('exit', () => resolve());
            s.w.postMessage({ type: 'close' });
            setTimeout(() => void s.w.terminate(), 5000).unref();
          }),
    ),
  );
  // Nothing can answer now: whatever was still waiting fails instead of hanging.
  failPool(pool, threadError('client threads closed with requests in flight'));
}

/** N worker threads; each request goes to the thread with the fewest in flight (ties: round robin). */
export async function threadExecutor(o: ThreadOptions): Promise<Executor> {
  const pool: Pool = { workers: [], pending: new Map(), nextId: 0, rr: 0, failure: null, closing: false };
  // The sweep thread still schedules, re-issues and writes samples: its lag counts too.
  const mon = new LoopMonitor();
  const ready = Array.from({ length: o.threads }, (_, i) => spawnThread(o, pool, i));
  try {
    await Promise.all(ready);
  } catch (e) {
    pool.closing = true;
    await Promise.all(pool.workers.map((s) => s.w.terminate()));
    throw e;
  }
  return {
    threads: o.threads,
    execute: (r, signal) => executeOnThread(pool, r, signal),
    async beginWindow() {
      collectGarbage(); // this thread holds the samples: the heap that grows
      await Promise.all(pool.workers.map((s) => askWindow(pool, s, 'begin')));
      mon.start();
    },
    async endWindow() {
      const own = mon.stop();
      return worst([own, ...(await Promise.all(pool.workers.map((s) => askWindow(pool, s, 'end'))))]);
    },
    close: () => closeThreads(pool),
  };
}
