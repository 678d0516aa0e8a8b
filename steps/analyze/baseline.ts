/**
 * Baselines (results/baselines/*.json) and the nightly history (one file per run). Both hold per-trial values so
 * a comparison can test significance. A baseline is written only from a clean run, or from a clean window of the
 * history: the latest clean runs after the last detected change point, never across a failed night.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InvalidInputError, problemCount } from '../core/errors.js';
import { REPO_ROOT } from '../core/paths.js';
import { validate } from '../core/schemas.js';
import { exists, writeJsonAtomic } from '../core/atomic.js';
import type { Baseline } from '../core/types/baseline.js';
import type { HistoryEntry } from '../core/types/history-entry.js';
import { eDivisive } from '../stats/stats.js';
import { pointKey } from '../metrics/derive.js';

export type BaselineBackend = Baseline['backends'][number];
export const BASELINE_SCHEMA_VERSION = 1;

/** Reads and validates a baseline; another schema version or an invalid file is a clear error (exit 2). */
export async function readBaseline(file: string): Promise<Baseline> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new InvalidInputError('baseline-missing', `baseline ${file} does not exist`, {
      hint: 'Create one from a clean run with `llmbench analyze --runs DIR --out DIR --write-baseline FILE`.',
      problems: [{ path: '', message: 'not found', file }],
    });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new InvalidInputError('baseline-invalid', `baseline ${file} is not valid JSON: ${(e as Error).message}`, {
      hint: 'Regenerate it with --write-baseline.',
      problems: [{ path: '', message: 'not JSON', file }],
    });
  }
  const v = (doc as { schema_version?: unknown })?.schema_version;
  if (v !== BASELINE_SCHEMA_VERSION) {
    throw new InvalidInputError(
      'baseline-schema-mismatch',
      `baseline ${file} has schema_version ${JSON.stringify(v)}; this llmbench reads version ${BASELINE_SCHEMA_VERSION}`,
      {
        hint: 'Regenerate the baseline with this version (`llmbench analyze … --write-baseline FILE`) from a clean run; comparing across formats would be a guess.',
        problems: [{ path: '/schema_version', message: `must be ${BASELINE_SCHEMA_VERSION}`, file }],
      },
    );
  }
  const problems = validate('baseline', doc);
  if (problems.length) {
    throw new InvalidInputError(
      'baseline-invalid',
      `baseline ${file} does not match schemas/baseline.schema.json (${problemCount(problems.length)})`,
      {
        hint: 'Regenerate it with --write-baseline.',
        problems: problems.map((p) => ({ ...p, file })),
      },
    );
  }
  return doc as Baseline;
}

export async function writeBaseline(file: string, b: Baseline): Promise<void> {
  const problems = validate('baseline', b);
  if (problems.length) throw new Error(`internal: baseline does not validate: ${JSON.stringify(problems)}`);
  await writeJsonAtomic(file, b);
}

/** Appends one run to the history directory; an existing entry of the same run is never overwritten. */
export async function appendHistory(dir: string, e: HistoryEntry): Promise<string> {
  const problems = validate('history-entry', e);
  if (problems.length) throw new Error(`internal: history entry does not validate: ${JSON.stringify(problems)}`);
  const id = e.run_id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80);
  // Re-analyzing the same run must not add it twice (the series would count it twice).
  const same = (await fs.readdir(dir).catch(() => [] as string[])).find((n) => n.endsWith(`Z-${id}.json`));
  if (same) return path.join(dir, same);
  const file = path.join(dir, `${e.created_at.replace(/[:.]/g, '-')}-${id}.json`);
  if (await exists(file)) return file;
  await writeJsonAtomic(file, e);
  return file;
}

export interface LoadedHistory {
  entries: HistoryEntry[];
  skipped: { file: string; reason: string }[];
}

/** Reads every history entry, oldest first; unreadable or other-version files are skipped and listed. */
export async function readHistory(dir: string): Promise<LoadedHistory> {
  const entries: HistoryEntry[] = [];
  const skipped: { file: string; reason: string }[] = [];
  let names: string[] = [];
  try {
    names = (await fs.readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return { entries, skipped };
  }
  for (const n of names) {
    const file = path.join(dir, n);
    try {
      const doc = JSON.parse(await fs.readFile(file, 'utf8'));
      const problems = validate('history-entry', doc);
      if (problems.length) skipped.push({ file, reason: `${problems[0].path}: ${problems[0].message}` });
      else entries.push(doc as HistoryEntry);
    } catch (e) {
      skipped.push({ file, reason: (e as Error).message });
    }
  }
  entries.sort((a, b) => a.created_at.localeCompare(b.created_at));
  return { entries, skipped };
}

const gmean = (xs: number[]) => Math.exp(xs.reduce((a, v) => a + Math.log(v), 0) / xs.length);

export interface SeriesChangePoint {
  backend: string;
  concurrency: number | null;
  rate: number | null;
  metric: string;
  run: string;
  index: number;
  p_value: number;
  before: number;
  after: number;
}

/**
 * E-divisive means over each metric's series of clean runs (one value per run: the geometric mean of its trials).
 * Reports at which run each significant shift begins.
 */
export function historyChangePoints(
  entries: HistoryEntry[],
  metrics: string[],
  opts: { alpha?: number; permutations?: number; minSize?: number } = {},
): SeriesChangePoint[] {
  const clean = entries.filter((e) => e.clean);
  const series = new Map<
    string,
    {
      backend: string;
      concurrency: number | null;
      rate: number | null;
      metric: string;
      runs: string[];
      values: number[];
    }
  >();
  for (const e of clean) {
    for (const b of e.backends) {
      for (const p of b.points) {
        for (const m of metrics) {
          const vals = p.metrics[m]?.filter((v) => v > 0);
          if (!vals?.length) continue;
          const k = `${b.backend}#${pointKey(p)}#${m}`;
          let s = series.get(k);
          if (!s)
            series.set(
              k,
              (s = { backend: b.backend, concurrency: p.concurrency, rate: p.rate, metric: m, runs: [], values: [] }),
            );
          s.runs.push(e.run_id);
          s.values.push(gmean(vals));
        }
      }
    }
  }
  const out: SeriesChangePoint[] = [];
  for (const s of series.values()) {
    for (const cp of eDivisive(s.values, {
      alpha: opts.alpha ?? 0.01,
      permutations: opts.permutations ?? 199,
      minSize: opts.minSize ?? 3,
    })) {
      out.push({
        backend: s.backend,
        concurrency: s.concurrency,
        rate: s.rate,
        metric: s.metric,
        run: s.runs[cp.index],
        index: cp.index,
        p_value: cp.p_value,
        before: cp.before,
        after: cp.after,
      });
    }
  }
  return out;
}

/**
 * Baseline from a clean window: per backend, the last `window` clean runs with the newest run's workload
 * fingerprint, none before the latest change point of that backend. Trial values of the window are pooled.
 */
export function baselineFromHistory(
  entries: HistoryEntry[],
  changePoints: SeriesChangePoint[],
  opts: { window: number; createdAt: string; commitSha?: string | null },
): Baseline | null {
  const clean = entries.filter((e) => e.clean);
  if (!clean.length) return null;
  const latest = clean[clean.length - 1];
  const backends: BaselineBackend[] = [];
  for (const lb of latest.backends) {
    const cpRuns = new Set(changePoints.filter((c) => c.backend === lb.backend).map((c) => c.run));
    const window: BaselineBackend[] = [];
    for (let i = clean.length - 1; i >= 0 && window.length < opts.window; i--) {
      const b = clean[i].backends.find((x) => x.backend === lb.backend);
      if (!b || b.fingerprint !== lb.fingerprint) break;
      window.push(b);
      if (cpRuns.has(clean[i].run_id)) break; // the shift starts here: older runs belong to another regime
    }
    const points = lb.points.map((p) => {
      const metrics: Record<string, number[]> = {};
      for (const b of window) {
        const q = b.points.find((x) => pointKey(x) === pointKey(p));
        for (const [k, v] of Object.entries(q?.metrics ?? {})) (metrics[k] ??= []).push(...v);
      }
      return { concurrency: p.concurrency, rate: p.rate, metrics };
    });
    backends.push({ backend: lb.backend, fingerprint: lb.fingerprint, provenance: lb.provenance, points });
  }
  return {
    schema_version: 1,
    created_at: opts.createdAt,
    commit_sha: opts.commitSha ?? latest.commit_sha ?? null,
    source: `history window of ${Math.min(opts.window, clean.length)} clean run(s) ending ${latest.run_id}`,
    backends,
  };
}

/** Relative baseline paths resolve against the working directory, then the repository (for the committed default). */
export async function resolveBaselinePath(p: string, cwd = process.cwd()): Promise<string> {
  if (path.isAbsolute(p)) return p;
  const a = path.resolve(cwd, p);
  try {
    await fs.access(a);
    return a;
  } catch {
    return path.resolve(REPO_ROOT, p);
  }
}
