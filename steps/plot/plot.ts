/**
 * `llmbench plot` core: reads the work directory, writes plots/<chart>.vl.json (the Vega-Lite spec, data
 * inlined), plots/<chart>.svg, plots/<chart>.png, plots/manifest.json and report.html.
 */
import path from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../core/atomic.js';
import { workdirLayout, REPO_ROOT } from '../core/paths.js';
import type { Logger } from '../core/log.js';
import { InvalidInputError } from '../core/errors.js';
import { assertValid } from '../core/schemas.js';
import type { PlotManifest } from '../core/types/plots-manifest.js';
import { loadReportData, type ReportData } from '../report/model.js';
import type { SummaryInput } from '../report/summary-md.js';
import { collectPlotData } from './data.js';
import { buildSpecs, HEADLINE_CHART, type ChartSpec } from './specs.js';
import { renderChart } from './render.js';
import { renderReportHtml } from './html.js';

export interface PlotOptions {
  workdir: string;
  log: Logger;
  title?: string;
  generatedAt?: string;
  pipelineRunUrl?: string | null;
  /** PNG zoom factor (1 = the SVG's own size). */
  scale?: number;
  /** Skip SVG/PNG rendering (specs and report.html only). */
  noImages?: boolean;
}

export type { PlotManifest };

export interface PlotResult {
  manifest: PlotManifest;
  files: string[];
  data: ReportData;
}

export function summaryInputFrom(
  data: ReportData,
  o: { title: string; generatedAt: string; pipelineRunUrl?: string | null; candidateSha?: string | null },
): SummaryInput {
  return {
    title: o.title,
    generatedAt: o.generatedAt,
    verdict: data.verdict,
    analysis: data.analysis,
    sweeps: data.sweeps,
    deploys: data.deploys,
    baseline: data.baseline,
    candidateSha: o.candidateSha ?? null,
    links: { pipelineRun: o.pipelineRunUrl ?? null },
  };
}

export async function runPlot(o: PlotOptions): Promise<PlotResult> {
  const L = workdirLayout(o.workdir);
  const data = await loadReportData(o.workdir, { repoRoot: REPO_ROOT });
  if (!data.sweeps.length && !data.analysis) {
    throw new InvalidInputError('nothing-to-plot', `no sweep results or analysis in ${o.workdir}`, {
      problems: [{ path: '', file: L.runsDir, message: 'no runs/<backend>/summary.json and no analysis/summary.json' }],
      hint: 'Run `llmbench sweep` (or `llmbench run`) into this work directory first.',
    });
  }
  const plotData = await collectPlotData(o.workdir, data, o.log);
  const charts: ChartSpec[] = buildSpecs(plotData);
  const generatedAt = o.generatedAt ?? new Date().toISOString();
  const files: string[] = [];
  const manifest: PlotManifest = {
    schema_version: 1,
    generated_at: generatedAt,
    headline: charts.some((c) => c.name === HEADLINE_CHART) ? HEADLINE_CHART : (charts[0]?.name ?? null),
    charts: [],
    report_html: path.relative(o.workdir, L.reportHtml),
  };
  for (const [i, c] of charts.entries()) {
    // Under CI, one progress event per chart (a big run's charts take seconds each); on a terminal the step is quiet.
    if (o.log.json) o.log.event('progress', { step: 'plot', chart: c.name, done: i, total: charts.length });
    const stem = path.join(L.plotsDir, c.name);
    await writeJsonAtomic(`${stem}.vl.json`, c.spec);
    files.push(`${stem}.vl.json`);
    let svg: string | null = null;
    let png: string | null = null;
    if (!o.noImages) {
      const t0 = performance.now();
      const r = await renderChart(c.spec, { scale: o.scale ?? 2 });
      await writeFileAtomic(`${stem}.svg`, r.svg);
      await writeFileAtomic(`${stem}.png`, r.png);
      files.push(`${stem}.svg`, `${stem}.png`);
      svg = `plots/${c.name}.svg`;
      png = `plots/${c.name}.png`;
      o.log.debug('plot: rendered', { chart: c.name, ms: Math.round(performance.now() - t0), png_bytes: r.png.length });
    }
    manifest.charts.push({ name: c.name, title: c.title, spec: `plots/${c.name}.vl.json`, svg, png });
  }
  const manifestFile = path.join(L.plotsDir, 'manifest.json');
  await writeJsonAtomic(
    manifestFile,
    assertValid<PlotManifest>('plots-manifest', manifest, 'plots manifest', manifestFile),
  );
  files.push(path.join(L.plotsDir, 'manifest.json'));

  const input = summaryInputFrom(data, { title: o.title ?? 'llmbench', generatedAt, pipelineRunUrl: o.pipelineRunUrl });
  await writeFileAtomic(L.reportHtml, renderReportHtml(input, charts));
  files.push(L.reportHtml);
  o.log.info(`plot: wrote ${charts.length} charts and report.html`, { dir: L.plotsDir });
  return { manifest, files, data };
}
