/**
 * Synthetic sweep outputs with known properties (throughput level, trial-to-trial noise, failures), for tests
 * and the 1M-sample benchmark. Samples follow schemas/sample.schema.json; the summary comes from steps/metrics.
 */
import { openSync, writeSync, closeSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { summarizePoints, type Sample } from '../metrics/derive.js';
import type { SweepSummary } from '../core/types/sweep-summary.js';
import { normal, rng } from '../stats/stats.js';

export interface SynthRun {
  backend: string;
  concurrency: number[];
  trials: number;
  requests: number;
  warmup?: number;
  outputTokens?: number;
  /** Relative speed of a trial (1 = nominal): throughput scales with it, latencies with its inverse. */
  speed?: (trial: number, concurrency: number) => number;
  /** Trial-to-trial noise as a coefficient of variation (log-normal), applied on top of `speed`. */
  cv?: number;
  seed?: number;
  /** Fraction of requests that fail (http_5xx). */
  failRate?: number;
  fingerprint?: string;
  provenance?: SweepSummary['provenance'];
  /** Write points in an interleaved order (trial-major across points), as merged shards would. */
  interleave?: boolean;
  /** Keep samples in memory to build summary.json (false for the 1M benchmark: the summary is then minimal). */
  summarize?: boolean;
}

/** Generates samples trial by trial; `emit` receives each one (so a million never sit in memory at once). */
export function generate(o: SynthRun, emit: (s: Sample) => void): void {
  const u = rng(o.seed ?? 1);
  const n = o.outputTokens ?? 32;
  const sigma = Math.sqrt(Math.log(1 + (o.cv ?? 0.03) ** 2));
  let clock = 1.7e12;
  const order: [number, number][] = [];
  if (o.interleave) for (let t = 0; t < o.trials; t++) for (const c of o.concurrency) order.push([c, t]);
  else for (const c of o.concurrency) for (let t = 0; t < o.trials; t++) order.push([c, t]);
  for (const [c, trial] of order) {
    const speed = (o.speed?.(trial, c) ?? 1) * Math.exp(sigma * normal(u) - (sigma * sigma) / 2);
    const total = (o.warmup ?? 0) + o.requests;
    const slots = Array.from({ length: c }, () => clock);
    for (let seq = 0; seq < total; seq++) {
      let k = 0;
      for (let i = 1; i < c; i++) if (slots[i] < slots[k]) k = i;
      const sent = slots[k];
      const ttft = ((40 + 4 * c) * (1 + 0.05 * normal(u))) / speed;
      const itl = (20 + 0.5 * c) / speed;
      const fail = (o.failRate ?? 0) > 0 && u() < o.failRate!;
      const chunk_ms: number[] = [];
      if (!fail) {
        let t = sent + ttft;
        for (let j = 0; j < n; j++) {
          chunk_ms.push(Math.round(t * 1000) / 1000);
          t += itl * (1 + 0.1 * normal(u));
        }
      }
      const end = fail ? sent + 5 : chunk_ms[chunk_ms.length - 1] + 0.2;
      slots[k] = end;
      emit({
        v: 1,
        run_id: `synth-${o.seed ?? 1}`,
        backend: o.backend,
        concurrency: c,
        rate: null,
        trial,
        seq,
        prompt_index: seq % 64,
        warmup: seq < (o.warmup ?? 0),
        intended_send_ms: sent,
        sent_ms: sent,
        headers_ms: sent + 1,
        chunk_ms,
        chunk_tokens: chunk_ms.map(() => 1),
        end_ms: end,
        input_tokens: { requested: 128, client: 128, server: 128 },
        output_tokens: { requested: n, server: fail ? null : n, client: fail ? null : n },
        finish_reason: fail ? null : 'length',
        ok: !fail,
        error: fail ? { category: 'http_5xx', message: 'synthetic failure', http_status: 503 } : null,
      });
    }
    clock = Math.max(...slots) + 100;
  }
}

/**
 * The small well-formed run the hostile-file checks start from (bench:hostile-files and its test): a valid runs
 * directory that one planted oversize file then spoils.
 */
export async function writeSmallRuns(dir: string): Promise<string> {
  const runs = path.join(dir, 'runs');
  await writeSynthRun(path.join(runs, 'vllm'), {
    backend: 'vllm',
    concurrency: [1, 2],
    trials: 3,
    requests: 6,
    outputTokens: 8,
  });
  return runs;
}

/** Writes <dir>/samples.ndjson and <dir>/summary.json for one synthetic backend sweep. */
export async function writeSynthRun(dir: string, o: SynthRun): Promise<{ samples: number; bytes: number }> {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, 'samples.ndjson');
  // Synchronous 1 MiB writes: the generator is synchronous and must not hold a million lines in memory.
  const fd = openSync(file, 'w');
  let keep: Sample[] = [];
  const points: SweepSummary['points'] = [];
  let buf = '';
  let count = 0,
    bytes = 0;
  try {
    generate(o, (s) => {
      count++;
      if (o.summarize !== false) {
        // Summarize point by point (unless interleaved) so a million samples never sit in memory.
        if (!o.interleave && keep.length && keep[keep.length - 1].concurrency !== s.concurrency) {
          points.push(...summarizePoints(keep));
          keep = [];
        }
        keep.push(s);
      }
      buf += JSON.stringify(s) + '\n';
      if (buf.length > 1 << 20) {
        bytes += writeSync(fd, buf);
        buf = '';
      }
    });
    bytes += writeSync(fd, buf);
  } finally {
    closeSync(fd);
  }
  const summary: SweepSummary = {
    schema_version: 1,
    backend: o.backend,
    adapter: 'vllm',
    run_id: `synth-${o.seed ?? 1}`,
    plan: {
      mode: 'concurrency',
      trials: o.trials,
      warmup: o.warmup ?? 0,
      requests: o.requests,
      duration_s: null,
      seed: o.seed ?? 1,
      min_samples: 20,
    },
    workload: {
      fingerprint: o.fingerprint ?? 'synthetic-fp-1',
      dataset: 'synthetic',
      input_tokens: 128,
      output_tokens: o.outputTokens ?? 32,
    },
    provenance: o.provenance ?? { server: 'vllm 0.11.0', model: 'mistral', gpu: 'sim-a100', simulated: true },
    points:
      o.summarize === false
        ? []
        : [...points, ...summarizePoints(keep)].sort((a, b) => (a.concurrency ?? 0) - (b.concurrency ?? 0)),
  };
  await fs.writeFile(path.join(dir, 'summary.json'), JSON.stringify(summary, null, 2));
  return { samples: count, bytes };
}
