/**
 * `llmbench import` core: other tools' result files → a runs directory `analyze` accepts
 * (<out>/<backend>/summary.json, plus import.json with what the conversion found). No samples.ndjson is written:
 * the sources keep no raw timestamps we could store honestly.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InvalidInputError, type Problem } from '../core/errors.js';
import { exists, writeJsonAtomic } from '../core/atomic.js';
import { validate } from '../core/schemas.js';
import type { Logger } from '../core/log.js';
import type { SweepSummary } from '../core/types/sweep-summary.js';
import { pointKey, stats, type Point } from '../metrics/derive.js';
import { FormatError, PARSERS, UNKNOWN, type Format, type ImportedTrial, type ImportFinding } from './formats.js';

export interface ImportNotes {
  format: Format;
  files: string[];
  findings: ImportFinding[];
}

export interface ImportResult {
  backends: string[];
  files: string[];
}

export async function importResults(o: {
  format: Format;
  files: string[];
  outDir: string;
  backend?: string;
  log: Logger;
}): Promise<ImportResult> {
  const problems: Problem[] = [];
  const trials: (ImportedTrial & { file: string })[] = [];
  for (const file of o.files) {
    let doc: unknown;
    try {
      doc = JSON.parse(await fs.readFile(file, 'utf8'));
    } catch (e) {
      problems.push({
        path: '',
        file,
        message:
          (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `not valid JSON: ${(e as Error).message}`,
      });
      continue;
    }
    try {
      for (const t of PARSERS[o.format](doc)) trials.push({ ...t, backend: o.backend ?? t.backend, file });
    } catch (e) {
      if (e instanceof FormatError)
        problems.push({ path: e.path, file, message: `${e.message} (is this a ${o.format} result file?)` });
      else throw e;
    }
  }
  if (problems.length)
    throw new InvalidInputError(
      'import-invalid',
      `cannot import ${problems.length} problem${problems.length > 1 ? 's' : ''} (format ${o.format})`,
      { problems, hint: `Pass result files written by the ${o.format} tool; nothing was written.` },
    );

  const byBackend = new Map<string, typeof trials>();
  for (const t of trials) byBackend.set(t.backend, [...(byBackend.get(t.backend) ?? []), t]);
  const taken: Problem[] = [];
  for (const b of byBackend.keys())
    if (await exists(path.join(o.outDir, b, 'summary.json')))
      taken.push({ path: '', file: path.join(o.outDir, b, 'summary.json'), message: 'already exists' });
  if (taken.length)
    throw new InvalidInputError('import-exists', `${o.outDir} already holds results for ${taken.length} backend(s)`, {
      problems: taken,
      hint: 'Import into a new --out directory; earlier results are never overwritten.',
    });

  const written: string[] = [];
  for (const [backend, ts] of byBackend) {
    const byPoint = new Map<string, typeof ts>();
    for (const t of ts) byPoint.set(pointKey(t), [...(byPoint.get(pointKey(t)) ?? []), t]);
    const points: Point[] = [...byPoint.values()].map((group) => pooled(group));
    points.sort((a, b) => (a.concurrency ?? 0) - (b.concurrency ?? 0) || (a.rate ?? 0) - (b.rate ?? 0));
    const fps = new Set(ts.map((t) => t.workload.fingerprint));
    const findings = ts.flatMap((t) =>
      t.findings.map((f) => ({ ...f, message: `${path.basename(t.file)}: ${f.message}` })),
    );
    if (fps.size > 1)
      findings.push({
        code: 'workload-mismatch',
        severity: 'error',
        message: `the imported files of '${backend}' ran ${fps.size} different workloads`,
      });
    const w = ts[0].workload;
    const summary: SweepSummary = {
      schema_version: 1,
      backend,
      adapter: o.format,
      model: ts[0].model,
      endpoint: null,
      run_id: `import-${o.format}-${path.basename(ts[0].file)}`,
      plan: {
        mode: points.some((p) => p.rate !== null) ? 'rate' : 'concurrency',
        trials: Math.max(...points.map((p) => p.trials?.length ?? 1)),
        warmup: 0,
        requests: null,
        duration_s: null,
      },
      workload: {
        fingerprint: fps.size === 1 ? w.fingerprint : `mixed:${[...fps].join(',')}`.slice(0, 200),
        dataset: w.dataset,
        input_tokens: w.input_tokens,
        output_tokens: w.output_tokens,
      },
      provenance: { server: null, model: ts[0].model, gpu: null, simulated: false },
      points,
    };
    const ps = validate('sweep-summary', summary);
    if (ps.length) throw new Error(`internal: imported summary does not validate: ${JSON.stringify(ps.slice(0, 3))}`);
    const dir = path.join(o.outDir, backend);
    await writeJsonAtomic(path.join(dir, 'summary.json'), summary);
    const notes: ImportNotes = { format: o.format, files: ts.map((t) => t.file), findings };
    await writeJsonAtomic(path.join(dir, 'import.json'), notes);
    written.push(path.join(dir, 'summary.json'), path.join(dir, 'import.json'));
    o.log.info(`imported ${ts.length} file(s) as ${backend}: ${points.length} point(s)`, { findings: findings.length });
  }
  return { backends: [...byBackend.keys()], files: written };
}

/** One point from its trials (one per file). Pooled distributions are exact from raw values, else unknown. */
function pooled(group: ImportedTrial[]): Point {
  const trials = group.map((t, i) => ({ trial: i, ...t.metrics }));
  const sum = (f: (m: ImportedTrial['metrics']) => number) => group.reduce((a, t) => a + f(t.metrics), 0);
  const completed = sum((m) => m.completed),
    failed = sum((m) => m.failed),
    out = sum((m) => m.output_tokens_total),
    dur = sum((m) => m.duration_s ?? 0);
  const dist = (k: 'ttft' | 'e2e' | 'tpot' | 'itl', key: 'ttft_ms' | 'e2e_ms' | 'tpot_ms' | 'itl_ms') => {
    if (group.length === 1) return group[0].metrics[key];
    if (group.every((t) => t.raw?.[k])) return stats(group.flatMap((t) => t.raw![k]!));
    return UNKNOWN;
  };
  const tokens = group.every((t) => t.metrics.tokens)
    ? {
        server_counted: sum((m) => m.tokens?.server_counted ?? 0),
        client_counted: sum((m) => m.tokens?.client_counted ?? 0),
        mismatched: sum((m) => m.tokens?.mismatched ?? 0),
        shortfall: sum((m) => m.tokens?.shortfall ?? 0),
        mean_output_tokens: completed ? out / completed : null,
      }
    : undefined;
  return {
    ...(group.length === 1 ? group[0].metrics : {}),
    concurrency: group[0].concurrency,
    rate: group[0].rate,
    completed,
    failed,
    error_rate: completed + failed ? failed / (completed + failed) : 0,
    duration_s: dur,
    output_tokens_total: out,
    output_tokens_per_s: dur > 0 ? out / dur : group[0].metrics.output_tokens_per_s,
    requests_per_s: dur > 0 ? completed / dur : group[0].metrics.requests_per_s,
    ttft_ms: dist('ttft', 'ttft_ms'),
    e2e_ms: dist('e2e', 'e2e_ms'),
    tpot_ms: dist('tpot', 'tpot_ms'),
    itl_ms: dist('itl', 'itl_ms'),
    ...(tokens ? { tokens } : {}),
    trials,
  } as Point;
}
