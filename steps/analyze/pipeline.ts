/**
 * Analyze a runs directory and write <out>/summary.json and <out>/verdict.json; optionally record the run in
 * the history, detect change points, and write a baseline (only from a clean run or a clean history window).
 * Shared by `llmbench analyze` and `llmbench run`.
 */
import path from 'node:path';
import type { Logger } from '../core/log.js';
import type { ResolvedConfig } from '../core/config.js';
import { InvalidInputError, LlmbenchError, problemCount } from '../core/errors.js';
import { exitCodeForVerdict, ExitCode, type ExitCodeValue } from '../core/exit-codes.js';
import { writeJsonAtomic } from '../core/atomic.js';
import { validate } from '../core/schemas.js';
import { REPO_ROOT } from '../core/paths.js';
import type { Baseline } from '../core/types/baseline.js';
import type { Verdict } from '../core/types/verdict.js';
import { resolveBaselinePath } from './baseline.js';
import { analyze, historyEntry, withChangePoints, type AnalyzeOutput } from './analyze.js';
import {
  appendHistory,
  baselineFromHistory,
  historyChangePoints,
  readBaseline,
  readHistory,
  writeBaseline,
  type SeriesChangePoint,
} from './baseline.js';
import { METRICS, isGated } from './metrics.js';

export interface AnalyzeWorkOptions {
  runsDir: string;
  outDir: string;
  cfg: ResolvedConfig;
  /** Baseline file; null = none. */
  baselinePath: string | null;
  /** When true, a missing or unreadable baseline is an inconclusive finding instead of an error (llmbench run). */
  lenientBaseline?: boolean;
  writeBaselinePath?: string | null;
  /** Record this run and detect change points; with writeBaselinePath, build the baseline from a clean window. */
  historyDir?: string | null;
  /** Nightly update (llmbench run with baseline.update): an unclean run skips the baseline with a warning instead of failing. */
  skipUncleanBaseline?: boolean;
  /** Runs in the clean window a history baseline pools. */
  window?: number;
  log: Logger;
  now?: () => Date;
}

export interface AnalyzeWorkResult {
  verdict: Verdict;
  exitCode: ExitCodeValue;
  files: string[];
  output: AnalyzeOutput;
}

export { resolveBaselinePath };

type LoadedBaseline = { path: string; data: Baseline } | null;
type BaselineProblem = { code: string; message: string } | undefined;
type History = Awaited<ReturnType<typeof readHistory>>;

/** The baseline to compare against; with lenientBaseline, a missing or unreadable one becomes a finding. */
async function loadBaseline(o: AnalyzeWorkOptions): Promise<{ baseline: LoadedBaseline; problem: BaselineProblem }> {
  if (!o.baselinePath) return { baseline: null, problem: undefined };
  try {
    // Shown in verdict.json and the PR comment: repository-relative when it lives in the repository (no local paths).
    const shown = path.relative(REPO_ROOT, o.baselinePath);
    return {
      baseline: {
        path: shown && !shown.startsWith('..') && !path.isAbsolute(shown) ? shown : o.baselinePath,
        data: await readBaseline(o.baselinePath),
      },
      problem: undefined,
    };
  } catch (e) {
    if (!o.lenientBaseline || !(e instanceof LlmbenchError)) throw e;
    const problem = {
      code: e.code === 'baseline-missing' ? 'no-baseline' : e.code,
      message: `${e.message}${e.hint ? ` — ${e.hint}` : ''}`,
    };
    o.log.warn(problem.message);
    return { baseline: null, problem };
  }
}

/** Records the run in the history and attaches the change points the history shows. */
async function recordHistory(
  o: AnalyzeWorkOptions & { historyDir: string },
  out: AnalyzeOutput,
  now: () => Date,
  files: string[],
): Promise<{ out: AnalyzeOutput; history: History; changePoints: SeriesChangePoint[] }> {
  const entry = historyEntry(out, { createdAt: now().toISOString() });
  files.push(await appendHistory(o.historyDir, entry));
  const history = await readHistory(o.historyDir);
  for (const s of history.skipped) o.log.warn(`history entry skipped: ${s.file}: ${s.reason}`);
  const metrics = METRICS.filter((d) => isGated(d, o.cfg.regression)).map((d) => d.key);
  const changePoints = historyChangePoints(history.entries, metrics);
  if (changePoints.length) out = { ...out, verdict: withChangePoints(out.verdict, changePoints) };
  return { out, history, changePoints };
}

/** Writes the baseline: only from a clean run, from the history's clean window when there is a history. */
async function writeBaselineFrom(
  o: AnalyzeWorkOptions & { writeBaselinePath: string },
  out: AnalyzeOutput,
  hist: { history: History; changePoints: SeriesChangePoint[] } | undefined,
  now: () => Date,
): Promise<void> {
  if (out.unclean.length) {
    throw new InvalidInputError(
      'baseline-from-invalid-run',
      `refusing to write baseline ${o.writeBaselinePath}: the run is not clean (${problemCount(out.unclean.length)})`,
      {
        hint: 'Baselines are built only from clean runs: fix the listed problems and rerun the sweep (the analysis itself was written).',
        problems: out.unclean.map((m) => ({ path: '', message: m })),
      },
    );
  }
  let b: Baseline | null = null;
  if (hist)
    b = baselineFromHistory(hist.history.entries, hist.changePoints, {
      window: o.window ?? 5,
      createdAt: now().toISOString(),
    });
  b ??= {
    schema_version: 1,
    created_at: now().toISOString(),
    commit_sha: out.verdict.candidate?.commit_sha ?? null,
    source: `run ${out.verdict.candidate?.runs?.join('+')}`,
    backends: out.snapshot,
  };
  await writeBaseline(o.writeBaselinePath, b);
  o.log.info(`baseline written: ${o.writeBaselinePath} (${b.source})`);
}

export async function analyzeWork(o: AnalyzeWorkOptions): Promise<AnalyzeWorkResult> {
  const { log } = o;
  const now = o.now ?? (() => new Date());
  const { baseline, problem: baselineProblem } = await loadBaseline(o);
  let out = await analyze({
    runsDir: o.runsDir,
    regression: o.cfg.regression,
    slo: o.cfg.slo,
    gpuHourUsd: o.cfg.cost.gpu_hour_usd,
    minSamples: o.cfg.load.min_samples,
    baseline,
    baselineProblem,
    log,
    now,
  });
  const files: string[] = [];
  let hist: Awaited<ReturnType<typeof recordHistory>> | undefined;
  if (o.historyDir) {
    hist = await recordHistory({ ...o, historyDir: o.historyDir }, out, now, files);
    out = hist.out;
  }
  const problems = [...validate('analysis-summary', out.summary), ...validate('verdict', out.verdict)];
  if (problems.length)
    throw new Error(`internal: analysis output does not match its schema: ${JSON.stringify(problems.slice(0, 5))}`);
  await writeJsonAtomic(path.join(o.outDir, 'summary.json'), out.summary);
  await writeJsonAtomic(path.join(o.outDir, 'verdict.json'), out.verdict);
  files.push(path.join(o.outDir, 'summary.json'), path.join(o.outDir, 'verdict.json'));
  let exitCode = exitCodeForVerdict(out.verdict.verdict);

  if (o.writeBaselinePath && out.unclean.length && o.skipUncleanBaseline) {
    log.warn(
      `baseline ${o.writeBaselinePath} not updated: this run is not clean (${out.unclean[0]}${out.unclean.length > 1 ? `, +${out.unclean.length - 1} more` : ''})`,
    );
  } else if (o.writeBaselinePath) {
    await writeBaselineFrom({ ...o, writeBaselinePath: o.writeBaselinePath }, out, hist, now);
    files.push(o.writeBaselinePath);
    // Bootstrapping a baseline with nothing to compare against is a success, not an inconclusive run.
    if (
      !baseline &&
      out.verdict.verdict === 'inconclusive' &&
      out.verdict.findings.every((f) => f.severity !== 'error' || f.code === 'no-baseline')
    )
      exitCode = ExitCode.OK;
  }
  return { verdict: out.verdict, exitCode, files, output: out };
}
