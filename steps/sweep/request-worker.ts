/**
 * A client thread of a sharded sweep (steps/sweep/executor.ts): times the requests it is given with its own event
 * loop, undici Agent and token counter, and returns each Sample with its stamps moved to the sweep thread's clock.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Agent } from 'undici';
import { executeRequest, getAdapter } from '../adapters/index.js';
import { getTokenizer } from '../workload/tokenizer.js';
import { workerCounter } from '../workload/token-counter.js';
import { shiftSample, type ExecRequest } from './executor.js';
import { collectGarbage } from './gc.js';
import { monotonicToSampleMs } from './monoclock.js';
import { LoopMonitor } from './selfcheck.js';

type ToWorker = { type: 'exec'; id: number; r: ExecRequest; aborted: boolean } | { type: 'abort'; id: number } | { type: 'begin' } | { type: 'end' } | { type: 'close' };

const port = parentPort!;
const cfg = workerData as { tokenizer: string; keepAliveTimeoutMs: number; connectTimeoutMs: number; sampleOffsetMs: number };
// performance.timeOrigin is per thread: add this to our stamps to get the sweep thread's sample clock.
const shift = cfg.sampleOffsetMs - monotonicToSampleMs();
const dispatcher = new Agent({ keepAliveTimeout: cfg.keepAliveTimeoutMs, keepAliveMaxTimeout: 600_000, connections: null, pipelining: 1, connect: { timeout: cfg.connectTimeoutMs } });
const counter = workerCounter(getTokenizer(cfg.tokenizer));
const inflight = new Map<number, AbortController>();
const mon = new LoopMonitor();

async function exec(id: number, r: ExecRequest, aborted: boolean): Promise<void> {
  const ac = new AbortController();
  if (aborted) ac.abort();
  inflight.set(id, ac);
  try {
    const sample = await executeRequest({ ...r, adapter: getAdapter(r.kind), dispatcher, counter, signal: ac.signal });
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
  else if (m.type === 'begin') {
    collectGarbage();
    mon.start();
    port.postMessage({ type: 'window', delay: { p90_ms: null, p99_ms: null, max_ms: null } });
  } else if (m.type === 'end') port.postMessage({ type: 'window', delay: mon.stop() });
  else if (m.type === 'close') {
    void Promise.allSettled([dispatcher.close(), counter.close()]).then(() => process.exit(0));
  }
});
port.postMessage({ type: 'ready' });
