/**
 * Every finding code, declared once: the severities it may carry, what an error of it makes inconclusive, whether it
 * keeps a run out of baselines, a title and its message template. analyze emits only these (through `finding`),
 * schemas/verdict.schema.json's enum is generated from this table (`npm run gen:types`; steps/core/findings.test.ts
 * fails on drift), and the report can group by `title`.
 */
export type Severity = 'info' | 'warning' | 'error';

export interface FindingKind {
  /** Severities it may be emitted with (the first is the usual one). */
  severities: readonly Severity[];
  /**
   * What an error of this code makes inconclusive: `point` (comparisons at its load point), `backend` (all of its
   * backend), `run` (everything), `verdict` (nothing per comparison, but the verdict cannot pass), `none`.
   */
  blocks: 'point' | 'backend' | 'run' | 'verdict' | 'none';
  /** An error of this code keeps the run out of baselines and history windows (false: it concerns the comparison). */
  excludesFromBaseline: boolean;
  /** Short heading for reports that group findings by code. */
  title: string;
  /** Message with {name} placeholders filled from the finding's params. */
  template: string;
}

const k = (
  severities: readonly Severity[],
  blocks: FindingKind['blocks'],
  excludesFromBaseline: boolean,
  title: string,
  template: string,
): FindingKind => ({ severities, blocks, excludesFromBaseline, title, template });

export const FINDINGS = {
  // ---- validity of a run ----
  'corrupt-samples': k(
    ['error'],
    'backend',
    true,
    'Corrupt samples',
    '{count} corrupt line(s) in {file} (first at line {line}: {detail}); results of this backend cannot be trusted',
  ),
  'token-count-implausible': k(
    ['error'],
    'point',
    true,
    'Implausible token counts',
    '{count} sample(s) at {where} carry server token counts the stream contradicts (negative, or more than {max}× the output events seen; first at {file} line {line}: {detail}); the point is invalid',
  ),
  'torn-last-line': k(
    ['info'],
    'none',
    false,
    'Torn last line',
    'the last line of samples.ndjson was cut short (the writer stopped mid-line) and was ignored',
  ),
  'samples-mixed': k(
    ['error'],
    'backend',
    true,
    'Samples of several backends',
    'samples.ndjson holds samples of other backends ({backends}); one sweep output per backend',
  ),
  'mixed-runs': k(
    ['info'],
    'none',
    false,
    'Resumed or sharded sweep',
    'samples come from {count} sweep processes (a resumed or sharded sweep)',
  ),
  'empty-run': k(['error'], 'backend', true, 'Empty run', 'the sweep holds no measured requests'),
  'workload-unknown': k(
    ['error'],
    'backend',
    true,
    'Workload unknown',
    'the sweep has no workload fingerprint: what was asked cannot be checked',
  ),
  'summary-samples-mismatch': k(
    ['warning'],
    'none',
    false,
    'Summary and samples disagree',
    'summary.json counts {claimed} requests but samples.ndjson holds {derived}; the samples were used',
  ),
  'workload-mixed': k(
    ['error'],
    'run',
    true,
    'Different workloads in one run',
    'backends in this runs directory ran different workloads: {detail}; nothing here can be compared fairly',
  ),
  // ---- validity of a load point ----
  'requests-failed': k(
    ['warning', 'error'],
    'point',
    true,
    'Failed requests',
    '{failed} of {total} requests failed at {where} ({rate_pct} %{over}){categories}',
  ),
  'point-invalid': k(['error'], 'point', true, 'Invalid load point', '{where}: {detail}'),
  'client-bottleneck': k(['error', 'warning'], 'point', true, 'Load generator lagged', '{where}: {detail}'),
  'too-few-samples': k(['warning', 'error'], 'point', true, 'Too few samples', '{where}: {detail}'),
  'token-count-unverified': k(['warning', 'info'], 'none', false, 'Output tokens unverified', '{where}: {detail}'),
  'token-count-mismatch': k(
    ['warning'],
    'none',
    false,
    'Server and client token counts differ',
    '{where}: server and client token counts differ by more than 1 for {count} requests',
  ),
  'output-shortfall': k(
    ['warning'],
    'none',
    false,
    'Fewer output tokens than requested',
    '{where}: {count} of {completed} requests produced fewer output tokens than requested (mean {mean} of {requested}); per-token latencies are comparable, throughput across servers is not',
  ),
  // ---- the comparison ----
  'no-baseline': k(['error'], 'verdict', false, 'No baseline', '{detail}'),
  'baseline-invalid': k(['error'], 'verdict', false, 'Baseline unreadable', '{detail}'),
  'baseline-schema-mismatch': k(['error'], 'verdict', false, 'Baseline of another format', '{detail}'),
  'workload-mismatch': k(
    ['error'],
    'backend',
    false,
    'Workload differs from the baseline',
    "workload fingerprint {candidate}… differs from the baseline's {baseline}…: a different workload, not a regression",
  ),
  'provenance-mismatch': k(['error'], 'backend', false, 'GPU, model or server differs from the baseline', '{detail}'),
  'backend-missing': k(
    ['error'],
    'verdict',
    false,
    'Backend not measured',
    "the baseline has backend '{backend}' but this run did not measure it",
  ),
  'insufficient-trials': k(
    ['info'],
    'none',
    false,
    'Fewer trials than the fixed rule needs',
    '{where}: {count} trial(s); the fixed rule reaches its power target (5 % drop found ≥ 95 %) at {recommended} per side — smaller regressions may go unnoticed',
  ),
  'noise-above-design': k(
    ['warning'],
    'none',
    false,
    'Trials noisier than the sequential design',
    "{where} {metric}: trial noise {observed} % is above the design's {design} % (p = {p}); the gate's error rates are those of a noisier design — raise regression.sequential.noise_pct",
  ),
  'change-point': k(
    ['info'],
    'none',
    false,
    'Change point in the history',
    '{metric} at {where} shifted from {before} to {after} starting with run {run} (E-divisive, permutation p = {p})',
  ),
  // ---- written by `llmbench import` (import.json) ----
  'claim-contradiction': k(['error', 'warning'], 'point', true, 'Imported file contradicts itself', '{detail}'),
  'ttft-not-measured': k(['info'], 'none', false, 'TTFT not measured by the source', '{detail}'),
  'load-point-inferred': k(['info'], 'none', false, 'Load point inferred', '{detail}'),
  'run-cancelled': k(['error'], 'point', true, 'Source run cancelled', '{detail}'),
  // steps/import: what an imported file says of itself (see test/fixtures/imports/SOURCES.md for the versions)
  'duplicate-input': k(['error'], 'none', false, 'Duplicate input file', '{detail}'),
  'model-mismatch': k(['error'], 'backend', true, 'Models differ within one import', '{detail}'),
  'backend-mismatch': k(['error'], 'backend', true, 'Servers differ within one import', '{detail}'),
  'load-point-capped': k(['info'], 'none', false, 'Load point capped by the tool', '{detail}'),
  'incomplete-requests': k(['info'], 'none', false, 'Requests cut off by the run limit', '{detail}'),
  'strategy-skipped': k(['warning'], 'none', false, 'Benchmark strategy not imported', '{detail}'),
  'all-failed': k(['error'], 'point', true, 'Every request failed', '{detail}'),
  'throughput-inferred': k(['info', 'warning'], 'none', false, 'Throughput derived from other fields', '{detail}'),
  'failed-inferred': k(['info'], 'none', false, 'Failures derived from counts', '{detail}'),
  'count-inferred': k(['info', 'warning'], 'none', false, 'Request count derived from rates', '{detail}'),
  'summary-only': k(['info'], 'none', false, 'Summary statistics only', '{detail}'),
  'records-selected': k(['info'], 'none', false, 'Records chosen with --select', '{detail}'),
  'metadata-differs': k(['warning'], 'none', false, 'Run labels differ between load points', '{detail}'),
  'import-finding': k(['info', 'warning', 'error'], 'point', true, 'Other import finding', '{detail}'),
} as const satisfies Record<string, FindingKind>;

export type FindingCode = keyof typeof FINDINGS;
export const FINDING_CODES = Object.keys(FINDINGS) as FindingCode[];

export const isFindingCode = (c: string): c is FindingCode => Object.hasOwn(FINDINGS, c);

/** The message of a finding: its template with {name} filled from params (a missing param shows as '?'). */
export function findingMessage(code: FindingCode, params: Record<string, string | number | null | undefined>): string {
  return FINDINGS[code].template.replace(/\{([a-z_]+)\}/g, (_, n: string) => {
    const v = params[n];
    return v === undefined || v === null ? '?' : String(v);
  });
}
