/**
 * What the report and plot steps read from a work directory, validated against schemas/ and gathered into one
 * typed model. Every file is optional except what the caller asks for: a run without `analyze` still gets plots
 * and a SUMMARY.md that says no verdict was reached.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { AnalysisSummary } from '../core/types/analysis-summary.js';
import type { Verdict } from '../core/types/verdict.js';
import type { SweepSummary } from '../core/types/sweep-summary.js';
import type { DeployReport } from '../core/types/deploy-report.js';
import type { Baseline } from '../core/types/baseline.js';
import { validate, type SchemaName } from '../core/schemas.js';
import { InvalidInputError, type Problem } from '../core/errors.js';
import { workdirLayout } from '../core/paths.js';

export interface ReportData {
  verdict: Verdict | null;
  analysis: AnalysisSummary | null;
  sweeps: SweepSummary[];
  deploys: DeployReport[];
  /** The baseline file named by verdict.baseline.path, when it can be read (for its provenance). */
  baseline: Baseline | null;
}

async function readJsonIfPresent(file: string, schema: SchemaName, problems: Problem[]): Promise<unknown | null> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    problems.push({ path: '', file, message: `not valid JSON: ${(e as Error).message}` });
    return null;
  }
  const ps = validate(schema, data);
  for (const p of ps) problems.push({ ...p, file });
  return ps.length ? null : data;
}

async function listDirs(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir, { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

async function listFiles(dir: string, suffix: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).filter((f) => f.endsWith(suffix)).sort();
  } catch {
    return [];
  }
}

/**
 * Reads analysis/summary.json, analysis/verdict.json, runs/* /summary.json and deploy/*.json. Every invalid file
 * is reported at once (exit 2) before anything is written.
 */
export async function loadReportData(workdir: string, opts: { repoRoot?: string } = {}): Promise<ReportData> {
  const L = workdirLayout(workdir);
  const problems: Problem[] = [];
  const verdict = (await readJsonIfPresent(L.verdict, 'verdict', problems)) as Verdict | null;
  const analysis = (await readJsonIfPresent(L.analysisSummary, 'analysis-summary', problems)) as AnalysisSummary | null;
  const sweeps: SweepSummary[] = [];
  for (const b of await listDirs(L.runsDir)) {
    const s = (await readJsonIfPresent(L.sweepSummary(b), 'sweep-summary', problems)) as SweepSummary | null;
    if (s) sweeps.push(s);
  }
  const deploys: DeployReport[] = [];
  for (const f of await listFiles(path.join(workdir, 'deploy'), '.json')) {
    const d = (await readJsonIfPresent(
      path.join(workdir, 'deploy', f),
      'deploy-report',
      problems,
    )) as DeployReport | null;
    if (d) deploys.push(d);
  }
  if (problems.length) {
    throw new InvalidInputError(
      'report-input-invalid',
      `work directory ${workdir} holds ${problems.length} invalid input problem(s)`,
      {
        problems,
        hint: 'Re-run the step that wrote the listed file; each file must match its schema in schemas/.',
      },
    );
  }
  let baseline: Baseline | null = null;
  const bp = verdict?.baseline?.path;
  if (bp) {
    // The baseline is context (its provenance), not input we act on: unreadable means "not shown", not an error.
    const candidates = path.isAbsolute(bp)
      ? [bp]
      : [path.resolve(workdir, bp), ...(opts.repoRoot ? [path.resolve(opts.repoRoot, bp)] : [])];
    for (const c of candidates) {
      const ignored: Problem[] = [];
      const b = (await readJsonIfPresent(c, 'baseline', ignored)) as Baseline | null;
      if (b) {
        baseline = b;
        break;
      }
    }
  }
  return { verdict, analysis, sweeps, deploys, baseline };
}
