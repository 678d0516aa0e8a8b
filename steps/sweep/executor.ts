/**
 * Where requests are timed: on the sweep's own thread (`localExecutor`, the default), or spread over worker
 * threads (`threadExecutor`, `--client-threads N`), each with its own event loop, undici Agent and token counter.
 * Per-chunk work (reads, parsing, stamps) is what limits one event loop; scheduling (closed/open loop, intended
 * send times, resume, progress, samples.ndjson) stays on the sweep's thread either way, so a sharded sweep writes
 * exactly the samples an unsharded one would.
 */
import { Worker } from 'node:worker_threads';
import type { Agent } from 'undici';
import { executeRequest, getAdapter, type AdapterKind, type GenRequest, type SampleBase } from '../adapters/index.js';
import type { Sample } from '../core/types/sample.js';
import type { TokenCounter } from '../workload/token-counter.js';
import { collectGarbage } from './gc.js';
import { monotonicToSampleMs } from './monoclock.js';
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
  /** It ended: the worst loop delay over every thread that timed requests. */
  endWindow(): Promise<LoopDelay>;
  close(): Promise<void>;
}

const worst = (ds: LoopDelay[]): LoopDelay => {
  const m = (k: keyof LoopDelay) => ds.reduce<number | null>((a, d) => (d[k] == null ? a : a == null ? d[k] : Math.max(a, d[k] as number)), null);
  return { p90_ms: m('p90_ms'), p99_ms: m('p99_ms'), max_ms: m('max_ms') };
};

export function localExecutor(dispatcher: Agent, counter: TokenCounter): Executor {
  const mon = new LoopMonitor();
  return {
    threads: 1,
    execute: (r, signal) => executeRequest({ ...r, adapter: getAdapter(r.kind), dispatcher, counter, signal }),
    async beginWindow() {
      collectGarbage();
      mon.start();
    },
    endWindow: async () => mon.stop(),
    close: async () => {},
  };
}

export interface ThreadOptions {
  threads: number;
  tokenizer: string;
  keepAliveTimeoutMs: number;
  connectTimeoutMs: number;
}

type FromWorker = { type: 'ready' } | { type: 'sample'; id: number; sample: Sample } | { type: 'window'; delay: LoopDelay } | { type: 'fatal'; message: string };

/** N worker threads; each request goes to the thread with the fewest in flight (ties: round robin). */
export async function threadExecutor(o: ThreadOptions): Promise<Executor> {
  const workers: { w: Worker; inflight: number; windowWaiters: ((d: LoopDelay) => void)[] }[] = [];
  const pending = new Map<number, { resolve: (s: Sample) => void; reject: (e: Error) => void; wi: number }>();
  let nextId = 0;
  let rr = 0;
  let failure: Error | null = null;
  let closing = false;
  const fail = (e: Error) => {
    failure ??= e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  const ready: Promise<void>[] = [];
  for (let i = 0; i < o.threads; i++) {
    // Stamps are moved to this thread's clock: both sides know their offset from CLOCK_MONOTONIC.
    const w = new Worker(new URL('./request-worker.mjs', import.meta.url), {
      workerData: { tokenizer: o.tokenizer, keepAliveTimeoutMs: o.keepAliveTimeoutMs, connectTimeoutMs: o.connectTimeoutMs, sampleOffsetMs: monotonicToSampleMs() },
    });
    const slot = { w, inflight: 0, windowWaiters: [] as ((d: LoopDelay) => void)[] };
    workers.push(slot);
    ready.push(
      new Promise<void>((resolve, reject) => {
        w.on('message', (m: FromWorker) => {
          if (m.type === 'ready') resolve();
          else if (m.type === 'sample') {
            const p = pending.get(m.id);
            if (!p) return;
            pending.delete(m.id);
            slot.inflight--;
            p.resolve(m.sample);
          } else if (m.type === 'window') slot.windowWaiters.shift()?.(m.delay);
          else if (m.type === 'fatal') {
            const e = new Error(`client thread failed: ${m.message}`);
            reject(e);
            fail(e);
          }
        });
        w.on('error', (e) => {
          reject(e);
          fail(e);
        });
        w.on('exit', (code) => {
          const e = new Error(`client thread exited with code ${code}`);
          reject(e);
          if (!closing) fail(e);
        });
      }),
    );
  }
  try {
    await Promise.all(ready);
  } catch (e) {
    await Promise.all(workers.map((s) => s.w.terminate()));
    throw e;
  }
  const ask = (slot: (typeof workers)[number], type: 'begin' | 'end') =>
    new Promise<LoopDelay>((resolve) => {
      slot.windowWaiters.push(resolve);
      slot.w.postMessage({ type });
    });
  return {
    threads: o.threads,
    execute(r, signal) {
      if (failure) return Promise.reject(failure);
      let wi = rr;
      for (let k = 1; k < workers.length; k++) {
        const i = (rr + k) % workers.length;
        if (workers[i].inflight < workers[wi].inflight) wi = i;
      }
      rr = (rr + 1) % workers.length;
      const slot = workers[wi];
      const id = nextId++;
      slot.inflight++;
      return new Promise<Sample>((resolve, reject) => {
        const onAbort = () => slot.w.postMessage({ type: 'abort', id });
        signal?.addEventListener('abort', onAbort, { once: true });
        const done = () => signal?.removeEventListener('abort', onAbort);
        pending.set(id, { resolve: (x) => (done(), resolve(x)), reject: (e) => (done(), reject(e)), wi });
        slot.w.postMessage({ type: 'exec', id, r, aborted: signal?.aborted ?? false });
      });
    },
    async beginWindow() {
      collectGarbage(); // this thread holds the samples: the heap that grows
      await Promise.all(workers.map((s) => ask(s, 'begin')));
    },
    async endWindow() {
      return worst(await Promise.all(workers.map((s) => ask(s, 'end'))));
    },
    async close() {
      closing = true;
      await Promise.all(workers.map((s) => new Promise<void>((resolve) => {
        s.w.once('exit', () => resolve());
        s.w.postMessage({ type: 'close' });
        setTimeout(() => void s.w.terminate(), 5000).unref();
      })));
    },
  };
}
