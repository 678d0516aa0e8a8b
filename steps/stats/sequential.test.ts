import { describe, expect, test } from '@jest/globals';
import { normal, rng } from './stats.js';
import { simulateSequential } from './decide.js';
import {
  DEFAULT_DESIGN,
  PhiInv,
  designPower,
  lookSchedule,
  replay,
  smallestMaxTrials,
  spendingBoundaries,
  spent,
  type Spending,
} from './sequential.js';

/** Monte Carlo: first-crossing probability per look of a driftless Brownian motion observed at `fractions`. */
function crossingRates(fractions: number[], bounds: number[], sims: number, seed: number): number[] {
  const u = rng(seed);
  const hits = new Array(fractions.length).fill(0);
  for (let s = 0; s < sims; s++) {
    let S = 0,
      prev = 0;
    for (let k = 0; k < fractions.length; k++) {
      S += Math.sqrt(fractions[k] - prev) * normal(u);
      prev = fractions[k];
      if (S / Math.sqrt(fractions[k]) >= bounds[k]) {
        hits[k]++;
        break;
      }
    }
  }
  return hits.map((h) => h / sims);
}

describe('error-spending boundaries', () => {
  const fr = lookSchedule(DEFAULT_DESIGN, 'ab', 16).fractions;
  test('the first boundary is the normal quantile of what the spending function spends there', () => {
    for (const kind of ['pocock', 'obrien-fleming', 'hsd(-1)', 'hsd(2)'] as Spending[]) {
      const b = spendingBoundaries(fr, 0.025, kind);
      expect(b[0]).toBeCloseTo(PhiInv(1 - spent(kind, 0.025, fr[0])), 10);
    }
  });
  test('O’Brien–Fleming-type spending is back-loaded and Pocock-type front-loaded', () => {
    expect(spent('obrien-fleming', 0.025, 0.25)).toBeLessThan(spent('pocock', 0.025, 0.25));
    expect(spent('hsd(0)', 0.02, 0.5)).toBeCloseTo(0.01, 12);
    expect(spent('pocock', 0.02, 1)).toBe(0.02);
  });
  test('by simulation, each look spends what the spending function allots (cumulative within MC error)', () => {
    for (const [kind, total] of [
      ['hsd(-1)', 0.05],
      ['hsd(2)', 0.04],
    ] as [Spending, number][]) {
      const b = spendingBoundaries(fr, total, kind);
      const sims = 100_000;
      const rates = crossingRates(fr, b, sims, 3);
      let cum = 0;
      for (let k = 0; k < fr.length; k++) {
        cum += rates[k];
        const want = spent(kind, total, fr[k]);
        // 4 binomial standard errors
        expect(Math.abs(cum - want)).toBeLessThan(4 * Math.sqrt((want * (1 - want)) / sims) + 1e-4);
      }
    }
  });
  test('a coarser grid is not what decides: boundaries are monotone in the error spent', () => {
    const a = spendingBoundaries(fr, 0.015, 'hsd(-1)');
    const b = spendingBoundaries(fr, 0.025, 'hsd(-1)');
    a.forEach((x, k) => expect(x).toBeGreaterThan(b[k]));
  });
});

describe('sequential gate replay', () => {
  const series = (n: number, level: number, cv: number, seed: number) => {
    const u = rng(seed);
    const s = Math.sqrt(Math.log(1 + cv * cv));
    return Array.from({ length: n }, () => level * Math.exp(s * normal(u)));
  };
  const o = { direction: 'higher-is-better' as const, tolerance_pct: 3 };
  test('a 10 % throughput drop stops early for a regression; the looks are recorded', () => {
    const r = replay(series(16, 1000, 0.03, 1), series(16, 900, 0.03, 2), 'ab', DEFAULT_DESIGN, o);
    expect(r.stop).toBe('regression');
    expect(r.trials.candidate).toBeLessThan(16);
    expect(r.looks[0].trials).toEqual({ baseline: 3, candidate: 3 });
    expect(r.last!.delta_pct).toBeLessThan(-3);
    expect(r.last!.p_worse).toBeLessThanOrEqual(r.last!.alpha_nominal);
  });
  test('no change stops for a pass once a 5 % worsening is ruled out by the one-sided bound', () => {
    const r = replay(series(16, 1000, 0.03, 3), series(16, 1000, 0.03, 4), 'ab', DEFAULT_DESIGN, o);
    expect(r.stop).toBe('pass');
    expect(r.last!.worse_bound_pct).toBeLessThan(5);
    expect(r.looks.slice(0, -1).every((l) => l.decision === 'continue')).toBe(true);
  });
  test('lower-is-better metrics: a latency rise is the worsening', () => {
    const r = replay(series(16, 100, 0.03, 5), series(16, 112, 0.03, 6), 'ab', DEFAULT_DESIGN, {
      direction: 'lower-is-better',
      tolerance_pct: 3,
    });
    expect(r.stop).toBe('regression');
  });
  test('trials that end before a stop are "trials-ended"; at the maximum "max-trials" with the bound reached', () => {
    expect(replay([1, 1.1, 0.9], [1, 1.1, 0.9], 'ab', DEFAULT_DESIGN, o).stop).toBe('trials-ended');
    // A 2 % drop at 3 % noise often stays between the stops until the maximum.
    let atMax = 0;
    for (let s = 0; s < 40; s++) {
      const r = replay(series(16, 1000, 0.03, 100 + s), series(16, 980, 0.03, 200 + s), 'ab', DEFAULT_DESIGN, o);
      if (r.stop === 'max-trials') {
        atMax++;
        expect(r.trials.candidate).toBe(16);
        expect(r.last!.worse_bound_pct).toBeGreaterThan(5);
      }
    }
    expect(atMax).toBeGreaterThan(0);
  });
  test('against a baseline file: the whole baseline at every look, one more candidate trial each time', () => {
    const r = replay(series(12, 1000, 0.03, 7), series(16, 1000, 0.03, 8), 'baseline', DEFAULT_DESIGN, o);
    expect(r.looks.map((l) => l.trials.baseline).every((n) => n === 12)).toBe(true);
    expect(r.looks.map((l) => l.trials.candidate)).toEqual(r.looks.map((_, i) => 3 + i));
  });
});

describe('design check and simulated operating characteristics', () => {
  test('the default design reaches its power target at 16 trials and at no fewer than 14 (3 % noise, 3 % tol)', () => {
    expect(designPower(DEFAULT_DESIGN, 3)).toBeGreaterThanOrEqual(0.95);
    expect(smallestMaxTrials({ ...DEFAULT_DESIGN, max_trials: 2 }, 3)).toBe(14);
    expect(designPower({ ...DEFAULT_DESIGN, max_trials: 2 }, 3)).toBe(0);
  });
  test('simulation agrees with the design: false alarms ≤ alpha, power near the computed one', () => {
    const sims = 3000;
    const aa = simulateSequential({
      design: DEFAULT_DESIGN,
      cv: 0.03,
      changePct: 0,
      tolerance_pct: 3,
      simulations: sims,
      seed: 5,
    });
    const drop = simulateSequential({
      design: DEFAULT_DESIGN,
      cv: 0.03,
      changePct: 5,
      tolerance_pct: 3,
      simulations: sims,
      seed: 6,
    });
    expect(aa.regression).toBeLessThanOrEqual(DEFAULT_DESIGN.alpha);
    expect(aa.expected_trials).toBeLessThan(6.5);
    expect(drop.pass).toBeLessThan(DEFAULT_DESIGN.beta + 0.015);
    expect(Math.abs(drop.regression - designPower(DEFAULT_DESIGN, 3))).toBeLessThan(0.02);
    expect(drop.expected_trials).toBeLessThan(8.5);
  });
});
