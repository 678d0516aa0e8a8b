/**
 * Worker-thread body of a parallel `llmbench run` (steps/run/parallel.ts): sweeps one simulated backend. Its own
 * event loop and heap mean that the full collection each trial forces between warmup and measurement
 * (steps/sweep/gc.ts) never pauses another backend's measured window. Logs and progress go to the parent.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ResolvedConfig } from '../core/config.js';
import type { BaselineBackend } from '../analyze/baseline.js';
import type { Logger } from '../core/log.js';
import { LlmbenchError } from '../core/errors.js';
import type { Progress } from '../sweep/progress.js';
import { sweepBackend } from './backend.js';
import type { FromSweepWorker, ToSweepWorker } from './parallel.js';

const port = parentPort!;
const data = workerData as {
  cfg: ResolvedConfig;
  backend: number;
  workdir: string;
  json: boolean;
  gateEntry?: BaselineBackend;
};
const post = (m: FromSweepWorker) => port.postMessage(m);

const log: Logger = {
  json: data.json,
  debug: (msg, fields) => post({ t: 'log', level: 'debug', msg, fields }),
  info: (msg, fields) => post({ t: 'log', level: 'info', msg, fields }),
  warn: (msg, fields) => post({ t: 'log', level: 'warn', msg, fields }),
  error: (msg, fields) => post({ t: 'log', level: 'error', msg, fields }),
  event: (kind, fields) => post({ t: 'event', kind, fields }),
};
const progress: Progress = {
  begin: (label, total, fields) => post({ t: 'begin', label, total, fields }),
  tick: (ok) => post({ t: 'tick', ok }),
  end: () => post({ t: 'end' }),
};

const ac = new AbortController();
port.on('message', (m: ToSweepWorker) => {
  if (m.t === 'abort') ac.abort(new Error(m.reason));
});

try {
  const b = data.cfg.backends[data.backend];
  const summary = await sweepBackend(data.cfg, b, data.workdir, {
    log,
    signal: ac.signal,
    progress,
    entry: data.gateEntry,
  });
  post({ t: 'done', summary });
} catch (e) {
  const err = e as Error;
  post({
    t: 'error',
    message: err?.message ?? String(e),
    stack: err?.stack,
    ...(e instanceof LlmbenchError
      ? { code: e.code, hint: e.hint, exitCode: e.exitCode, problems: e.problems }
      : { code: undefined }),
  });
}
