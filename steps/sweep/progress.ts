/**
 * Progress of sweeps: bars on a TTY (cli-progress), periodic JSON progress events under CI (logger.event), nothing
 * when neither is wanted. The shell picks one; the sweep core only calls begin/tick/end.
 *
 * With the plan known (points, trials, requests), each display says where the sweep is (point i/n, trial j/k) and
 * an ETA. The ETA weighs each trial by its expected length in request latencies — a closed loop at concurrency c
 * runs its n requests in about n/c latencies, plus the warmup — so c = 1 (the slowest point per request) does not
 * make the estimate wrong for the rest. It is rescaled by the time the trials run so far actually took.
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

/** What a sweep will run, for "trial j/k" and the ETA. */
export interface ProgressPlan {
  /** Load points in the order the sweep runs them. */
  points: { concurrency: number | null; rate: number | null }[];
  trials: number;
  warmup: number;
  requests: number | null;
  durationS: number | null;
  /** Targets per trial (A/B: 2, run A then B). */
  arms?: number;
}

/** Expected length of one trial at point p, in request latencies (rate/duration modes: in simulated seconds). */
export function trialWeight(plan: ProgressPlan, p: ProgressPlan['points'][number]): number {
  if (plan.requests == null) return Math.max(plan.durationS ?? 1, 1e-3);
  if (p.rate != null) return plan.requests / p.rate;
  const c = Math.max(1, p.concurrency ?? 1);
  const warm = plan.warmup > 0 ? Math.ceil(plan.warmup / Math.min(c, plan.warmup)) : 0;
  return warm + plan.requests / c;
}

/**
 * Where a sweep stands and when it should end. Trials skipped on resume never begin: a trial's position in the
 * plan says how much is behind it, and only the work done in this process sets the pace.
 */
export class PlanTracker {
  private readonly weights: number[];
  private readonly total: number;
  private behind = 0;
  private ranWeight = 0;
  private current: { index: number; seqs: number | null; done: number } | null = null;
  private runStart: number | null = null;
  constructor(
    readonly plan: ProgressPlan,
    private readonly now: () => number = () => performance.now(),
  ) {
    const arms = plan.arms ?? 1;
    this.weights = plan.points.flatMap((p) => Array<number>(plan.trials * arms).fill(trialWeight(plan, p)));
    this.total = this.weights.reduce((a, b) => a + b, 0);
  }
  /** Index of a trial in run order (points, then trials, then arms). */
  indexOf(f: Record<string, unknown>): number {
    const pi = this.plan.points.findIndex(
      (p) => (p.concurrency ?? null) === (f.concurrency ?? null) && (p.rate ?? null) === (f.rate ?? null),
    );
    const arms = this.plan.arms ?? 1;
    const arm = f.arm === 'b' ? 1 : 0;
    return Math.max(0, pi) * this.plan.trials * arms + (Number(f.trial) || 0) * arms + arm;
  }
  begin(total: number | null, f: Record<string, unknown>): void {
    this.runStart ??= this.now();
    const index = this.indexOf(f);
    this.behind = this.weights.slice(0, index).reduce((a, b) => a + b, 0);
    this.current = { index, seqs: total, done: 0 };
  }
  tick(): void {
    if (this.current) this.current.done++;
  }
  end(): void {
    if (!this.current) return;
    this.ranWeight += this.weights[this.current.index] ?? 0;
    this.behind += this.weights[this.current.index] ?? 0;
    this.current = null;
  }
  /** Share of the current trial done (0 when its size is unknown). */
  private partial(): number {
    const c = this.current;
    if (!c || !c.seqs) return 0;
    return (Math.min(c.done, c.seqs) / c.seqs) * (this.weights[c.index] ?? 0);
  }
  /** 0..1 of the whole plan. */
  fraction(): number {
    return this.total > 0 ? Math.min(1, (this.behind + this.partial()) / this.total) : 0;
  }
  /** Seconds left, or null until anything has been measured. */
  etaS(): number | null {
    if (this.runStart == null) return null;
    const ran = this.ranWeight + this.partial();
    const elapsed = (this.now() - this.runStart) / 1000;
    if (ran <= 0 || elapsed <= 0) return null;
    const left = Math.max(0, this.total - this.behind - this.partial());
    return (left * elapsed) / ran;
  }
  /** "c=4 2/4" and "trial 1/3" for the current trial. */
  where(f: Record<string, unknown>): { point: string; trial: string } {
    const pi = this.plan.points.findIndex(
      (p) => (p.concurrency ?? null) === (f.concurrency ?? null) && (p.rate ?? null) === (f.rate ?? null),
    );
    return {
      point: `${pointLabel(f)} (${pi + 1}/${this.plan.points.length})`,
      trial: `${(Number(f.trial) || 0) + 1}/${this.plan.trials}`,
    };
  }
}

const pointLabel = (f: Record<string, unknown>) => (f.concurrency != null ? `c=${f.concurrency}` : `rate=${f.rate}`);

/** 75 → "1:15"; null → "–". */
export function formatEta(s: number | null): string {
  if (s == null || !Number.isFinite(s)) return '–';
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = String(t % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** JSON `progress` events: at each trial's start and end and every intervalMs in between. */
export function eventProgress(log: Logger, intervalMs = 5000, plan?: ProgressPlan): Progress {
  let fields: Record<string, unknown> = {};
  let done = 0,
    failed = 0,
    total: number | null = null,
    t0 = 0,
    timer: NodeJS.Timeout | undefined;
  const tracker = plan ? new PlanTracker(plan) : null;
  const emit = (phase: string) => {
    const eta = tracker?.etaS() ?? null;
    log.event('progress', {
      ...fields,
      ...(tracker ? { trials: tracker.plan.trials, points: tracker.plan.points.length } : {}),
      phase,
      done,
      failed,
      total,
      elapsed_s: Math.round((performance.now() - t0) / 100) / 10,
      ...(tracker
        ? { plan_done_pct: Math.round(tracker.fraction() * 1000) / 10, eta_s: eta == null ? null : Math.round(eta) }
        : {}),
    });
  };
  return {
    begin(_label, t, f) {
      fields = f;
      total = t;
      done = failed = 0;
      t0 = performance.now();
      tracker?.begin(t, f);
      emit('start');
      timer = setInterval(() => emit('running'), intervalMs);
      timer.unref();
    },
    tick(ok) {
      done++;
      if (!ok) failed++;
      tracker?.tick();
    },
    end() {
      if (timer) clearInterval(timer);
      tracker?.end();
      emit('end');
    },
  };
}

const BAR_FORMAT =
  '{label} {bar} {value}/{total} req · failed {failed} · trial {trial} · {pct}% · ETA {left} · {duration_formatted}';

/** One bar per trial (`llmbench sweep`); with a plan it also shows trial j/k, the plan's % and an ETA. */
export function barProgress(stream: NodeJS.WritableStream, plan?: ProgressPlan): Progress {
  let bar: cliProgress.SingleBar | undefined;
  let failed = 0,
    done = 0,
    total = 0;
  const tracker = plan ? new PlanTracker(plan) : null;
  let payload: Record<string, unknown> = {};
  const refresh = () => ({
    ...payload,
    failed,
    pct: tracker ? Math.floor(tracker.fraction() * 100) : '–',
    left: formatEta(tracker?.etaS() ?? null),
  });
  return {
    begin(label, t, f) {
      failed = done = 0;
      total = t ?? 0;
      tracker?.begin(t, f);
      const w = tracker?.where(f);
      payload = { label: label.padEnd(28), trial: w?.trial ?? `${(Number(f.trial) || 0) + 1}` };
      bar = new cliProgress.SingleBar(
        { format: BAR_FORMAT, stream, hideCursor: true, clearOnComplete: false, barsize: 24, fps: 5 },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0, refresh());
    },
    tick(ok) {
      if (!ok) failed++;
      done++;
      tracker?.tick();
      if (bar) {
        if (done > total) bar.setTotal((total = done));
        bar.increment(1, refresh());
      }
    },
    end() {
      tracker?.end();
      bar?.update(done, refresh());
      bar?.stop();
      bar = undefined;
    },
  };
}

/** Several sweeps at once (`llmbench run`): one Progress per sweep, one display. */
export interface MultiProgress {
  sweep(name: string, plan: ProgressPlan): Progress;
  /** Prints a line without tearing the bars (logs while the bars are live). */
  log(line: string): void;
  /** The sweeps are over: bars stop, later output prints normally. */
  stop(): void;
}

export const noMultiProgress: MultiProgress = { sweep: () => noProgress, log() {}, stop() {} };

/** JSON progress events per sweep, each with its backend (the events' own fields say which). */
export function eventMultiProgress(log: Logger, intervalMs = 5000): MultiProgress {
  return {
    sweep: (_name, plan) => eventProgress(log, intervalMs, plan),
    log: () => {},
    stop() {},
  };
}

const MULTI_FORMAT = '{name} {bar} {point} · trial {trial} · {value}/{total} req · failed {failed} · ETA {left}';

/** One line per sweep on a TTY: backend, point, trial, requests done in the trial, ETA of that sweep. */
export function barMultiProgress(stream: NodeJS.WritableStream): MultiProgress {
  const multi = new cliProgress.MultiBar(
    {
      format: MULTI_FORMAT,
      stream,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      barsize: 20,
      fps: 4,
      forceRedraw: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let width = 8;
  // cli-progress prints logged lines only while it redraws: before the first bar and after stop, write directly.
  let live = false;
  return {
    sweep(name, plan) {
      live = true;
      width = Math.max(width, name.length);
      const tracker = new PlanTracker(plan);
      let done = 0,
        failed = 0,
        total = 0;
      // Until its first trial begins (its server is starting): the first trial's size, nothing done.
      let where = { point: 'starting', trial: `0/${plan.trials}` };
      const bar = multi.create(plan.requests != null ? plan.warmup + plan.requests : 1, 0, {
        name: name.padEnd(width),
        point: where.point,
        trial: where.trial,
        failed,
        left: '–',
      });
      const payload = () => ({
        name: name.padEnd(width),
        ...where,
        failed,
        left: formatEta(tracker.etaS()),
      });
      return {
        begin(_label, t, f) {
          done = failed = 0;
          total = t ?? 0;
          tracker.begin(t, f);
          where = tracker.where(f);
          bar.setTotal(Math.max(1, total));
          bar.update(0, payload());
        },
        tick(ok) {
          done++;
          if (!ok) failed++;
          tracker.tick();
          if (done > total) bar.setTotal((total = done));
          bar.update(done, payload());
        },
        end() {
          tracker.end();
          if (tracker.fraction() >= 1) where = { point: 'done', trial: `${plan.trials}/${plan.trials}` };
          bar.update(done, payload());
        },
      };
    },
    log(line) {
      const l = line.endsWith('\n') ? line : line + '\n';
      if (live) multi.log(l);
      else stream.write(l);
    },
    stop() {
      if (live) multi.stop();
      live = false;
    },
  };
}
