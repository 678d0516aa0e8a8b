/**
 * What every importer returns: trials of load points, in our metric names (README definitions). What the source
 * did not measure stays unknown (n = 0, nulls), never guessed; contradictions inside a file become findings.
 */
import { createHash } from 'node:crypto';
import type { Metrics } from '../../metrics/derive.js';
import type { ImportNotes } from '../../core/types/import-notes.js';
import { UNKNOWN, type Checker } from '../check.js';

export const FORMATS = ['seed', 'vllm', 'guidellm', 'aiperf', 'genai-perf'] as const;
export type Format = (typeof FORMATS)[number];

/**
 * The backend an import is filed under when --backend is not given: one stable name per tool, never taken from
 * the file (peer files name a protocol such as `openai_http`, not a server, and the name changes across versions).
 * The seed is the exception: its files name the server it measured (vllm, tgi, triton).
 */
export const DEFAULT_BACKEND: Record<Format, string | null> = {
  seed: null,
  vllm: 'vllm-bench',
  guidellm: 'guidellm',
  aiperf: 'aiperf',
  'genai-perf': 'genai-perf',
};

/** One finding of an import, as import.json stores it (schemas/import-notes.schema.json). */
export type ImportFinding = ImportNotes['findings'][number];

export interface ImportedTrial {
  /** Server named by the file itself (seed only); peer tools name none. */
  server: string | null;
  /** What the file says about the target (URL, backend type), for mismatch findings; never a backend id. */
  target: string | null;
  concurrency: number | null;
  rate: number | null;
  model: string | null;
  /** A distinct workload inside one file (the earlier seed's prompt sizes): filed under `<backend>-<variant>`. */
  variant?: string;
  /** Tool version when the file records it. */
  toolVersion: string | null;
  /** Identity of what was asked, as far as the source tells. */
  workload: { fingerprint: string; input_tokens: number | null; output_tokens: number | null; dataset: string };
  metrics: Metrics;
  /** Raw per-request values when the source kept them (for exact pooling over trials). */
  raw?: { ttft?: number[]; e2e?: number[]; tpot?: number[]; itl?: number[] };
  findings: ImportFinding[];
  /** Line of the record in a JSON-lines file. */
  line?: number;
  /**
   * What the file records to tell runs apart beyond the load point (vLLM: `--metadata KEY=VALUE` items and `label`):
   * records that differ here are never pooled as trials (identity.ts).
   */
  identity?: Record<string, string>;
}

/** One input document: JSON (or YAML) parsed, or JSON lines as separate records with their line numbers. */
export type Input = { kind: 'document'; doc: unknown } | { kind: 'lines'; records: { line: number; doc: unknown }[] };

export type Parser = (input: Input, c: Checker) => ImportedTrial[];

export const sha = (x: unknown) => createHash('sha256').update(JSON.stringify(x)).digest('hex');
export const str = (x: unknown): string | null => (typeof x === 'string' && x.length ? x : null);

export function metrics(
  m: Partial<Metrics> & Pick<Metrics, 'completed' | 'failed' | 'output_tokens_total'>,
  durationS: number | null,
): Metrics {
  const per = (x: number) => (durationS && durationS > 0 ? x / durationS : 0);
  const total = m.completed + m.failed;
  return {
    error_rate: total ? m.failed / total : 0,
    errors_by_category: {},
    duration_s: durationS ?? 0,
    output_tokens_per_s: per(m.output_tokens_total),
    requests_per_s: per(m.completed),
    goodput_requests_per_s: null,
    ttft_ms: UNKNOWN,
    itl_ms: UNKNOWN,
    tpot_ms: UNKNOWN,
    e2e_ms: UNKNOWN,
    ...m,
  } as Metrics;
}

/** A parser that takes one JSON document; JSON lines of such documents give one trial list per line. */
export function documentOnly(name: string, parse: (doc: unknown, c: Checker, path: string) => ImportedTrial[]): Parser {
  return (input, c) => {
    if (input.kind === 'document') return parse(input.doc, c, '');
    if (input.records.length === 1) return parse(input.records[0].doc, c, '');
    c.add('', `${name} writes one JSON document per file, not JSON lines`);
    return [];
  };
}
