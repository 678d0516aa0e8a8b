/**
 * What a killed sweep left behind, and how `--resume` picks it up: samples.ndjson (one whole line per finished
 * request) and sweep-state.json (which plan, which trials are complete). A line torn by a kill mid-write is
 * ignored and closed with a newline so new lines stay whole.
 */
import { promises as fs, constants as fsc } from 'node:fs';
import { writeJsonAtomic } from '../core/atomic.js';
import { readLines } from '../core/lines.js';
import type { Sample } from '../core/types/sample.js';

export interface SweepState {
  plan_id: string;
  fingerprint: string;
  backend: string;
  resumes: number;
  started_at: string;
  /** `<concurrency>|<rate>|<trial>` of every trial that ran to its end. */
  completed?: string[];
}

export const sampleKey = (s: Pick<Sample, 'concurrency' | 'rate' | 'trial' | 'seq'>): string =>
  `${s.concurrency ?? ''}|${s.rate ?? ''}|${s.trial}|${s.seq}`;

export async function loadState(file: string): Promise<SweepState | null> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as SweepState;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

export const saveState = (file: string, s: SweepState): Promise<void> => writeJsonAtomic(file, s);

export interface ReadResult {
  samples: Sample[];
  /** Lines that did not parse (a kill mid-write leaves at most one). */
  torn: number;
}

/**
 * Reads samples.ndjson line by line (each line bounded: steps/core/lines.ts — a corrupt or oversized file is exit 2
 * naming the line, not a RangeError); closes a torn last line with a newline so appends after it stay parseable.
 */
export async function readSamples(file: string): Promise<ReadResult> {
  const samples: Sample[] = [];
  let torn = 0;
  let unterminated = false;
  try {
    for await (const l of readLines(file)) {
      unterminated = l.unterminated;
      if (!l.text.trim()) continue;
      try {
        samples.push(JSON.parse(l.text) as Sample);
      } catch {
        torn++;
      }
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { samples: [], torn: 0 };
    throw e;
  }
  if (unterminated) await fs.appendFile(file, '\n', { flag: fsc.O_WRONLY | fsc.O_APPEND | fsc.O_NOFOLLOW });
  return { samples, torn };
}
