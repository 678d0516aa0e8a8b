import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (where package.json, schemas/ and results/ live), independent of the working directory. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCHEMAS_DIR = path.join(REPO_ROOT, 'schemas');
export const RESULTS_DIR = path.join(REPO_ROOT, 'results');

/** The workspace layout shared by every step (README.md "The pipeline"; every file in it has a schema in schemas/). */
export const workdirLayout = (workdir: string) => ({
  root: workdir,
  config: path.join(workdir, 'bench-config.json'),
  deploy: (backend: string) => path.join(workdir, 'deploy', `${backend}.json`),
  runsDir: path.join(workdir, 'runs'),
  runDir: (backend: string) => path.join(workdir, 'runs', backend),
  samples: (backend: string) => path.join(workdir, 'runs', backend, 'samples.ndjson'),
  sweepSummary: (backend: string) => path.join(workdir, 'runs', backend, 'summary.json'),
  serverMetrics: (backend: string) => path.join(workdir, 'runs', backend, 'server-metrics.ndjson'),
  analysisDir: path.join(workdir, 'analysis'),
  analysisSummary: path.join(workdir, 'analysis', 'summary.json'),
  verdict: path.join(workdir, 'analysis', 'verdict.json'),
  plotsDir: path.join(workdir, 'plots'),
  reportHtml: path.join(workdir, 'report.html'),
  summaryMd: path.join(workdir, 'SUMMARY.md'),
});
