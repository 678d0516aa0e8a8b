/**
 * Flags take the config's ranges: a flag that sets a config field (`--trials` → load.trials) is checked against that
 * field's minimum/maximum in schemas/bench-config.schema.json, so the two can never disagree (`--trials 101` was
 * accepted where `trials: 101` was not).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Problem } from './errors.js';
import { SCHEMAS_DIR } from './paths.js';

interface Range {
  type?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
}

let schema: Record<string, unknown> | undefined;

/** The schema node at a JSON pointer of bench-config.schema.json (e.g. `/properties/load/properties/trials`). */
export function schemaRange(pointer: string): Range {
  schema ??= JSON.parse(readFileSync(path.join(SCHEMAS_DIR, 'bench-config.schema.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  let node: unknown = schema;
  for (const seg of pointer.split('/').slice(1)) node = (node as Record<string, unknown> | undefined)?.[seg];
  if (!node || typeof node !== 'object') throw new Error(`no schema node at ${pointer}`);
  return node as Range;
}

/** Pointers of the config fields that sweep flags set. */
export const LOAD = (k: string) => `/properties/load/properties/${k}`;
export const WORKLOAD = (k: string) => `/properties/workload/properties/${k}`;

/** Checks `raw` as a number for `flag` against the schema node at `pointer`: a number, or a problem naming the range. */
export function rangedNumber(raw: string, flag: string, pointer: string): number | Problem {
  const r = schemaRange(pointer);
  const n = raw.trim() === '' ? NaN : Number(raw);
  const int = r.type === 'integer';
  const parts: string[] = [];
  if (r.minimum !== undefined) parts.push(`≥ ${r.minimum}`);
  if (r.exclusiveMinimum !== undefined) parts.push(`> ${r.exclusiveMinimum}`);
  if (r.maximum !== undefined) parts.push(`≤ ${r.maximum}`);
  if (r.exclusiveMaximum !== undefined) parts.push(`< ${r.exclusiveMaximum}`);
  const ok =
    Number.isFinite(n) &&
    (!int || Number.isInteger(n)) &&
    (r.minimum === undefined || n >= r.minimum) &&
    (r.exclusiveMinimum === undefined || n > r.exclusiveMinimum) &&
    (r.maximum === undefined || n <= r.maximum) &&
    (r.exclusiveMaximum === undefined || n < r.exclusiveMaximum);
  if (ok) return n;
  return {
    path: flag,
    message: `must be ${int ? 'an integer' : 'a number'}${parts.length ? ` ${parts.join(' and ')}` : ''} (got '${raw}'; the same range as the config field)`,
  };
}
