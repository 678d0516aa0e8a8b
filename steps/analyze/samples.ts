/**
 * Streams runs/<backend>/samples.ndjson line by line and re-derives every load point with steps/metrics
 * (`summarizePoints`). Samples of one point are held only until the next point starts (sweeps write points one
 * after another), so memory is bounded by the largest point, not the file. If a point reappears after it was
 * closed (merged shards, A/B interleaving), the file is read again holding every point: slower, still exact.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { pointKey, summarizePoints, type Point, type Sample, type SloSpec } from '../metrics/derive.js';

export interface CorruptLine {
  line: number;
  message: string;
}

export interface SampleRead {
  points: Point[];
  /** Measured (non-warmup) samples read. */
  samples: number;
  warmup: number;
  corrupt: CorruptLine[];
  /** The last line was cut short (a killed writer); it is dropped, not counted as corruption. */
  tornLastLine: boolean;
  runIds: string[];
  backends: string[];
  interleaved: boolean;
}

/** Structural check of one parsed line: enough to derive metrics without throwing. Returns a problem or null. */
export function sampleProblem(x: unknown): string | null {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return 'not a JSON object';
  const s = x as Record<string, unknown>;
  if (s.v !== 1) return `unknown sample version ${JSON.stringify(s.v)}`;
  if (typeof s.sent_ms !== 'number' || typeof s.intended_send_ms !== 'number') return 'sent_ms/intended_send_ms missing';
  if (!Array.isArray(s.chunk_ms) || !Array.isArray(s.chunk_tokens) || s.chunk_ms.length !== s.chunk_tokens.length) return 'chunk_ms/chunk_tokens missing or of different lengths';
  if (typeof s.ok !== 'boolean' || typeof s.warmup !== 'boolean') return 'ok/warmup missing';
  if (!Number.isInteger(s.trial)) return 'trial missing';
  if (!(s.concurrency === null || Number.isInteger(s.concurrency)) || !(s.rate === null || typeof s.rate === 'number')) return 'concurrency/rate missing';
  if (s.concurrency === null && s.rate === null) return 'neither concurrency nor rate set';
  const o = s.output_tokens as Record<string, unknown> | undefined, i = s.input_tokens as Record<string, unknown> | undefined;
  if (typeof o !== 'object' || o === null || typeof i !== 'object' || i === null) return 'input_tokens/output_tokens missing';
  for (const k of s.chunk_ms as unknown[]) if (typeof k !== 'number') return 'chunk_ms holds a non-number';
  return null;
}

export async function readSamples(file: string, opts: { slo?: SloSpec } = {}): Promise<SampleRead> {
  const first = await pass(file, opts, false);
  return first.interleaved ? { ...(await pass(file, opts, true)), interleaved: true } : first;
}

async function pass(file: string, opts: { slo?: SloSpec }, holdAll: boolean): Promise<SampleRead> {
  const points: Point[] = [];
  const open = new Map<string, Sample[]>();
  const closed = new Set<string>();
  let current: string | null = null;
  const corrupt: CorruptLine[] = [];
  const runIds = new Set<string>();
  const backends = new Set<string>();
  let samples = 0, warmup = 0, lineNo = 0, interleaved = false;
  let pendingBad: CorruptLine | null = null;

  const close = (k: string) => {
    const group = open.get(k);
    open.delete(k);
    closed.add(k);
    if (group?.length) points.push(...summarizePoints(group, { slo: opts.slo }));
  };

  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of rl) {
    lineNo++;
    if (pendingBad) corrupt.push(pendingBad);
    pendingBad = null;
    if (!line.trim()) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (e) {
      pendingBad = { line: lineNo, message: `not JSON: ${(e as Error).message.slice(0, 120)}` };
      continue;
    }
    const problem = sampleProblem(parsed);
    if (problem) {
      corrupt.push({ line: lineNo, message: problem });
      continue;
    }
    const s = parsed as Sample;
    if (typeof s.run_id === 'string') runIds.add(s.run_id);
    if (typeof s.backend === 'string') backends.add(s.backend);
    if (s.warmup) {
      warmup++;
      continue; // summarize ignores warmup samples: drop them now to save memory
    }
    samples++;
    // Keep only what the metrics need; the error message and text fields are the bulk of a failed line.
    const slim = { ...s, run_id: '', backend: '', error: s.error ? { category: s.error.category, message: '' } : null } as Sample;
    delete (slim as Partial<Sample>).server_timing;
    const k = pointKey(s);
    if (k !== current) {
      if (closed.has(k)) interleaved = true;
      if (!holdAll && current !== null && open.has(current)) close(current);
      current = k;
    }
    if (interleaved && !holdAll) break;
    let arr = open.get(k);
    if (!arr) open.set(k, (arr = []));
    arr.push(slim);
  }
  rl.close();
  // A bad final line is a torn write (the writer was killed mid-line), not corruption.
  const tornLastLine = pendingBad !== null;
  for (const k of [...open.keys()]) close(k);
  points.sort((a, b) => (a.concurrency ?? 0) - (b.concurrency ?? 0) || (a.rate ?? 0) - (b.rate ?? 0));
  return { points, samples, warmup, corrupt, tornLastLine, runIds: [...runIds], backends: [...backends], interleaved };
}
