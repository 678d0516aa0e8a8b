/**
 * `llmbench import` core: other tools' result files → a runs directory `analyze` accepts
 * (<out>/<backend>/summary.json, plus import.json with what the conversion found). No samples.ndjson is written:
 * the sources keep no raw timestamps we could store honestly.
 *
 * Every input is read and checked before anything is written; any problem in any file is exit 2 naming the file
 * and the JSON path of each problem. The output appears all at once (written to a temporary directory, then
 * renamed into place) and never replaces earlier results.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { InvalidInputError, type Problem, problemCount } from '../core/errors.js';
import { writeJsonAtomic } from '../core/atomic.js';
import { validate } from '../core/schemas.js';
import type { Logger } from '../core/log.js';
import type { SweepSummary } from '../core/types/sweep-summary.js';
import type { ImportNotes } from '../core/types/import-notes.js';
import { pointKey, stats, type Point } from '../metrics/derive.js';
import { Checker, UNKNOWN } from './check.js';
import { applySelections, checkIdentity, parseSelections } from './identity.js';
import {
  ACCEPTS,
  DEFAULT_BACKEND,
  PARSERS,
  type Format,
  type ImportedTrial,
  type ImportFinding,
  type Input,
} from './formats/index.js';
import { capText, DEFAULT_LIMITS, head, readDocument, readLines, ReadError, type ReadLimits } from './read.js';

export interface ImportResult {
  backends: string[];
  files: string[];
}

export interface ImportOptions {
  format: Format;
  files: string[];
  outDir: string;
  backend?: string;
  /** `KEY=VALUE` items: import only the records whose run labels match (identity.ts). */
  select?: string[];
  log: Logger;
  limits?: ReadLimits;
}

type Trial = ImportedTrial & { file: string };

/** Backend ids become directory names: a safe, portable subset. */
export const BACKEND_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export async function importResults(o: ImportOptions): Promise<ImportResult> {
  const limits = o.limits ?? DEFAULT_LIMITS;
  if (o.backend !== undefined && !BACKEND_ID.test(o.backend))
    throw new InvalidInputError('import-flags', 'invalid --backend', {
      problems: [{ path: '--backend', message: `must match ${BACKEND_ID} (it names a directory)` }],
    });
  const sel = parseSelections(o.select ?? []);
  if (sel.problems.length) throw new InvalidInputError('import-flags', 'invalid --select', { problems: sel.problems });
  const { trials: all, problems, duplicates } = await readAll(o, limits);
  if (problems.length)
    throw new InvalidInputError(
      'import-invalid',
      `cannot import: ${problemCount(problems.length)} in ${new Set(problems.map((p) => p.file)).size} file(s) (format ${o.format})`,
      {
        problems,
        hint: `Pass result files written by the ${o.format} tool (${ACCEPTS[o.format].advice}); nothing was written.`,
      },
    );
  const chosen = applySelections(all, sel.selections);
  const groups = groupByBackend(o, chosen.trials);
  const outputs = [...groups].map(([backend, ts]) =>
    build(o, backend, ts, [...duplicates, ...chosen.findings, ...checkIdentity(backend, ts)]),
  );
  await preflight(o.outDir, [...groups.keys()]);
  const written = await writeAll(o.outDir, outputs);
  for (const out of outputs)
    o.log.info(`imported ${out.notes.files.length} file(s) as ${out.backend}: ${out.summary.points.length} point(s)`, {
      findings: out.notes.findings.length,
    });
  return { backends: outputs.map((x) => x.backend), files: written };
}

// ---- reading ------------------------------------------------------------------------------------------------

async function readAll(o: ImportOptions, limits: ReadLimits) {
  const problems: Problem[] = [];
  const trials: Trial[] = [];
  const seen = new Map<string, string>();
  const duplicates: ImportFinding[] = [];
  let rawValues = 0;
  for (const file of o.files) {
    const sized = new Checker(file);
    try {
      await checkSize(file, limits);
    } catch (e) {
      if (!(e instanceof ReadError)) throw e;
      sized.add('', e.message);
      problems.push(...sized.problems);
      continue;
    }
    const digest = await sha256(file).catch(() => null);
    const first = digest ? seen.get(digest) : undefined;
    if (first) {
      duplicates.push({
        code: 'duplicate-input',
        severity: 'error',
        message: `${path.basename(file)} has the same content as ${path.basename(first)}${path.resolve(file) === path.resolve(first) ? ' (the same file given twice)' : ''}: imported once, not as another trial`,
      });
      continue;
    }
    if (digest) seen.set(digest, file);
    const c = new Checker(file);
    const input = await readInput(o.format, file, limits, c);
    const added = input ? PARSERS[o.format](input, c) : [];
    for (const t of added) trials.push({ ...t, file });
    problems.push(...c.problems);
    rawValues += added.reduce((a, t) => a + Object.values(t.raw ?? {}).reduce((b, v) => b + (v?.length ?? 0), 0), 0);
    if (rawValues > limits.rawValues)
      throw new InvalidInputError(
        'import-too-large',
        `the files hold more than ${limits.rawValues} per-request values`,
        {
          problems: [
            { path: '', file, message: `over the import cap of ${limits.rawValues} per-request values in one import` },
          ],
          hint: 'Import fewer files at once (e.g. one load point per import, into different --out directories). Nothing was written.',
        },
      );
  }
  return { trials, problems, duplicates };
}

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Tells the file kind from its name and first bytes, then reads it within the caps. */
async function readInput(format: Format, file: string, limits: ReadLimits, c: Checker): Promise<Input | null> {
  const accepts = ACCEPTS[format];
  try {
    await checkSize(file, limits);
    const start = (await head(file)).trimStart();
    const ext = path.extname(file).toLowerCase();
    const firstLine = start.split('\n', 1)[0];
    const json = /^[{[]/.test(start);
    if (
      ext === '.csv' ||
      /^Metric,/.test(firstLine) ||
      (!json && !firstLine.includes(':') && firstLine.split(',').length > 2)
    )
      return (c.add('', `unsupported format: CSV — ${accepts.advice}`), null);
    if (ext === '.yaml' || ext === '.yml' || !json) {
      if (!accepts.yaml) return (c.add('', `unsupported format: not JSON — ${accepts.advice}`), null);
      return asDocument(parseYaml(await readDocument(file, limits), c));
    }
    if (accepts.jsonl) return await readJsonLines(file, limits, c);
    return asDocument(parseJson(await readDocument(file, limits), c));
  } catch (e) {
    if (!(e instanceof ReadError)) throw e;
    c.line = e.line;
    c.add('', e.message);
    c.line = undefined;
    return null;
  }
}

/** Every input, JSON lines included, is within the document cap: its parsed form is what stays in memory. */
async function checkSize(file: string, limits: ReadLimits): Promise<void> {
  const st = await fs.stat(file).catch((e: NodeJS.ErrnoException) => {
    throw new ReadError(e.code === 'ENOENT' ? 'file not found' : e.message);
  });
  if (!st.isFile()) throw new ReadError('not a regular file');
  if (st.size > limits.documentBytes)
    throw new ReadError(`file is ${st.size} bytes, over the import cap of ${capText(limits.documentBytes)} per file`);
}

/** A document that did not parse (the problem is already recorded): nothing to hand to the parsers. */
const INVALID = Symbol('invalid document');
const asDocument = (doc: unknown): Input | null => (doc === INVALID ? null : { kind: 'document', doc });

function parseJson(text: string, c: Checker): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    c.line = pos ? text.slice(0, Number(pos[1])).split('\n').length : undefined;
    c.add('', `not valid JSON: ${msg}`);
    c.line = undefined;
    return INVALID;
  }
}

function parseYaml(text: string, c: Checker): unknown {
  try {
    return yaml.load(text, { schema: yaml.CORE_SCHEMA, json: true });
  } catch (e) {
    const err = e as yaml.YAMLException;
    c.line = err.mark ? err.mark.line + 1 : undefined;
    c.add('', `not valid YAML: ${err.reason ?? err.message.split('\n')[0]}`);
    c.line = undefined;
    return INVALID;
  }
}

/**
 * JSON lines (vLLM --append-result) streamed line by line under the line cap. A pretty-printed document, or one
 * single-line document longer than the line cap (vLLM writes its JSON on one line), is read whole instead, within
 * the document cap.
 */
async function readJsonLines(file: string, limits: ReadLimits, c: Checker): Promise<Input | null> {
  const records: { line: number; doc: unknown }[] = [];
  try {
    for await (const { line, text } of readLines(file, limits)) {
      if (!text.trim()) continue;
      const doc = parseLine(text, line, c, records.length === 0);
      if (doc === WHOLE) return asDocument(parseJson(await readDocument(file, limits), c));
      if (doc !== BAD) records.push({ line, doc });
      if (records.length > 100_000) throw new ReadError('more than 100000 JSON lines (results) in one file', line);
    }
  } catch (e) {
    if (!(e instanceof ReadError) || e.line !== 1) throw e;
    const text = await readDocument(file, limits);
    if (text.trimEnd().includes('\n')) throw e;
    return asDocument(parseJson(text, c));
  }
  if (!records.length) return (c.add('', 'empty file'), null);
  return records.length === 1 ? { kind: 'document', doc: records[0].doc } : { kind: 'lines', records };
}

const WHOLE = Symbol('whole document');
const BAD = Symbol('bad line');

function parseLine(text: string, line: number, c: Checker, first: boolean): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    if (first && line === 1) return WHOLE; // not one document per line: a pretty-printed JSON document
    c.line = line;
    c.add('', `not valid JSON: ${(e as Error).message}`);
    c.line = undefined;
    return BAD;
  }
}

// ---- grouping and building ----------------------------------------------------------------------------------

function groupByBackend(o: ImportOptions, trials: Trial[]): Map<string, Trial[]> {
  const groups = new Map<string, Trial[]>();
  for (const t of trials) {
    const base = o.backend ?? DEFAULT_BACKEND[o.format] ?? t.server ?? o.format;
    const b = t.variant ? `${base}-${t.variant}` : base;
    if (!BACKEND_ID.test(b))
      throw new InvalidInputError('import-invalid', `the file names a server '${b}' that cannot be a backend id`, {
        problems: [{ path: '/backend', file: t.file, message: `must match ${BACKEND_ID}` }],
        hint: 'Pass --backend <id> to name it.',
      });
    groups.set(b, [...(groups.get(b) ?? []), t]);
  }
  return groups;
}

interface Output {
  backend: string;
  summary: SweepSummary;
  notes: ImportNotes;
}

function build(o: ImportOptions, backend: string, ts: Trial[], duplicates: ImportFinding[]): Output {
  const byPoint = new Map<string, Trial[]>();
  for (const t of ts) byPoint.set(pointKey(t), [...(byPoint.get(pointKey(t)) ?? []), t]);
  const points: Point[] = [...byPoint.values()].map((group) => pooled(group));
  points.sort((a, b) => (a.concurrency ?? 0) - (b.concurrency ?? 0) || (a.rate ?? 0) - (b.rate ?? 0));
  const findings: ImportFinding[] = [
    ...duplicates,
    ...ts.flatMap((t) => t.findings.map((f) => ({ ...f, message: `${path.basename(t.file)}: ${f.message}` }))),
    ...mismatches(backend, ts),
  ];
  const fps = new Set(ts.map((t) => t.workload.fingerprint));
  const w = ts[0].workload;
  const models = [...new Set(ts.map((t) => t.model).filter((m): m is string => m !== null))];
  const summary: SweepSummary = {
    schema_version: 1,
    backend,
    adapter: o.format,
    model: models.length === 1 ? models[0] : null,
    endpoint: null,
    run_id: `import-${o.format}-${path.basename(ts[0].file)}`.slice(0, 200),
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
    provenance: { server: null, model: models.length === 1 ? models[0] : null, gpu: null, simulated: false },
    points,
  };
  const ps = validate('sweep-summary', summary);
  if (ps.length) throw new Error(`internal: imported summary does not validate: ${JSON.stringify(ps.slice(0, 3))}`);
  const notes: ImportNotes = {
    schema_version: 1,
    format: o.format,
    backend,
    backend_source: o.backend !== undefined ? 'flag' : DEFAULT_BACKEND[o.format] ? 'default' : 'file',
    files: [...new Set(ts.map((t) => t.file))],
    tool_versions: [...new Set(ts.map((t) => t.toolVersion).filter((v): v is string => v !== null))],
    findings,
  };
  const ns = validate('import-notes', notes);
  if (ns.length) throw new Error(`internal: import notes do not validate: ${JSON.stringify(ns.slice(0, 3))}`);
  return { backend, summary, notes };
}

/** Files of one import that disagree on the model or on the server they measured. */
function mismatches(backend: string, ts: Trial[]): ImportFinding[] {
  const out: ImportFinding[] = [];
  const distinct = (f: (t: Trial) => string | null) => {
    const m = new Map<string, string[]>();
    for (const t of ts) {
      const v = f(t);
      if (v !== null) m.set(v, [...new Set([...(m.get(v) ?? []), path.basename(t.file)])]);
    }
    return m;
  };
  const list = (m: Map<string, string[]>) => [...m].map(([v, files]) => `'${v}' (${files.join(', ')})`).join(' vs ');
  const differ = (code: ImportFinding['code'], f: (t: Trial) => string | null, verb: string, noun: string) => {
    const m = distinct(f);
    const message = `the files imported as '${backend}' ${verb} ${m.size} different ${noun}: ${list(m)}`;
    if (m.size > 1) out.push({ code, severity: 'error', message });
  };
  differ('model-mismatch', (t) => t.model, 'measured', 'models');
  differ('backend-mismatch', (t) => t.server, 'measured', 'servers');
  differ('backend-mismatch', (t) => t.target, 'targeted', 'endpoints');
  const fps = new Set(ts.map((t) => t.workload.fingerprint));
  if (fps.size > 1)
    out.push({
      code: 'workload-mismatch',
      severity: 'error',
      message: `the imported files of '${backend}' ran ${fps.size} different workloads`,
    });
  return out;
}

/** One point from its trials (one per file). Pooled distributions are exact from raw values, else unknown. */
function pooled(group: Trial[]): Point {
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
  // One trial: its own rates and token mean (a file's exact numbers, e.g. GenAI-Perf's, whose totals are rounded).
  const own = group.length === 1 ? group[0].metrics : null;
  return {
    ...(group.length === 1 ? group[0].metrics : {}),
    concurrency: group[0].concurrency,
    rate: group[0].rate,
    completed,
    failed,
    error_rate: completed + failed ? failed / (completed + failed) : 0,
    duration_s: dur,
    output_tokens_total: out,
    output_tokens_per_s: own ? own.output_tokens_per_s : dur > 0 ? out / dur : group[0].metrics.output_tokens_per_s,
    requests_per_s: own ? own.requests_per_s : dur > 0 ? completed / dur : group[0].metrics.requests_per_s,
    ttft_ms: dist('ttft', 'ttft_ms'),
    e2e_ms: dist('e2e', 'e2e_ms'),
    tpot_ms: dist('tpot', 'tpot_ms'),
    itl_ms: dist('itl', 'itl_ms'),
    ...(tokens ? { tokens: own?.tokens ?? tokens } : {}),
    trials,
  } as Point;
}

// ---- writing ------------------------------------------------------------------------------------------------

/** --out must be a directory (or absent), never a link; an existing <out>/<backend> is never replaced. */
async function preflight(outDir: string, backends: string[]): Promise<void> {
  const st = await fs.lstat(outDir).catch(() => null);
  if (st && (st.isSymbolicLink() || !st.isDirectory()))
    throw new InvalidInputError(
      'import-out',
      `--out ${outDir} exists and is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}`,
      {
        problems: [
          { path: '--out', file: outDir, message: st.isSymbolicLink() ? 'is a symbolic link' : 'is not a directory' },
        ],
        hint: 'Pass a new directory (or an existing runs directory) as --out; nothing was written.',
      },
    );
  if (!st) return;
  const taken: Problem[] = [];
  for (const b of backends)
    if (await fs.lstat(path.join(outDir, b)).catch(() => null))
      taken.push({ path: '--out', file: path.join(outDir, b), message: 'already exists' });
  if (taken.length)
    throw new InvalidInputError('import-exists', `${outDir} already holds results for ${taken.length} backend(s)`, {
      problems: taken,
      hint: 'Import into a new --out directory; earlier results are never overwritten. Nothing was written.',
    });
}

/**
 * Writes every backend into a temporary directory beside --out (never inside it, where an interrupted import would
 * leave a directory that looks like a backend), then renames it into place.
 */
async function writeAll(outDir: string, outputs: Output[]): Promise<string[]> {
  const outExists = !!(await fs.lstat(outDir).catch(() => null));
  const parent = path.dirname(outDir);
  await fs.mkdir(parent, { recursive: true });
  const tmp = path.join(parent, `.${path.basename(outDir)}.import-tmp-${randomBytes(6).toString('hex')}`);
  const written: string[] = [];
  const moved: string[] = [];
  try {
    for (const out of outputs) {
      await writeJsonAtomic(path.join(tmp, out.backend, 'summary.json'), out.summary);
      await writeJsonAtomic(path.join(tmp, out.backend, 'import.json'), out.notes);
      written.push(path.join(outDir, out.backend, 'summary.json'), path.join(outDir, out.backend, 'import.json'));
    }
    if (!outExists) await fs.rename(tmp, outDir);
    else
      for (const out of outputs) {
        await fs.rename(path.join(tmp, out.backend), path.join(outDir, out.backend));
        moved.push(out.backend);
      }
  } catch (e) {
    // Undo a half-done move so the import stays all-or-nothing.
    for (const b of moved) await fs.rm(path.join(outDir, b), { recursive: true, force: true }).catch(() => {});
    throw e;
  } finally {
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => {});
  }
  return written;
}
