/**
 * `llmbench report` core. Local files first — SUMMARY.md and the exact comment body (report/comment.md) are
 * written before any GitHub call, so a failed call never loses them — then, when a PR is given: plots to the
 * assets branch (or links under a configured URL prefix), the sticky comment, and the commit status/check.
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import type { Logger } from '../core/log.js';
import { writeFileAtomic, writeJsonAtomic } from '../core/atomic.js';
import { workdirLayout, REPO_ROOT } from '../core/paths.js';
import { loadReportData, type ReportData } from './model.js';
import { renderSummaryMd, type PlotLink, type SummaryInput } from './summary-md.js';
import {
  createClient,
  githubCallError,
  publishAssets,
  setCommitStatus,
  upsertStickyComment,
  type ClientTuning,
  type GitHubTarget,
  type StatusKind,
  type CommentResult,
} from './github.js';
import type { PlotManifest } from '../core/types/plots-manifest.js';
import { validate } from '../core/schemas.js';
import type { LlmbenchError } from '../core/errors.js';

export type AssetsConfig = { mode: 'branch'; branch: string } | { mode: 'prefix'; prefix: string } | { mode: 'none' };

export interface GitHubReportOptions {
  target: GitHubTarget;
  token: string;
  statusKind: StatusKind;
  context: string;
  assets: AssetsConfig;
  tuning?: ClientTuning;
}

export interface ReportOptions {
  workdir: string;
  log: Logger;
  title?: string;
  generatedAt?: string;
  pipelineRunUrl?: string | null;
  candidateSha?: string | null;
  github?: GitHubReportOptions;
  /** SIGINT/SIGTERM: ends every GitHub request and wait at once. */
  signal?: AbortSignal;
}

export interface ReportResult {
  summaryMd: string;
  commentMd?: string;
  comment?: CommentResult;
  status?: { kind: StatusKind; id: number; state: string };
  assets?: { commit?: string; links: number; error?: string };
}

/** plots/manifest.json, or null when absent or not valid (report then links no plots; its paths stay in plots/). */
async function readManifest(workdir: string, log: Logger): Promise<PlotManifest | null> {
  let m: unknown;
  try {
    m = JSON.parse(await fs.readFile(path.join(workdirLayout(workdir).plotsDir, 'manifest.json'), 'utf8'));
  } catch {
    return null;
  }
  const problems = validate('plots-manifest', m);
  if (!problems.length) return m as PlotManifest;
  log.warn('report: plots/manifest.json does not match schemas/plots-manifest.schema.json; no plots linked', {
    problems: problems.slice(0, 5),
  });
  return null;
}

async function present(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

function baseInput(data: ReportData, o: ReportOptions): SummaryInput {
  return {
    title: o.title ?? 'llmbench',
    generatedAt: o.generatedAt ?? new Date().toISOString(),
    verdict: data.verdict,
    analysis: data.analysis,
    sweeps: data.sweeps,
    deploys: data.deploys,
    baseline: data.baseline,
    candidateSha: o.candidateSha ?? o.github?.target.sha ?? null,
  };
}

/** Writes SUMMARY.md (links relative to the work directory). Pure renderer + one atomic write. */
export async function writeSummary(
  o: ReportOptions,
  data?: ReportData,
): Promise<{ file: string; markdown: string; data: ReportData }> {
  const L = workdirLayout(o.workdir);
  const d = data ?? (await loadReportData(o.workdir, { repoRoot: REPO_ROOT }));
  const manifest = await readManifest(o.workdir, o.log);
  const plots: PlotLink[] = [];
  for (const c of manifest?.charts ?? [])
    if (c.png && (await present(path.join(o.workdir, c.png)))) plots.push({ name: c.name, title: c.title, url: c.png });
  const markdown = renderSummaryMd(
    {
      ...baseInput(d, o),
      links: {
        plots,
        reportHtml: (await present(L.reportHtml)) ? 'report.html' : null,
        pipelineRun: o.pipelineRunUrl ?? null,
      },
    },
    // SUMMARY.md is a file, not a comment: no length limit.
    { maxChars: Infinity },
  );
  await writeFileAtomic(L.summaryMd, markdown);
  return { file: L.summaryMd, markdown, data: d };
}

/** What one GitHub report run shares: its options, client, result so far and result file. */
interface GitHubRun {
  o: ReportOptions;
  g: GitHubReportOptions;
  gh: ReturnType<typeof createClient>;
  result: ReportResult;
  resultFile: string;
}

export async function runReport(o: ReportOptions): Promise<ReportResult> {
  const { log } = o;
  const { markdown, data } = await writeSummary(o);
  log.info('report: wrote SUMMARY.md', { file: workdirLayout(o.workdir).summaryMd });
  const result: ReportResult = { summaryMd: markdown };
  if (!o.github) return result;

  const g = o.github;
  const manifest = await readManifest(o.workdir, o.log);
  const run: GitHubRun = {
    o,
    g,
    gh: createClient(g.target, g.token, log, g.tuning, o.signal),
    result,
    resultFile: path.join(o.workdir, 'report', 'github.json'),
  };

  // 1. Plot links: an assets branch, a configured URL prefix, or none.
  const { plots, reportHtml } = await plotLinks(
    run,
    (manifest?.charts ?? []).filter((c) => c.png),
  );
  const headline = plots.find((p) => p.name === manifest?.headline) ?? plots[0];

  const comment = renderSummaryMd(
    {
      ...baseInput(data, o),
      links: { plots, headlinePlot: headline, reportHtml, pipelineRun: o.pipelineRunUrl ?? null },
    },
    { marker: true, compact: true },
  );
  result.commentMd = comment;
  // The exact body, on disk before it is sent: a failed call loses nothing.
  await writeFileAtomic(path.join(o.workdir, 'report', 'comment.md'), comment);

  const failures = await postCommentAndStatus(run, comment, data.verdict);
  const t = g.target;
  await writeJsonAtomic(run.resultFile, {
    ok: failures.length === 0,
    repo: `${t.owner}/${t.repo}`,
    pr: t.pr,
    sha: t.sha,
    comment: result.comment ?? null,
    status: result.status ?? null,
    assets: result.assets ?? null,
    errors: failures.map((f) => ({ code: f.code, message: f.message })),
  });
  if (failures.length) throw failures[0];
  return result;
}

type ManifestChart = PlotManifest['charts'][number];

async function plotLinks(
  run: GitHubRun,
  charts: ManifestChart[],
): Promise<{ plots: PlotLink[]; reportHtml: string | null }> {
  const assets = run.g.assets;
  if (assets.mode === 'prefix') {
    const prefix = assets.prefix.replace(/\/+$/, '');
    const plots = charts.map((c) => ({ name: c.name, title: c.title, url: `${prefix}/${c.png}` }));
    run.result.assets = { links: plots.length };
    return { plots, reportHtml: `${prefix}/report.html` };
  }
  if (assets.mode === 'branch' && charts.length)
    return { plots: await publishPlots(run, assets.branch, charts), reportHtml: null };
  return { plots: [], reportHtml: null };
}

/** The charts' PNGs committed to the assets branch; their links, or none when publishing is refused. */
async function publishPlots(run: GitHubRun, branch: string, charts: ManifestChart[]): Promise<PlotLink[]> {
  const { o, gh, result } = run;
  const { log } = o;
  const t = run.g.target;
  const dir = `pr-${t.pr}/${t.sha.slice(0, 12)}`;
  const files = [];
  for (const c of charts) {
    try {
      files.push({
        name: c.name,
        title: c.title,
        path: `${dir}/${c.name}.png`,
        content: await fs.readFile(path.join(o.workdir, c.png!)),
      });
    } catch {
      log.warn('report: plot listed in the manifest is missing; not published', { chart: c.name });
    }
  }
  try {
    const pub = await publishAssets(gh, t, branch, files, `llmbench plots for PR #${t.pr} at ${t.sha.slice(0, 12)}`);
    const plots = files.map((f) => ({ name: f.name, title: f.title, url: pub.urlFor(f.path) }));
    result.assets = { commit: pub.commit, links: plots.length };
    log.info('report: published plots', { branch, commit: pub.commit, files: files.length });
    return plots;
  } catch (e) {
    const err = githubCallError(gh, e, `publishing plots to branch ${branch}`);
    // A bad token, a deadline or a signal ends the report; a token that cannot write contents does not.
    if (['github-unauthorized', 'github-deadline', 'interrupted'].includes(err.code) || o.signal?.aborted) {
      await writeJsonAtomic(run.resultFile, { ok: false, error: { code: err.code, message: err.message } });
      throw err;
    }
    // Plots are a nicety (best effort): the verdict still gets posted, with a note instead of images.
    log.warn(`report: ${err.message}; posting the comment without images`, {
      hint: 'The token needs contents: write on the repository for the assets branch; or pass --assets-url-prefix or --no-assets.',
    });
    result.assets = { links: 0, error: err.message };
    return [];
  }
}

/** 2. Comment and 3. status are independent: try both, then the caller reports the first failure. */
async function postCommentAndStatus(
  run: GitHubRun,
  comment: string,
  verdict: ReportData['verdict'],
): Promise<LlmbenchError[]> {
  const { o, g, gh, result } = run;
  const { log } = o;
  const t = g.target;
  const failures: LlmbenchError[] = [];
  try {
    result.comment = await upsertStickyComment(gh, t, comment);
    log.info(`report: ${result.comment.action} the PR comment`, { url: result.comment.url });
  } catch (e) {
    failures.push(githubCallError(gh, e, `posting the PR comment on ${t.owner}/${t.repo}#${t.pr}`));
  }
  if (!failures.some((f) => f.code === 'github-unauthorized')) {
    try {
      result.status = await setCommitStatus(gh, t, verdict, {
        kind: g.statusKind,
        context: g.context,
        targetUrl: o.pipelineRunUrl ?? result.comment?.url ?? null,
        summary: comment.slice(0, 60_000),
      });
      log.info(`report: set ${result.status.kind} ${result.status.state}`, { sha: t.sha, context: g.context });
    } catch (e) {
      failures.push(githubCallError(gh, e, `setting the commit ${g.statusKind} on ${t.sha.slice(0, 12)}`));
    }
  }
  return failures;
}
