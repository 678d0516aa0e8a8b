/**
 * Reads a runs directory (one sub-directory per backend, each a sweep output; or a single sweep output) and
 * validates all of it before any analysis: every problem is reported at once (exit 2).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InvalidInputError, type Problem, problemCount } from '../core/errors.js';
import { validate } from '../core/schemas.js';
import type { Logger } from '../core/log.js';
import type { SweepSummary } from '../core/types/sweep-summary.js';
import type { ImportNotes } from '../core/types/import-notes.js';
import type { Point, SloSpec } from '../metrics/derive.js';
import { readSampleFiles, type CorruptLine, type ImplausibleTokens } from './samples.js';

export interface LoadedRun {
  backend: string;
  dir: string;
  summary: SweepSummary;
  /** Points re-derived from samples.ndjson when present, else the summary's own (imported results). */
  points: Point[];
  source: 'samples' | 'summary';
  samples: number;
  corrupt: CorruptLine[];
  tornLastLine: boolean;
  interleaved: boolean;
  sampleRunIds: string[];
  sampleBackends: string[];
  /** Points whose samples carry server token counts that contradict the stream. */
  implausible: ImplausibleTokens[];
  /** Findings of `llmbench import` (import.json next to an imported summary). */
  importFindings: ImportNotes['findings'];
}

async function importFindings(dir: string): Promise<LoadedRun['importFindings']> {
  try {
    const doc = JSON.parse(await fs.readFile(path.join(dir, 'import.json'), 'utf8'));
    return Array.isArray(doc.findings)
      ? doc.findings.filter(
          (f: { code?: unknown; message?: unknown; severity?: unknown }) =>
            typeof f.code === 'string' &&
            typeof f.message === 'string' &&
            ['info', 'warning', 'error'].includes(String(f.severity)),
        )
      : [];
  } catch {
    return [];
  }
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isFile();
  } catch {
    return false;
  }
}

export async function findSweepDirs(runsDir: string): Promise<string[]> {
  let st;
  try {
    st = await fs.stat(runsDir);
  } catch {
    throw new InvalidInputError('runs-missing', `runs directory ${runsDir} does not exist`, {
      hint: 'Pass the directory that sweep wrote into (e.g. <workdir>/runs).',
      problems: [{ path: '', message: 'not found', file: runsDir }],
    });
  }
  if (!st.isDirectory())
    throw new InvalidInputError('runs-not-dir', `${runsDir} is not a directory`, {
      hint: 'Pass a directory of sweep outputs.',
    });
  if (await isFile(path.join(runsDir, 'summary.json'))) return [runsDir];
  const out: string[] = [];
  for (const e of (await fs.readdir(runsDir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.isDirectory()) continue;
    const d = path.join(runsDir, e.name);
    if ((await isFile(path.join(d, 'summary.json'))) || (await isFile(path.join(d, 'samples.ndjson')))) out.push(d);
  }
  return out;
}

type Summaries = { dir: string; summary: SweepSummary }[];

/** <dir>/summary.json parsed and validated; null (with its problems added) when it is missing or invalid. */
async function readSummary(dir: string, problems: Problem[]): Promise<SweepSummary | null> {
  const file = path.join(dir, 'summary.json');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    problems.push({
      path: '',
      message: 'summary.json missing next to samples.ndjson (the sweep did not finish); rerun or re-import it',
      file,
    });
    return null;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    problems.push({ path: '', message: `not valid JSON: ${(e as Error).message}`, file });
    return null;
  }
  const ps = validate('sweep-summary', doc);
  if (ps.length) {
    problems.push(...ps.map((p) => ({ ...p, file })));
    return null;
  }
  return doc as SweepSummary;
}

/** Every sweep's summary, or exit 2 listing every invalid one and every backend measured twice. */
async function readSummaries(runsDir: string, dirs: string[]): Promise<Summaries> {
  const problems: Problem[] = [];
  const summaries: Summaries = [];
  for (const dir of dirs) {
    const summary = await readSummary(dir, problems);
    if (summary) summaries.push({ dir, summary });
  }
  const seen = new Map<string, string>();
  for (const s of summaries) {
    const prev = seen.get(s.summary.backend);
    if (prev)
      problems.push({
        path: '/backend',
        message: `backend '${s.summary.backend}' also in ${prev}; one sweep output per backend`,
        file: path.join(s.dir, 'summary.json'),
      });
    seen.set(s.summary.backend, s.dir);
  }
  if (problems.length) {
    throw new InvalidInputError(
      'runs-invalid',
      `runs directory ${runsDir} holds invalid sweep output (${problemCount(problems.length)})`,
      {
        problems,
        hint: 'Each <backend>/summary.json must match schemas/sweep-summary.schema.json.',
      },
    );
  }
  return summaries;
}

type SampleRead = Awaited<ReturnType<typeof readSampleFiles>>[number];

/** A run from its samples when they were read, else from its summary's own points (imported results). */
async function loadedRun(dir: string, summary: SweepSummary, r: SampleRead | undefined): Promise<LoadedRun> {
  if (r) {
    return {
      backend: summary.backend,
      dir,
      summary,
      points: r.points,
      source: 'samples',
      samples: r.samples,
      corrupt: r.corrupt,
      tornLastLine: r.tornLastLine,
      interleaved: r.interleaved,
      sampleRunIds: r.runIds,
      sampleBackends: r.backends,
      implausible: r.implausible,
      importFindings: await importFindings(dir),
    };
  }
  const n = summary.points.reduce((a, p) => a + p.completed + p.failed, 0);
  return {
    backend: summary.backend,
    dir,
    summary,
    points: summary.points,
    source: 'summary',
    samples: n,
    corrupt: [],
    tornLastLine: false,
    interleaved: false,
    sampleRunIds: [],
    sampleBackends: [],
    implausible: [],
    importFindings: await importFindings(dir),
  };
}

export async function loadRuns(runsDir: string, opts: { slo?: SloSpec; log: Logger }): Promise<LoadedRun[]> {
  const dirs = await findSweepDirs(runsDir);
  if (!dirs.length) {
    throw new InvalidInputError('runs-empty', `no sweep output in ${runsDir} (expected <backend>/summary.json)`, {
      hint: 'An empty run cannot be analyzed: run `llmbench sweep` (or `llmbench import`) into this directory first.',
      problems: [{ path: '', message: 'no <backend>/summary.json found', file: runsDir }],
    });
  }
  const summaries = await readSummaries(runsDir, dirs);
  const runs: LoadedRun[] = [];
  const withSamples: { i: number; file: string; summary: SweepSummary }[] = [];
  for (const [i, { dir, summary }] of summaries.entries()) {
    const samplesFile = path.join(dir, 'samples.ndjson');
    if (await isFile(samplesFile)) withSamples.push({ i, file: samplesFile, summary });
  }
  const t0 = Date.now();
  const reads = await readSampleFiles(
    withSamples.map((w) => ({ file: w.file, opts: { slo: opts.slo, summaryPoints: w.summary.points } })),
  );
  opts.log.debug('samples read', {
    files: reads.length,
    samples: reads.reduce((a, r) => a + r.samples, 0),
    ms: Date.now() - t0,
  });
  for (const [i, { dir, summary }] of summaries.entries()) {
    const k = withSamples.findIndex((w) => w.i === i);
    runs.push(await loadedRun(dir, summary, k >= 0 ? reads[k] : undefined));
  }
  return runs;
}
