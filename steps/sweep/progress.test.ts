import { describe, expect, it } from '@jest/globals';
import { PassThrough } from 'node:stream';
import { createLogger, withHeartbeat } from '../core/log.js';
import {
  PlanTracker,
  barMultiProgress,
  eventMultiProgress,
  eventProgress,
  formatEta,
  trialWeight,
  type ProgressPlan,
} from './progress.js';

const plan: ProgressPlan = {
  points: [1, 4, 8, 16].map((c) => ({ concurrency: c, rate: null })),
  trials: 3,
  warmup: 1,
  requests: 16,
  durationS: null,
};
const at = (c: number, trial: number) => ({ concurrency: c, rate: null, trial });

describe('trialWeight', () => {
  it('counts a closed loop in request latencies: warmup, then n/c', () => {
    expect(trialWeight(plan, { concurrency: 1, rate: null })).toBe(17);
    expect(trialWeight(plan, { concurrency: 4, rate: null })).toBe(5);
    expect(trialWeight(plan, { concurrency: 16, rate: null })).toBe(2);
  });
  it('rate points weigh their length in seconds; duration mode its duration', () => {
    expect(trialWeight({ ...plan, points: [] }, { concurrency: null, rate: 2 })).toBe(8);
    expect(trialWeight({ ...plan, requests: null, durationS: 30 }, { concurrency: 4, rate: null })).toBe(30);
  });
});

describe('PlanTracker', () => {
  it('ETA from the pace so far, weighted so the slow c=1 point does not inflate it', () => {
    // The embedded default on vLLM took 0.64 s per weight unit at every point (32.5 s for c=1's 3 × 17 units).
    let now = 0;
    const t = new PlanTracker(plan, () => now);
    expect(t.etaS()).toBeNull();
    for (let trial = 0; trial < 3; trial++) {
      t.begin(17, at(1, trial));
      for (let i = 0; i < 17; i++) t.tick();
      now += 17 * 640;
      t.end();
    }
    // c=1 done: 51 of 81 units; 30 left at 0.64 s → 19.2 s. A count of requests (153 left of 204) would say 98 s.
    expect(t.fraction()).toBeCloseTo(51 / 81, 6);
    expect(t.etaS()).toBeCloseTo(30 * 0.64, 6);
  });

  it('counts the current trial partly, and a resumed sweep (earlier trials skipped) by its own pace', () => {
    let now = 0;
    const t = new PlanTracker(plan, () => now);
    t.begin(5, at(4, 1)); // points c=1 (51 units) and trial 0 of c=4 (5) were done before the resume
    t.tick();
    t.tick();
    now += 2000;
    // 2 of 5 requests of a 5-unit trial: 2 units ran in 2 s; 81 - 56 - 2 = 23 left → 23 s.
    expect(t.fraction()).toBeCloseTo(58 / 81, 6);
    expect(t.etaS()).toBeCloseTo(23, 6);
    t.end();
    expect(t.fraction()).toBeCloseTo(61 / 81, 6);
  });

  it('A/B: trials interleave A B, so arm b of a trial comes after arm a', () => {
    const t = new PlanTracker({ ...plan, arms: 2 });
    expect(t.indexOf({ ...at(1, 0), arm: 'b' })).toBe(1);
    expect(t.indexOf({ ...at(4, 0), arm: 'a' })).toBe(6);
    expect(t.where(at(8, 2))).toEqual({ point: 'c=8 (3/4)', trial: '3/3' });
  });

  it('formats the ETA as m:ss or h:mm:ss, and – when unknown', () => {
    expect(formatEta(null)).toBe('–');
    expect(formatEta(75.4)).toBe('1:15');
    expect(formatEta(3725)).toBe('1:02:05');
  });
});

describe('displays', () => {
  const jsonLog = () => {
    const lines: Record<string, unknown>[] = [];
    return { lines, log: createLogger({ json: true, env: {}, write: (l) => lines.push(JSON.parse(l)) }) };
  };

  it('JSON events carry backend, point, trial of trials, requests done, plan % and eta_s', () => {
    const { lines, log } = jsonLog();
    const p = eventMultiProgress(log, 60_000).sweep('tgi', plan);
    p.begin('tgi c=1 t0', 17, { backend: 'tgi', ...at(1, 0) });
    for (let i = 0; i < 17; i++) p.tick(i !== 3);
    p.end();
    const end = lines.at(-1)!;
    expect(end).toMatchObject({
      event: 'progress',
      backend: 'tgi',
      concurrency: 1,
      trial: 0,
      trials: 3,
      points: 4,
      phase: 'end',
      done: 17,
      failed: 1,
      total: 17,
      plan_done_pct: 21,
    });
    expect(typeof end.eta_s).toBe('number');
  });

  it('a single sweep without a plan still reports (no ETA fields)', () => {
    const { lines, log } = jsonLog();
    const p = eventProgress(log, 60_000);
    p.begin('x', 2, at(1, 0));
    p.tick(true);
    p.end();
    expect(lines.map((l) => l.phase)).toEqual(['start', 'end']);
    expect(lines[1]).not.toHaveProperty('eta_s');
  });

  it('bars: one line per backend with point, trial, requests and ETA; log lines are not lost after stop', async () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 200, cursorTo() {}, clearLine() {} });
    let out = '';
    stream.on('data', (d: Buffer) => (out += d.toString()));
    const m = barMultiProgress(stream);
    const a = m.sweep('vllm', plan);
    m.sweep('tgi', plan);
    a.begin('vllm c=4 t1', 5, { backend: 'vllm', ...at(4, 1) });
    a.tick(true);
    await new Promise((r) => setTimeout(r, 400)); // cli-progress redraws on a timer
    m.stop();
    m.log('after the bars');
    expect(out).toMatch(/vllm .* c=4 \(2\/4\) · trial 2\/3 · 1\/5 req · failed 0 · ETA /);
    expect(out).toMatch(/tgi .* starting/);
    expect(out).toContain('after the bars\n');
  });
});

describe('withHeartbeat', () => {
  it('a long step reports while it runs; a short one says nothing; the result and errors pass through', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({ json: true, env: {}, write: (l) => lines.push(JSON.parse(l)) });
    const slow = await withHeartbeat(
      log,
      { step: 'analyze' },
      () => new Promise((r) => setTimeout(() => r(7), 400)),
      50,
    );
    expect(slow).toBe(7);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines[0]).toMatchObject({ event: 'progress', step: 'analyze', phase: 'running' });
    const n = lines.length;
    await expect(withHeartbeat(log, { step: 'x' }, () => Promise.reject(new Error('boom')), 10_000)).rejects.toThrow(
      'boom',
    );
    await new Promise((r) => setTimeout(r, 120));
    expect(lines.length).toBe(n); // stopped with the step
  });
});
