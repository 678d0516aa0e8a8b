/**
 * A client thread of a sharded sweep (steps/sweep/executor.ts): times the requests it is given with its own event
 * loop, undici Agent and token counter, and returns each Sample with its stamps moved to the sweep thread's clock.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { localExecutor, shiftSample, type ClientOptions, type ExecRequest } from './executor.js';
import { monotonicToSampleMs } from '../core/monoclock.js';

type ToWorker =
  | { type: 'exec'; id: number; r: ExecRequest; aborted: boolean }
  | { type: 'abort'; id: number }
  | { type: 'begin' }
  | { type: 'end' }
  | { type: 'close' };

const port = parentPort!;
const cfg = workerData as ClientOptions & { sampleOffsetMs: number };
// performance.timeOrigin is per thread: add this to our stamps to get the sweep thread's sample clock.
const shift = cfg.sampleOffsetMs - monotonicToSampleMs();
// A client thread is a local executor on its own event loop; this file only carries the messages.
const local = localExecutor(cfg);
const inflight = new Map<number, AbortController>();

async function exec(id: number, r: ExecRequest, aborted: boolean): Promise<void> {
  const ac = new AbortController();
  if (aborted) ac.abort();
  inflight.set(id, ac);
  try {
    const sample = await local.execute(r, ac.signal);
    port.postMessage({ type: 'sample', id, sample: shiftSample(sample, shift) });
  } catch (e) {
    // executeRequest turns every request failure into a sample; reaching here is a bug: say so, loudly.
    port.postMessage({ type: 'fatal', message: (e as Error)?.message ?? String(e), stack: (e as Error)?.stack });
  } finally {
    inflight.delete(id);
  }
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'exec') void exec(m.id, m.r, m.aborted);
  else if (m.type === 'abort') inflight.get(m.id)?.abort();
  else if (m.type === 'begin')
    void local
      .beginWindow()
      .then(() => port.postMessage({ type: 'window', delay: { p90_ms: null, p99_ms: null, max_ms: null } }));
  else if (m.type === 'end') void local.endWindow().then((delay) => port.postMessage({ type: 'window', delay }));
  else if (m.type === 'close') void local.close().then(() => process.exit(0));
});
port.postMessage({ type: 'ready' });
