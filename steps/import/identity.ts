/**
 * Which records are runs of the same thing. A file can hold runs of different configurations that only its own
 * labels tell apart (vLLM's `--metadata framework=vllm` vs `framework=sgl`, with `backend` "vllm" in both): such
 * records are never pooled as trials of one load point. Without a selection that would pool them the import is
 * refused, naming the key, its values and where each occurs; `--select KEY=VALUE` imports the matching records only.
 */
import path from 'node:path';
import { InvalidInputError, type Problem } from '../core/errors.js';
import { pointKey } from '../metrics/derive.js';
import type { ImportedTrial, ImportFinding } from './formats/index.js';

type Trial = ImportedTrial & { file: string };
export interface Selection {
  key: string;
  value: string;
}

/** `KEY=VALUE` (split at the first '='); problems name the flag. */
export function parseSelections(raw: string[]): { selections: Selection[]; problems: Problem[] } {
  const selections: Selection[] = [];
  const problems: Problem[] = [];
  for (const s of raw) {
    const eq = s.indexOf('=');
    if (eq <= 0) problems.push({ path: '--select', message: `'${s}' must be KEY=VALUE (e.g. framework=vllm)` });
    else selections.push({ key: s.slice(0, eq).trim(), value: s.slice(eq + 1).trim() });
  }
  return { selections, problems };
}

const where = (ts: Trial[]) => {
  const byFile = new Map<string, number[]>();
  for (const t of ts) byFile.set(t.file, [...(byFile.get(t.file) ?? []), ...(t.line !== undefined ? [t.line] : [])]);
  return [...byFile]
    .map(
      ([f, lines]) =>
        `${path.basename(f)}${lines.length ? ` ${lines.length > 1 ? 'lines' : 'line'} ${ranges(lines)}` : ''}`,
    )
    .join('; ');
};

/** 1, 2, 3, 5 → "1–3, 5". */
function ranges(lines: number[]): string {
  const out: string[] = [];
  const sorted = [...new Set(lines)].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    out.push(j > i ? `${sorted[i]}–${sorted[j]}` : `${sorted[i]}`);
    i = j + 1;
  }
  return out.join(', ');
}

/** The records every selection matches, with a finding saying what was chosen; an unknown key or value is exit 2. */
export function applySelections(
  trials: Trial[],
  selections: Selection[],
): { trials: Trial[]; findings: ImportFinding[] } {
  if (!selections.length) return { trials, findings: [] };
  const problems: Problem[] = [];
  const keys = [...new Set(trials.flatMap((t) => Object.keys(t.identity ?? {})))].sort();
  for (const { key, value } of selections) {
    const values = [...new Set(trials.map((t) => t.identity?.[key]).filter((v): v is string => v !== undefined))];
    if (!keys.includes(key))
      problems.push({
        path: '--select',
        message: `no record has the key '${key}' (keys that tell records apart here: ${keys.length ? keys.join(', ') : 'none'})`,
      });
    else if (!values.includes(value))
      problems.push({
        path: '--select',
        message: `no record has ${key}=${value} (values: ${values.sort().join(', ')})`,
      });
  }
  if (problems.length)
    throw new InvalidInputError('import-flags', 'invalid --select', {
      problems,
      hint: 'Select with a KEY=VALUE the files record (vLLM: a --metadata item, or label); nothing was written.',
    });
  const kept = trials.filter((t) => selections.every((s) => t.identity?.[s.key] === s.value));
  if (!kept.length)
    throw new InvalidInputError('import-flags', 'invalid --select', {
      problems: [
        {
          path: '--select',
          message: `no record matches all of ${selections.map((s) => `${s.key}=${s.value}`).join(', ')}`,
        },
      ],
      hint: 'Select values that occur together in one record; nothing was written.',
    });
  const text = selections.map((s) => `${s.key}=${s.value}`).join(', ');
  const findings: ImportFinding[] = [
    {
      code: 'records-selected',
      severity: 'info',
      count: trials.length - kept.length,
      message: `--select ${text}: imported ${kept.length} of ${trials.length} records (${where(kept)}); ${trials.length - kept.length} left out`,
    },
  ];
  return { trials: kept, findings };
}

/**
 * Refuses (exit 2) records of one backend that would be pooled as trials of one load point while their labels
 * differ; labels that differ only between load points are a warning finding (one sweep made of several runs).
 */
export function checkIdentity(backend: string, trials: Trial[]): ImportFinding[] {
  const keys = [...new Set(trials.flatMap((t) => Object.keys(t.identity ?? {})))].sort();
  const problems: Problem[] = [];
  const findings: ImportFinding[] = [];
  for (const key of keys) {
    const val = (t: Trial) => t.identity?.[key] ?? '(absent)';
    const values = [...new Set(trials.map(val))].sort();
    if (values.length < 2) continue;
    const pooled = new Map<string, Set<string>>();
    for (const t of trials) pooled.set(pointKey(t), (pooled.get(pointKey(t)) ?? new Set()).add(val(t)));
    const list = values.map((v) => `'${v}' (${where(trials.filter((t) => val(t) === v))})`).join(' vs ');
    if ([...pooled.values()].some((s) => s.size > 1))
      for (const v of values)
        problems.push({
          path: `/${key}`,
          file: trials.find((t) => val(t) === v)!.file,
          message: `${key} = '${v}' in ${where(trials.filter((t) => val(t) === v))}`,
        });
    else
      findings.push({
        code: 'metadata-differs',
        severity: 'warning',
        message: `the records imported as '${backend}' differ in '${key}' between load points: ${list}`,
      });
  }
  if (problems.length) {
    const bad = [...new Set(problems.map((p) => p.path.slice(1)))];
    const first = bad[0];
    const v = [...new Set(trials.map((t) => t.identity?.[first]).filter((x): x is string => x !== undefined))].sort();
    throw new InvalidInputError(
      'import-invalid',
      `cannot import: records that differ in ${bad.map((k) => `'${k}'`).join(', ')} would be pooled as trials of one load point`,
      {
        problems,
        hint: `They are runs of different configurations. Import one at a time, e.g. --select ${first}=${v[0]} --backend <id>, then --select ${first}=${v[1] ?? '…'} --backend <other id>; nothing was written.`,
      },
    );
  }
  return findings;
}
