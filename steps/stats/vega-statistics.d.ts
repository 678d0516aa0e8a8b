/**
 * Types for the two functions we use from vega-statistics (installed with vega, a direct dependency; it ships no
 * declarations): the normal CDF (West 2009, "Better approximations to cumulative normal functions") and quantile
 * (Giles 2010 inverse error function). Both are checked against scipy in steps/stats/stats.test.ts.
 */
declare module 'vega-statistics' {
  export function cumulativeNormal(value: number, mean?: number, stdev?: number): number;
  export function quantileNormal(p: number, mean?: number, stdev?: number): number;
}
