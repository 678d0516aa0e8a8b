/**
 * Worker thread body for parallel re-derivation: receives the lines of one trial (one load point, one trial number),
 * checks and parses them, and summarizes them with steps/metrics. See parallel.ts.
 */
import { parentPort } from 'node:worker_threads';
import { pointKey, summarize, type Sample, type SloSpec } from '../metrics/derive.js';
import {
  ImplausibleCollector,
  MAX_CORRUPT_LINES,
  parseSampleLine,
  SampleOrigins,
  type ImplausibleTokens,
} from './samples.js';

export interface TrialBatch {
  id: number;
  /** 1-based line number of the first line. */
  firstLine: number;
  /** The trial's lines as UTF-8 bytes (transferred, not copied). */
  bytes: Uint8Array;
  slo?: SloSpec;
}

export interface TrialBatchResult {
  id: number;
  /** Null when the batch held no measured sample. */
  key: string | null;
  /** False when the lines did not all belong to one (point, trial): the caller falls back to the exact sequential path. */
  uniform: boolean;
  trial: number | null;
  metrics: ReturnType<typeof summarize> | null;
  samples: number;
  warmup: number;
  corrupt: { line: number; message: string }[];
  runIds: string[];
  backends: string[];
  /** Chunk stamps of the measured samples (the per-point stamp cap is summed by the caller). */
  stamps: number;
  implausible: ImplausibleTokens[];
}

const decoder = new TextDecoder();

export function processBatch(b: TrialBatch): TrialBatchResult {
  const corrupt: { line: number; message: string }[] = [];
  const group: Sample[] = [];
  const origins = new SampleOrigins();
  let warmup = 0,
    key: string | null = null,
    trial: number | null = null,
    uniform = true,
    stamps = 0;
  const implausible = new ImplausibleCollector();
  const text = decoder.decode(b.bytes);
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop(); // the trailing newline
  lines.forEach((line, i) => {
    if (!line.trim() || corrupt.length > MAX_CORRUPT_LINES) return;
    const r = parseSampleLine(line);
    if ('bad' in r) {
      corrupt.push({ line: b.firstLine + i, message: r.bad });
      return;
    }
    const s = r.sample;
    origins.note(s);
    const k = `${pointKey(s)}#${s.trial}`;
    if (key === null) {
      key = k;
      trial = s.trial;
    } else if (k !== key) uniform = false;
    if (s.warmup) {
      warmup++;
      return;
    }
    if (s.error) s.error.message = '';
    stamps += s.chunk_ms.length;
    implausible.add(s, b.firstLine + i);
    group.push(s);
  });
  return {
    id: b.id,
    key,
    uniform,
    trial,
    metrics: uniform && group.length ? summarize(group, { slo: b.slo }) : null,
    samples: group.length,
    warmup,
    corrupt,
    runIds: [...origins.runIds],
    backends: [...origins.backends],
    stamps,
    implausible: implausible.list(),
  };
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (b: TrialBatch) => port.postMessage(processBatch(b)));
}
