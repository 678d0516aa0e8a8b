/**
 * Progress per load point: a bar on a TTY (cli-progress), periodic JSON progress events under CI (logger.event),
 * nothing when neither is wanted. The shell picks one; the sweep core only calls begin/tick/end.
 */
import cliProgress from 'cli-progress';
import type { Logger } from '../core/log.js';

export interface Progress {
  /** total = requests in the trial (warmup included), or null in duration mode. */
  begin(label: string, total: number | null, fields: Record<string, unknown>): void;
  tick(ok: boolean): void;
  end(): void;
}

export const noProgress: Progress = { begin() {}, tick() {}, end() {} };

export function eventProgress(log: Logger, intervalMs = 5000): Progress {
  let fields: Record<string, unknown> = {};
  let done = 0,
    failed = 0,
    total: number | null = null,
    t0 = 0,
    timer: NodeJS.Timeout | undefined;
  const emit = (phase: string) =>
    log.event('progress', {
      ...fields,
      phase,
      done,
      failed,
      total,
      elapsed_s: Math.round((performance.now() - t0) / 100) / 10,
    });
  return {
    begin(_label, t, f) {
      fields = f;
      total = t;
      done = failed = 0;
      t0 = performance.now();
      emit('start');
      timer = setInterval(() => emit('running'), intervalMs);
      timer.unref();
    },
    tick(ok) {
      done++;
      if (!ok) failed++;
    },
    end() {
      if (timer) clearInterval(timer);
      emit('end');
    },
  };
}

export function barProgress(stream: NodeJS.WritableStream): Progress {
  let bar: cliProgress.SingleBar | undefined;
  let failed = 0,
    done = 0,
    total = 0;
  return {
    begin(label, t) {
      failed = done = 0;
      total = t ?? 0;
      bar = new cliProgress.SingleBar(
        {
          format: `${label.padEnd(28)} {bar} {value}/{total} failed {failed} {duration_formatted}`,
          stream,
          hideCursor: true,
          clearOnComplete: false,
          barsize: 24,
          fps: 5,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0, { failed });
    },
    tick(ok) {
      if (!ok) failed++;
      done++;
      if (bar) {
        if (done > total) bar.setTotal((total = done));
        bar.increment(1, { failed });
      }
    },
    end() {
      bar?.stop();
      bar = undefined;
    },
  };
}
