import { describe, expect, test } from '@jest/globals';
import { eDivisive, normal, rng, tCdf, tQuantile, welchLog } from './stats.js';
import { decide, simulatePower } from './decide.js';

describe('Student t', () => {
  test('matches tabulated quantiles', () => {
    expect(tCdf(2.228138851986274, 10)).toBeCloseTo(0.975, 9);
    expect(tCdf(-1.812461122811676, 10)).toBeCloseTo(0.05, 9);
    expect(tQuantile(0.995, 4)).toBeCloseTo(4.604094871, 6);
    expect(tCdf(0, 3.3)).toBeCloseTo(0.5, 12);
  });
});

describe('Welch t on log values', () => {
  test('agrees with scipy.stats.ttest_ind(log a, log b, equal_var=False)', () => {
    // scipy 1.11: ttest_ind(np.log([100,102,98,101]), np.log([95,96,94,97]), equal_var=False)
    // → statistic = -4.4626, pvalue = 0.00478 (df ≈ 5.48)
    const w = welchLog([100, 102, 98, 101], [95, 96, 94, 97], 0.05)!;
    expect(w.t).toBeCloseTo(-4.46, 1);
    expect(w.p_value).toBeGreaterThan(0.003);
    expect(w.p_value).toBeLessThan(0.007);
    expect(w.delta_pct).toBeCloseTo(((95 * 96 * 94 * 97) ** 0.25 / (100 * 102 * 98 * 101) ** 0.25 - 1) * 100, 9);
    expect(w.ci_pct[0]).toBeLessThan(w.delta_pct);
    expect(w.ci_pct[1]).toBeGreaterThan(w.delta_pct);
  });
  test('refuses fewer than two trials or non-positive values instead of guessing', () => {
    expect(welchLog([1], [1, 2], 0.05)).toBeNull();
    expect(welchLog([1, 0], [1, 2], 0.05)).toBeNull();
  });
});

describe('decision rule', () => {
  const rule = { alpha: 0.05, tolerance_pct: 3, min_trials: 2 };
  test('significant but within tolerance is unchanged; beyond tolerance is a regression', () => {
    expect(decide([100, 100.1, 99.9, 100], [98, 98.1, 97.9, 98], 'higher-is-better', rule).verdict).toBe('unchanged');
    expect(decide([100, 100.1, 99.9, 100], [90, 90.1, 89.9, 90], 'higher-is-better', rule).verdict).toBe('regression');
    expect(decide([100, 100.1, 99.9, 100], [90, 90.1, 89.9, 90], 'lower-is-better', rule).verdict).toBe('improvement');
  });
  test('too few trials are inconclusive, never unchanged', () => {
    expect(decide([100], [50], 'higher-is-better', rule).verdict).toBe('inconclusive');
  });
  test('at 12 trials the rule finds a 5 % drop under 3 % noise and stays quiet on A/A', () => {
    const r = simulatePower({ trials: 12, cv: 0.03, dropPct: 5, rule, simulations: 1500, seed: 11 });
    expect(r.detection).toBeGreaterThan(0.93);
    expect(r.false_alarm).toBeLessThan(0.015);
  });
  test('Mann–Whitney-sized samples (3 vs 3) do not reach the power target', () => {
    const r = simulatePower({ trials: 3, cv: 0.03, dropPct: 5, rule, simulations: 1500, seed: 11 });
    expect(r.detection).toBeLessThan(0.6);
  });
});

describe('E-divisive means', () => {
  const series = (n: number, shiftAt: number, shift: number, seed: number, noise = 0.02) => {
    const u = rng(seed);
    return Array.from({ length: n }, (_, i) => 1000 * (i >= shiftAt ? 1 - shift : 1) * (1 + noise * normal(u)));
  };
  test('finds a 10 % shift at the run where it begins', () => {
    const cps = eDivisive(series(30, 18, 0.1, 3, 0.01), { seed: 1 });
    expect(cps).toHaveLength(1);
    expect(cps[0].index).toBe(18);
    expect(cps[0].p_value).toBeLessThanOrEqual(0.01);
    expect(cps[0].after).toBeLessThan(cps[0].before);
  });
  test('reports nothing on pure noise', () => {
    let found = 0;
    for (let s = 1; s <= 10; s++) found += eDivisive(series(30, 99, 0, s), { seed: s }).length;
    expect(found).toBeLessThanOrEqual(1);
  });
  test('finds two shifts', () => {
    const xs = [...series(15, 99, 0, 4), ...series(15, 0, 0.1, 5), ...series(15, 0, -0.1, 6)];
    expect(eDivisive(xs, { seed: 2 }).map((c) => c.index)).toEqual([15, 30]);
  });
});
