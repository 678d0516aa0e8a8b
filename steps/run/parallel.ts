/**
 * Simulated backends swept at once, one worker thread each. Every simulated server already runs in its own
 * process with its own clock; what they share is the host's CPU, which the load generator's self-check watches
 * (event-loop delay per point, steps/sweep/sweep.ts) — a starved run is flagged, not silently slower. Real
 * endpoints are never swept in parallel: they may share a GPU, a node or a network.
 */
import { Worker } from 'node:worker_threads';
import type { ResolvedConfig } from '../core/config.js';
import type { LogLevel, Logger } from '../core/log.js';
import { EnvironmentError, LlmbenchError, type Problem } from '../core/errors.js';
import type { ExitCodeValue } from '../core/exit-codes.js';
import type { ErrorCode } from '../core/error-codes.js';
import type { SweepSummary } from '../core/types/sweep-summary.js';
import type { BaselineBackend } from '../analyze/baseline.js';
import type { Progress } from '../sweep/progress.js';

export type ToSweepWorker = { t: 'abort'; reason: string };
export type FromSweepWorker =
  | { t: 'log'; level: LogLevel; msg: string; fields?: Record<string, unknown> }
  | { t: 'event'; kind: string; fields: Record<string, unknown> }
  | { t: 'begin'; label: string; total: number | null; fields: Record<string, unknown> }
  | { t: 'tick'; ok: boolean }
  | { t: 'end' }
  | { t: 'done'; summary: SweepSummary }
  | {
      t: 'error';
      message: string;
      stack?: string;
      code?: string;
      hint?: string;
      exitCode?: ExitCodeValue;
      problems?: Problem[];
    };

/** The error a worker reported, as the typed error it was (same code, hint and exit code). */
function rebuild(m: Extract<FromSweepWorker, { t: 'error' }>): Error {
  if (m.code)
    return new LlmbenchError(m.code as ErrorCode, m.message, {
      hint: m.hint,
      exitCode: m.exitCode,
      problems: m.problems,
    });
  return Object.assign(new Error(m.message), { stack: m.stack });
}

/** Sweeps backend `index` of cfg in a worker thread; resolves with its summary. */
export function sweepInWorker(
  cfg: ResolvedConfig,
  index: number,
  workdir: string,
  deps: { log: Logger; signal?: AbortSignal; progress: Progress; entry?: BaselineBackend },
): Promise<SweepSummary> {
  const { log, progress } = deps;
  const w = new Worker(new URL('../analyze/worker-boot.mjs', import.meta.url), {
    workerData: {
      entry: new URL('./sweep-worker.ts', import.meta.url).href,
      cfg,
      backend: index,
      workdir,
      gateEntry: deps.entry,
      json: log.json,
    },
  });
  const onAbort = () => w.postMessage({ t: 'abort', reason: String(deps.signal?.reason ?? 'aborted') });
  if (deps.signal?.aborted) onAbort();
  deps.signal?.addEventListener('abort', onAbort, { once: true });
  return new Promise<SweepSummary>((resolve, reject) => {
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      deps.signal?.removeEventListener('abort', onAbort);
      f();
      // Its sweep and simulator are closed by now; nothing it still holds (keep-alive sockets) may keep us alive.
      void w.terminate();
    };
    w.on('message', (m: FromSweepWorker) => {
      if (m.t === 'log') log[m.level](m.msg, m.fields);
      else if (m.t === 'event') log.event(m.kind, m.fields);
      else if (m.t === 'begin') progress.begin(m.label, m.total, m.fields);
      else if (m.t === 'tick') progress.tick(m.ok);
      else if (m.t === 'end') progress.end();
      else if (m.t === 'done') settle(() => resolve(m.summary));
      else if (m.t === 'error') settle(() => reject(rebuild(m)));
    });
    w.on('error', (e) =>
      settle(() =>
        reject(
          new EnvironmentError('sweep-thread-failed', `sweep of ${cfg.backends[index].id} failed: ${e.message}`, {
            hint: 'Rerun with `llmbench run --sequential` to sweep on the main thread; LLMBENCH_DEBUG=1 prints the stack.',
            cause: e,
          }),
        ),
      ),
    );
    w.on('exit', (code) =>
      settle(() =>
        reject(
          new EnvironmentError(
            'sweep-thread-failed',
            `sweep of ${cfg.backends[index].id} ended (code ${code}) before it finished`,
            { hint: 'Rerun with `llmbench run --sequential`.' },
          ),
        ),
      ),
    );
  });
}
