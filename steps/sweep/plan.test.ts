import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { builtinConfig, defaultConfig, parseConfig } from '../core/config.js';
import { REPO_ROOT } from '../core/paths.js';
import { createLogger } from '../core/log.js';
import { planned } from '../run/backend.js';
import { sweepPlan } from './plan.js';
import { planFlagsOf } from './command.js';

const log = createLogger({ level: 'error', json: false, write: () => {} });

describe('one source of sweep defaults', () => {
  test('run and sweep get the same plan from the same config (no flags)', () => {
    for (const cfg of [builtinConfig(), defaultConfig()]) {
      const { gate, env, log: _l, signal, ...fromRun } = planned(cfg, { mode: 'baseline' }, { log });
      void env;
      void signal;
      const { sequential, ...fromSweep } = sweepPlan(cfg, {}, { comparable: false });
      expect(fromRun).toEqual(fromSweep);
      expect(gate).toBeUndefined();
      expect(sequential).toBeNull();
    }
  });

  test('the sweep command adds no default of its own: its flag layer with no flags is all undefined', () => {
    const cfg = defaultConfig();
    const { flags, problems } = planFlagsOf({ progress: 'auto' }, cfg.load);
    expect(problems).toEqual([]);
    expect(Object.values(flags).every((v) => v === undefined)).toBe(true);
    const { flags: f2 } = planFlagsOf({ requests: '7', maxTrials: '20', sequential: false }, cfg.load);
    expect(sweepPlan(cfg, f2, { comparable: true })).toMatchObject({ requests: 7, sequential: null });
  });

  test('built-in defaults: 16 requests per trial (largest concurrency), 12 fixed trials, or the gate up to 16', () => {
    const cfg = builtinConfig();
    expect(sweepPlan(cfg)).toMatchObject({ requests: 16, trials: 12, warmup: 2, concurrency: [1, 4, 8, 16] });
    const gated = sweepPlan(cfg, {}, { comparable: true });
    expect(gated.trials).toBe(16);
    expect(gated.sequential).toMatchObject({ max_trials: 16, min_trials: 3, detectable_pct: 5 });
    // run gates against the baseline entry or in A/B exactly as sweep --baseline / --ab-url does
    expect(planned(cfg, { mode: 'ab' }, { log }).gate?.describe).toEqual({ design: gated.sequential, reference: 'ab' });
  });

  test('flags win: --trials is a fixed count (gate off), --max-trials caps the gate, --no-sequential turns it off', () => {
    const cfg = builtinConfig();
    expect(sweepPlan(cfg, { trials: 3 }, { comparable: true })).toMatchObject({ trials: 3, sequential: null });
    expect(sweepPlan(cfg, { maxTrials: 20 }, { comparable: true })).toMatchObject({ trials: 20 });
    expect(sweepPlan(cfg, { sequential: false }, { comparable: true }).sequential).toBeNull();
    expect(sweepPlan(cfg, { durationS: 30 })).toMatchObject({ requests: null, durationS: 30 });
  });

  test('a config turns the gate off or sets its maximum', () => {
    const cfg = parseConfig(
      'version: 1\nbackends: [{kind: vllm}]\nload: {trials: 5}\nregression: {sequential: {enabled: false}}\n',
    );
    expect(sweepPlan(cfg, {}, { comparable: true })).toMatchObject({ trials: 5, sequential: null });
  });

  test('no step writes its own default for requests or trials any more', () => {
    for (const f of ['steps/run/run.ts', 'steps/sweep/command.ts']) {
      const src = readFileSync(path.join(REPO_ROOT, f), 'utf8');
      expect(src).not.toMatch(/requests \?\? \d+|Math\.ceil\(minSamples|L\.trials|cfg\.load\.trials/);
    }
  });
});
