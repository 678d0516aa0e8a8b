/**
 * Reading values out of a peer tool's document with their JSON paths, and refusing implausible ones. Every problem
 * is collected (not only the first) so the user sees all of them at once, each with the file and the JSON path.
 */
import type { Problem } from '../core/errors.js';
import type { Stats } from '../metrics/derive.js';

/** Plausibility bounds: beyond these a value is a corrupt or hostile file, not a measurement. */
export const BOUNDS = {
  /** A single request of more than 24 h is not a latency. */
  latencyMs: 24 * 3600 * 1000,
  /** A benchmark of more than 30 days. */
  durationS: 30 * 24 * 3600,
  /** Requests in one load point. */
  count: 1e9,
  /** Tokens in one load point. */
  tokens: 1e13,
  /** In-flight requests. */
  concurrency: 1e6,
  /** Requests per second. */
  rate: 1e7,
} as const;

export type Obj = Record<string, unknown>;
export const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
export const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

interface NumOpts {
  required?: boolean;
  min?: number;
  /** Strictly greater than. */
  above?: number;
  max: number;
  integer?: boolean;
}

export class Checker {
  readonly problems: Problem[] = [];
  /** Line of the record being read (JSON lines), attached to every problem found meanwhile. */
  line: number | undefined;
  constructor(readonly file: string) {}

  add(path: string, message: string): void {
    if (this.problems.length < 500)
      this.problems.push({ path, file: this.file, message, ...(this.line !== undefined ? { line: this.line } : {}) });
  }
  get ok(): boolean {
    return this.problems.length === 0;
  }

  obj(o: Obj | undefined, key: string, path: string, required = true): Obj | undefined {
    const v = o?.[key];
    if (isObj(v)) return v;
    if (v !== undefined && v !== null) this.add(`${path}/${key}`, 'must be an object');
    else if (required) this.add(`${path}/${key}`, 'is required');
    return undefined;
  }

  /** A number within bounds; null (and a problem when required) otherwise. */
  num(o: Obj | undefined, key: string, path: string, opts: NumOpts): number | null {
    const v = o?.[key];
    if (v === undefined || v === null) {
      if (opts.required) this.add(`${path}/${key}`, 'is required');
      return null;
    }
    return this.value(v, `${path}/${key}`, opts);
  }

  value(v: unknown, path: string, opts: NumOpts): number | null {
    if (!isNum(v)) {
      this.add(path, typeof v === 'number' ? `must be finite (got ${v})` : 'must be a number');
      return null;
    }
    const bad = (m: string) => (this.add(path, `${m} (got ${v})`), null);
    if (opts.integer && !Number.isInteger(v)) return bad('must be a whole number');
    if (opts.min !== undefined && v < opts.min)
      return bad(opts.min === 0 ? 'must not be negative' : `must be ≥ ${opts.min}`);
    if (opts.above !== undefined && v <= opts.above) return bad(`must be > ${opts.above}`);
    if (v > opts.max) return bad(`is implausibly large (limit ${opts.max})`);
    return v;
  }

  count(o: Obj | undefined, key: string, path: string, required = true): number | null {
    return this.num(o, key, path, { required, min: 0, max: BOUNDS.count, integer: true });
  }
  durationS(o: Obj | undefined, key: string, path: string, required = true): number | null {
    return this.num(o, key, path, { required, above: 0, max: BOUNDS.durationS });
  }
  concurrency(v: unknown, path: string): number | null {
    return this.value(v, path, { min: 1, max: BOUNDS.concurrency, integer: true });
  }
  rate(v: unknown, path: string): number | null {
    return this.value(v, path, { above: 0, max: BOUNDS.rate });
  }

  /**
   * A distribution from the source. `keys` maps our fields to the source's relative paths ('median',
   * 'percentiles/p50'); `scale` converts the unit (s → ms = 1000). Values must be non-negative, within `max` (in
   * our unit), and ordered min ≤ p50 ≤ p90 ≤ p95 ≤ p99 ≤ max with the mean inside [min, max].
   */
  stats(
    src: Obj | undefined,
    path: string,
    keys: StatKeys,
    n: number,
    scale = 1,
    max: number = BOUNDS.latencyMs,
  ): Stats {
    if (!src) return { ...UNKNOWN };
    const got: Partial<Record<keyof StatKeys, { v: number; at: string }>> = {};
    for (const [field, rel] of Object.entries(keys) as [keyof StatKeys, string | undefined][]) {
      if (!rel) continue;
      const raw = pick(src, rel);
      if (raw === undefined || raw === null) continue;
      const at = `${path}/${rel}`;
      const v = this.value(raw, at, { min: 0, max: max / scale });
      if (v !== null) got[field] = { v: v * scale, at };
    }
    const order: (keyof StatKeys)[] = ['min', 'p50', 'p90', 'p95', 'p99', 'max'];
    const present = order.filter((k) => got[k]);
    for (let i = 1; i < present.length; i++) {
      const a = got[present[i - 1]]!,
        b = got[present[i]]!;
      if (a.v > b.v * (1 + 1e-9) + 1e-9)
        this.add(b.at, `${present[i]} (${b.v / scale}) is below ${present[i - 1]} (${a.v / scale}) at ${a.at}`);
    }
    const mean = got.mean;
    if (mean && got.min && mean.v < got.min.v * (1 - 1e-9) - 1e-9)
      this.add(mean.at, `mean (${mean.v / scale}) is below min (${got.min.v / scale})`);
    if (mean && got.max && mean.v > got.max.v * (1 + 1e-9) + 1e-9)
      this.add(mean.at, `mean (${mean.v / scale}) is above max (${got.max.v / scale})`);
    const f = (k: keyof StatKeys) => got[k]?.v ?? null;
    const any = present.length > 0 || mean !== undefined;
    return {
      n: any ? n : 0,
      mean: any ? f('mean') : null,
      stddev: any ? f('stddev') : null,
      min: any ? f('min') : null,
      max: any ? f('max') : null,
      p50: any ? f('p50') : null,
      p90: any ? f('p90') : null,
      p95: any ? f('p95') : null,
      p99: any ? f('p99') : null,
    };
  }
}

export interface StatKeys {
  mean?: string;
  stddev?: string;
  min?: string;
  max?: string;
  p50?: string;
  p90?: string;
  p95?: string;
  p99?: string;
}

export const UNKNOWN: Stats = {
  n: 0,
  mean: null,
  stddev: null,
  min: null,
  max: null,
  p50: null,
  p90: null,
  p95: null,
  p99: null,
};

/** `a/b/c` inside an object. */
export function pick(o: unknown, rel: string): unknown {
  let cur: unknown = o;
  for (const k of rel.split('/')) {
    if (Array.isArray(cur) && /^\d+$/.test(k)) cur = cur[Number(k)];
    else if (isObj(cur)) cur = cur[k];
    else return undefined;
  }
  return cur;
}
