import { describe, expect, test } from '@jest/globals';
import { eDivisive, normal, rng, tCdf, tQuantile, welchLog } from './stats.js';
import { decide, simulatePower } from './decide.js';
import { Phi, PhiInv, PhiUpper } from './sequential.js';

/** |actual − expected| ≤ 1e-6 · |expected|: the limit the project holds statistics to against scipy. */
function expectRel(actual: number, expected: number, rel = 1e-6) {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.abs(expected));
}

describe('Student t and the normal distribution against scipy', () => {
  test('t CDF, survival and quantile at fractional df', () => {
    // python3: from scipy import stats; stats.t.cdf(-4.4509, 5.6977), stats.t.cdf(1.3, 2.5), stats.t.cdf(0.7, 30.2),
    // stats.t.sf(6.0, 3.3), stats.t.ppf(0.975, 5.6977), stats.t.ppf(0.999, 2.2), stats.t.ppf(0.01, 40.5)
    expectRel(tCdf(-4.4509, 5.6977), 0.0024504442061851765);
    expectRel(tCdf(1.3, 2.5), 0.8497566053646458);
    expectRel(tCdf(0.7, 30.2), 0.7553575197376795);
    expectRel(1 - tCdf(6.0, 3.3), 0.0035136089810716923);
    expectRel(tQuantile(0.975, 5.6977), 2.4787289043528205);
    expectRel(tQuantile(0.999, 2.2), 17.89361183962656);
    expectRel(tQuantile(0.01, 40.5), -2.422014158905033);
  });
  test('normal CDF, upper tail and quantile (vega-statistics) used by the sequential design', () => {
    // python3: stats.norm.cdf(-1.2), stats.norm.sf(3.7), stats.norm.sf(7.5), stats.norm.ppf(0.0125),
    // stats.norm.ppf(0.999), stats.norm.ppf(1e-6)
    expectRel(Phi(-1.2), 0.11506967022170822);
    expectRel(PhiUpper(3.7), 0.00010779973347738823);
    expectRel(PhiUpper(7.5), 3.1908916729108844e-14);
    expectRel(PhiInv(0.0125), -2.241402727604945);
    expectRel(PhiInv(0.999), 3.090232306167813);
    expectRel(PhiInv(1e-6), -4.753424308822899);
  });
  test('matches tabulated quantiles', () => {
    expect(tCdf(2.228138851986274, 10)).toBeCloseTo(0.975, 9);
    expect(tCdf(-1.812461122811676, 10)).toBeCloseTo(0.05, 9);
    expect(tQuantile(0.995, 4)).toBeCloseTo(4.604094871, 6);
    expect(tCdf(0, 3.3)).toBeCloseTo(0.5, 12);
  });
});

describe('Welch t on log values', () => {
  test('agrees with scipy.stats.ttest_ind(log b, log a, equal_var=False) to 1e-6 relative, df included', () => {
    // Reference values: python3 (Debian python3-scipy 1.17.1):
    //   r = scipy.stats.ttest_ind(np.log([95,96,94,97]), np.log([100,102,98,101]), equal_var=False)
    //   r.statistic, r.pvalue, r.df; ci = r.confidence_interval(0.95)
    const w = welchLog([100, 102, 98, 101], [95, 96, 94, 97], 0.05)!;
    expectRel(w.t, -4.450941276051747);
    expectRel(w.p_value, 0.004900613657712403);
    expectRel(w.df, 5.697732059643001);
    expectRel(w.ci_pct[0], (Math.exp(-0.07550966642127734) - 1) * 100);
    expectRel(w.ci_pct[1], (Math.exp(-0.02149040904993903) - 1) * 100);
    expect(w.delta_pct).toBeCloseTo(((95 * 96 * 94 * 97) ** 0.25 / (100 * 102 * 98 * 101) ** 0.25 - 1) * 100, 9);
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
