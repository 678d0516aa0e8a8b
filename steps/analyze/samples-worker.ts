/** Worker thread body: re-derives one samples.ndjson (see samples.ts) off the main thread. */
import { parentPort, workerData } from 'node:worker_threads';
import { readSamples } from './samples.js';

const { file, opts } = workerData as { file: string; opts: Parameters<typeof readSamples>[1] };
try {
  parentPort!.postMessage({ ok: true, result: await readSamples(file, opts) });
} catch (e) {
  parentPort!.postMessage({ ok: false, error: (e as Error).message });
}
