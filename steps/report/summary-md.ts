/**
 * SUMMARY.md and the PR comment body: one pure renderer (inputs in, markdown out). It opens with the verdict and the
 * one reason that decided it; then the gated comparisons (the ones that decide), findings grouped by code with the
 * points they concern, and everything else collapsed. The comment is the same document with a hidden marker (to
 * find the sticky comment again), absolute links and, in compact mode, without the collapsed bulk (not-gated rows,
 * measured points), which SUMMARY.md and report.html carry; it is cut to fit GitHub's limit with an explicit notice.
 *
 * Every string that comes from data (names, models, messages, server strings) goes through steps/core/markup.ts:
 * no mention, link, image or HTML can come from a config, a result file or a server.
 */
import type { Verdict, Finding } from '../core/types/verdict.js';
import type { AnalysisSummary } from '../core/types/analysis-summary.js';
import type { SweepSummary } from '../core/types/sweep-summary.js';
import type { DeployReport } from '../core/types/deploy-report.js';
import type { Baseline } from '../core/types/baseline.js';
import { codeSpan, escapeMarkdown, safeUrl } from '../core/markup.js';

/** GitHub's limit on an issue comment body, in characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;
/** Hidden marker that identifies llmbench's sticky comment on a PR. Never change it: old comments carry it. */
export const STICKY_MARKER = '<!-- llmbench:sticky-report v1 -->';

export type Comparison = Verdict['comparisons'][number];

export interface PlotLink {
  name: string;
  title: string;
  /** Link target (relative path in SUMMARY.md, absolute URL in the comment). */
  url: string;
}

export interface SummaryInput {
  title: string;
  generatedAt: string;
  verdict: Verdict | null;
  analysis?: AnalysisSummary | null;
  sweeps: SweepSummary[];
  deploys?: DeployReport[];
  baseline?: Baseline | null;
  /** Commit the candidate was built from (overrides what the runs recorded, e.g. `report --sha`). */
  candidateSha?: string | null;
  links?: {
    plots?: PlotLink[];
    /** Image shown inline at the top (the headline chart). */
    headlinePlot?: PlotLink;
    pipelineRun?: string | null;
    reportHtml?: string | null;
  };
}

export interface RenderOptions {
  /** Prepend the sticky-comment marker (PR comment body). */
  marker?: boolean;
  /** Hard limit on the output length; default GitHub's comment limit. */
  maxChars?: number;
  /**
   * The PR comment: not-gated comparisons and measured points are counted and linked, not listed (the default run's
   * comment stays under COMMENT_TARGET_CHARS; SUMMARY.md keeps everything).
   */
  compact?: boolean;
}

/** What the default run's PR comment must stay under (a comment people read, not scroll). */
export const COMMENT_TARGET_CHARS = 8_000;

const VERDICT_HEAD: Record<Verdict['verdict'] | 'none', string> = {
  pass: '✅ Pass',
  regression: '❌ Regression',
  inconclusive: '⚠️ Inconclusive',
  none: '➖ No verdict',
};

// ---------- formatting helpers (pure) ----------

const num = (x: number | null | undefined, digits = 1): string => {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a !== 0 && a < 0.1) return x.toPrecision(2);
  return x.toFixed(a >= 1000 ? 0 : digits);
};
const pct = (x: number | null | undefined): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '–' : `${x > 0 ? '+' : ''}${x.toFixed(1)} %`;
const ci = (c: number[] | null | undefined): string => (c && c.length === 2 ? `[${pct(c[0])}, ${pct(c[1])}]` : '–');
const shortSha = (s: string | null | undefined): string => (s ? codeSpan(s.slice(0, 12)) : '–');
const shortDigest = (s: string | null | undefined): string =>
  s ? codeSpan(s.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]+$/, '$1…')) : '–';
/** Data in Markdown: escaped text (tables stay tables; no markup, mentions or links from data). */
const cell = (s: unknown): string => escapeMarkdown(s);
/** A Markdown link whose target is a safe URL, or the escaped label alone. */
const link = (label: string, url: string | null | undefined): string => {
  const u = safeUrl(url);
  return u ? `[${escapeMarkdown(label)}](${u})` : escapeMarkdown(label);
};

export function loadLabel(p: { concurrency?: number | null; rate?: number | null }): string {
  if (p.concurrency !== null && p.concurrency !== undefined) return `c=${p.concurrency}`;
  if (p.rate !== null && p.rate !== undefined) return `${p.rate} req/s`;
  return '–';
}

const trials = (c: Comparison): string =>
  c.trials ? `${c.trials.baseline ?? '?'} / ${c.trials.candidate ?? '?'}` : '–';

function comparisonTable(rows: Comparison[], withReason: boolean, confidence?: number): string[] {
  const head = [
    'backend',
    'load',
    'metric',
    'baseline',
    'candidate',
    'Δ %',
    confidence ? `${+(confidence * 100).toFixed(2)} % CI of Δ` : 'interval of Δ',
    'trials (b / c)',
  ];
  if (withReason) head.push('note');
  const out = [
    `| ${head.join(' | ')} |`,
    `|${head.map((h, i) => (i < 3 || h === 'note' ? '---' : '---:')).join('|')}|`,
  ];
  for (const c of rows) {
    const cols = [
      cell(c.backend),
      cell(loadLabel(c)),
      codeSpan(c.metric),
      num(c.baseline),
      num(c.candidate),
      pct(c.delta_pct),
      ci(c.ci_pct),
      trials(c),
    ];
    if (withReason) {
      const ungatedReg = c.verdict === 'regression' && c.gated === false;
      const note = c.reason ?? (c.verdict === 'improvement' ? 'improved' : ungatedReg ? 'worse' : c.verdict);
      cols.push(cell(ungatedReg ? `not gated: ${note}` : note));
    }
    out.push(`| ${cols.join(' | ')} |`);
  }
  return out;
}

/** Sort key: the worst first (largest harmful |Δ|), then stable by backend/load/metric. */
function bySeverity(a: Comparison, b: Comparison): number {
  const da = Math.abs(a.delta_pct ?? 0);
  const db = Math.abs(b.delta_pct ?? 0);
  if (db !== da) return db - da;
  return byPosition(a, b);
}

/** Table order for rows that are not ranked: backend, then load (numerically), then metric. */
function byPosition(a: Comparison, b: Comparison): number {
  return (
    a.backend.localeCompare(b.backend) ||
    (a.concurrency ?? 0) - (b.concurrency ?? 0) ||
    (a.rate ?? 0) - (b.rate ?? 0) ||
    a.metric.localeCompare(b.metric)
  );
}

export interface Identity {
  commit: string | null;
  server: string | null;
  model: string | null;
  gpu: string | null;
  image: string | null;
}

const str = (v: unknown): string | null =>
  typeof v === 'string' && v.length ? v : typeof v === 'number' ? String(v) : null;

/** Provenance objects are free-form in baselines and analysis runs; accept the names the project uses. */
function fromProvenance(p: Record<string, unknown> | undefined | null): Partial<Identity> {
  if (!p) return {};
  const gpu = p.gpu && typeof p.gpu === 'object' ? str((p.gpu as Record<string, unknown>).product) : str(p.gpu);
  return {
    commit: str(p.commit_sha),
    server: str(p.server_version) ?? str(p.server),
    model: str(p.model),
    gpu,
    image: str(p.image_digest),
  };
}

function merge(...parts: Partial<Identity>[]): Identity {
  const out: Identity = { commit: null, server: null, model: null, gpu: null, image: null };
  for (const p of parts)
    for (const k of Object.keys(out) as (keyof Identity)[]) if (out[k] === null && p[k]) out[k] = p[k]!;
  return out;
}

export function identities(input: SummaryInput): { backend: string; baseline: Identity; candidate: Identity }[] {
  const backends = new Set<string>();
  for (const s of input.sweeps) backends.add(s.backend);
  for (const r of input.analysis?.runs ?? []) backends.add(r.backend);
  for (const b of input.baseline?.backends ?? []) backends.add(b.backend);
  return [...backends].sort().map((backend) => {
    const sweep = input.sweeps.find((s) => s.backend === backend);
    const deploy = input.deploys?.find((d) => d.backend === backend || d.backend === sweep?.adapter);
    const run = input.analysis?.runs?.find((r) => r.backend === backend);
    const base = input.baseline?.backends.find((b) => b.backend === backend);
    const candidate = merge(
      { commit: input.candidateSha ?? input.verdict?.candidate?.commit_sha ?? null },
      deploy
        ? {
            image: deploy.image_digest ?? null,
            gpu: deploy.gpu?.product ?? deploy.gpu?.profile ?? null,
            server: deploy.server_version ?? null,
            model: deploy.model ?? null,
          }
        : {},
      fromProvenance(sweep?.provenance as Record<string, unknown> | undefined),
      { model: sweep?.model ?? null },
      fromProvenance(run?.provenance as Record<string, unknown> | undefined),
    );
    const baseline = merge(
      { commit: input.verdict?.baseline?.commit_sha ?? input.baseline?.commit_sha ?? null },
      fromProvenance(base?.provenance as Record<string, unknown> | undefined),
    );
    return { backend, baseline, candidate };
  });
}

function identitySection(input: SummaryInput): string[] {
  const ids = identities(input);
  const out = ['## Baseline vs candidate', ''];
  const v = input.verdict;
  if (!v?.baseline && !input.baseline) out.push('No baseline was compared against.', '');
  else if (v?.baseline?.path || v?.baseline?.created_at) {
    out.push(
      `Baseline ${codeSpan(v.baseline.path ?? '–')}${v.baseline.created_at ? ` (created ${cell(v.baseline.created_at)})` : ''}.`,
      '',
    );
  }
  if (!ids.length) return [];
  out.push('| backend | | commit | image digest | GPU | model | server |', '|---|---|---|---|---|---|---|');
  const hasBaseline = !!(v?.baseline || input.baseline);
  for (const id of ids) {
    const sides = hasBaseline
      ? ([
          ['baseline', id.baseline],
          ['candidate', id.candidate],
        ] as const)
      : ([['candidate', id.candidate]] as const);
    for (const [side, x] of sides) {
      out.push(
        `| ${cell(id.backend)} | ${side} | ${shortSha(x.commit)} | ${shortDigest(x.image)} | ${cell(x.gpu ?? '–')} | ${cell(x.model ?? '–')} | ${cell(x.server ?? '–')} |`,
      );
    }
  }
  out.push('');
  return out;
}

function ruleSection(v: Verdict | null): string[] {
  const r = v?.rule;
  if (!r)
    return [
      '## Decision rule',
      '',
      v ? 'The verdict did not state its rule.' : 'No analysis was run, so no rule was applied.',
      '',
    ];
  const conf = r.confidence ?? (r.alpha !== undefined ? 1 - r.alpha : undefined);
  const out = ['## Decision rule', ''];
  if (r.text) out.push(cell(r.text), '');
  const tol = Object.entries(r.tolerance_pct ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([m, t]) => `${codeSpan(m)} ${cell(t)} %`)
    .join(', ');
  out.push(
    `- test: ${r.test ? codeSpan(r.test) : '–'}${r.alpha !== undefined ? `, α = ${cell(r.alpha)}` : ''}`,
    `- confidence of intervals: ${conf !== undefined ? `${+(conf * 100).toFixed(2)} %` : '–'}`,
    `- trials: at least ${cell(r.min_trials ?? '–')} per side`,
    `- tolerance: ${tol || '–'}`,
  );
  if (r.gated_metrics?.length) out.push(`- gated metrics: ${r.gated_metrics.map((m) => codeSpan(m)).join(', ')}`);
  out.push('');
  return out;
}

const SEVERITY_ORDER: Record<Finding['severity'], number> = { error: 0, warning: 1, info: 2 };
const SEVERITY_ICON: Record<Finding['severity'], string> = {
  error: '🛑 error',
  warning: '⚠️ warning',
  info: 'ℹ️ info',
};

/** Where a finding points: backend, load, metric. */
const whereOf = (f: Finding): string =>
  [f.backend, f.concurrency != null || f.rate != null ? loadLabel(f) : null, f.metric ?? null]
    .filter(Boolean)
    .join(' ');

/** Up to this many points are named per finding code; the rest are counted. */
const POINTS_PER_CODE = 12;

/**
 * Findings grouped by code, one row per code: the worst severity, the points it concerns (grouped by backend), how
 * many, and one message as an example. The default run's 28 per-point rows say three things; now three rows do.
 */
export function groupFindings(findings: Finding[]): {
  code: string;
  severity: Finding['severity'];
  points: string;
  count: number;
  example: string;
}[] {
  const byCode = new Map<string, Finding[]>();
  for (const f of findings) byCode.set(f.code, [...(byCode.get(f.code) ?? []), f]);
  const rows = [...byCode.entries()].map(([code, fs]) => {
    const severity = fs.map((f) => f.severity).sort((a, b) => SEVERITY_ORDER[a] - SEVERITY_ORDER[b])[0];
    const byBackend = new Map<string, string[]>();
    for (const f of fs) {
      const b = f.backend ?? '';
      const rest = whereOf({ ...f, backend: undefined });
      if (!byBackend.has(b)) byBackend.set(b, []);
      if (rest && !byBackend.get(b)!.includes(rest)) byBackend.get(b)!.push(rest);
    }
    let named = 0,
      more = 0;
    const parts: string[] = [];
    for (const [b, ws] of [...byBackend.entries()].sort(([a], [c]) => a.localeCompare(c))) {
      const take = ws.slice(0, Math.max(0, POINTS_PER_CODE - named));
      named += take.length;
      more += ws.length - take.length;
      const label = [b, take.join(', ')].filter(Boolean).join(': ');
      if (label) parts.push(label);
    }
    const example = fs.find((f) => f.severity === severity)?.message ?? fs[0].message;
    return {
      code,
      severity,
      points: parts.join(' · ') + (more ? ` · +${more} more` : ''),
      count: fs.reduce((a, f) => a + (f.count ?? 1), 0),
      example,
    };
  });
  return rows.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.code.localeCompare(b.code));
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function findingsRows(findings: Finding[]): string[] {
  const out = ['| severity | code | where | count | example |', '|---|---|---|---:|---|'];
  for (const g of groupFindings(findings)) {
    out.push(
      `| ${SEVERITY_ICON[g.severity]} | ${codeSpan(g.code)} | ${cell(g.points || '–')} | ${g.count} | ${cell(clip(g.example, 240))} |`,
    );
  }
  return out;
}

/** The comparison or finding that decided the verdict, in one sentence (escaped). */
export function decidingReason(v: Verdict): string {
  const gated = v.comparisons.filter((c) => c.gated !== false);
  const describe = (c: Comparison) =>
    `${cell(c.backend)} ${cell(loadLabel(c))} ${codeSpan(c.metric)} ${pct(c.delta_pct)}${c.ci_pct ? ` (interval ${ci(c.ci_pct)})` : ''}`;
  if (v.verdict === 'regression') {
    const reg = gated.filter((c) => c.verdict === 'regression').sort(bySeverity);
    if (!reg.length) return 'the analysis reported a regression without a gated comparison (see the findings).';
    return `${describe(reg[0])} is worse than its ${cell(reg[0].tolerance_pct ?? '?')} % tolerance${reg.length > 1 ? `, and ${reg.length - 1} more gated comparison(s) regressed` : ''}.`;
  }
  if (v.verdict === 'pass')
    return `none of the ${gated.length} gated comparisons is worse than its tolerance at the rule's significance level.`;
  // Inconclusive: the most common reason among undecided gated comparisons, else the first error finding.
  const inc = gated.filter((c) => c.verdict === 'inconclusive');
  const reasons = new Map<string, number>();
  for (const c of inc) {
    const r = (c.reason ?? 'no reason given').split(':')[0];
    reasons.set(r, (reasons.get(r) ?? 0) + 1);
  }
  const top = [...reasons.entries()].sort((a, b) => b[1] - a[1])[0];
  const err = v.findings.find((f) => f.severity === 'error');
  if (top) {
    const example = inc
      .find((c) => (c.reason ?? 'no reason given').startsWith(top[0]))
      ?.reason?.slice(top[0].length)
      .replace(/^:\s*/, '');
    return `${inc.length} of ${gated.length} gated comparisons could not be decided — ${top[1]} because of ${codeSpan(top[0])}${example ? ` (${cell(clip(example, 160))})` : ''}.`;
  }
  if (err) return `${codeSpan(err.code)}: ${cell(clip(err.message, 200))}`;
  return gated.length ? 'no gated comparison could be decided.' : 'there was nothing to compare (no gated comparison).';
}

function headline(input: SummaryInput): string[] {
  const v = input.verdict;
  const key = v ? v.verdict : 'none';
  const out = [`# ${cell(input.title)}: ${VERDICT_HEAD[key]}`, ''];
  if (!v) {
    out.push(
      input.sweeps.length
        ? 'No verdict: the analysis step did not run, so nothing was compared against a baseline.'
        : 'No results: an earlier step failed before any sweep finished, so there is nothing to compare. See the PipelineRun and its failed TaskRun.',
      '',
    );
    if (input.links?.pipelineRun) out.push(link('PipelineRun', input.links.pipelineRun), '');
    return out;
  }
  out.push(`**Decided by:** ${decidingReason(v)}`, '');
  const gated = v.comparisons.filter((c) => c.gated !== false);
  const count = (k: Comparison['verdict']) => gated.filter((c) => c.verdict === k).length;
  const errors = v.findings.filter((f) => f.severity === 'error').length;
  const parts: string[] = [];
  if (v.verdict === 'regression')
    parts.push(`**${count('regression')} of ${gated.length} gated comparisons regressed**`);
  else if (v.verdict === 'pass') parts.push(`**No regression** in ${gated.length} gated comparisons`);
  else
    parts.push(
      `**Not enough valid data to decide** — ${count('inconclusive')} of ${gated.length} gated comparisons inconclusive`,
    );
  if (v.verdict !== 'inconclusive' && count('inconclusive')) parts.push(`${count('inconclusive')} inconclusive`);
  if (count('improvement')) parts.push(`${count('improvement')} improved`);
  if (errors) parts.push(`${errors} error finding(s)`);
  out.push(parts.join(', ') + (v.verdict === 'inconclusive' ? '. This is not a pass.' : '.'), '');
  const links: string[] = [];
  if (input.links?.reportHtml) links.push(link('Interactive report', input.links.reportHtml));
  if (input.links?.pipelineRun) links.push(link('PipelineRun', input.links.pipelineRun));
  const links2 = links.filter((l) => l.startsWith('['));
  if (links2.length) out.push(links2.join(' · '), '');
  const hp = input.links?.headlinePlot;
  const hpUrl = safeUrl(hp?.url);
  if (hp && hpUrl) out.push(`![${cell(hp.title)}](${hpUrl})`, '');
  return out;
}

function runsTable(sweeps: SweepSummary[]): string[] {
  const out: string[] = [];
  for (const s of [...sweeps].sort((a, b) => a.backend.localeCompare(b.backend))) {
    out.push(
      `**${cell(s.backend)}** — model ${cell(s.model ?? '–')}, ${cell(s.plan?.trials ?? '?')} trial(s) × ${cell(s.plan?.requests ?? '?')} requests per point`,
      '',
    );
    out.push(
      '| load | completed | failed | output tok/s | req/s | TTFT p50 ms | TTFT p99 ms | ITL p50 ms | TPOT p50 ms | E2E p50 ms | E2E p99 ms |',
    );
    out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const p of s.points) {
      out.push(
        `| ${cell(loadLabel(p))} | ${p.completed} | ${p.failed} | ${num(p.output_tokens_per_s)} | ${num(p.requests_per_s, 2)} | ${num(p.ttft_ms.p50)} | ${num(p.ttft_ms.p99)} | ${num(p.itl_ms.p50)} | ${num(p.tpot_ms.p50)} | ${num(p.e2e_ms.p50, 0)} | ${num(p.e2e_ms.p99, 0)} |`,
      );
    }
    out.push('');
  }
  return out;
}

/**
 * Regressions (worst first); then changed rows: gated inconclusive (they decide the verdict), then
 * improvements; then the rest — unchanged rows and ungated inconclusive ones (reported, not decisive).
 */
export function groupComparisons(v: Verdict): { reg: Comparison[]; changed: Comparison[]; rest: Comparison[] } {
  const gated = (c: Comparison) => c.gated !== false;
  const isReg = (c: Comparison) => c.verdict === 'regression' && gated(c);
  // Ungated metrics (e.g. p99) that moved the wrong way are shown as changes, not as the regressions that fail the run.
  const changedRow = (c: Comparison) =>
    c.verdict === 'improvement' ||
    (c.verdict === 'regression' && !gated(c)) ||
    (c.verdict === 'inconclusive' && gated(c));
  const rank: Record<string, number> = { inconclusive: 0, regression: 1, improvement: 2 };
  return {
    reg: v.comparisons.filter(isReg).sort(bySeverity),
    changed: v.comparisons
      .filter(changedRow)
      .sort((a, b) => (a.verdict === b.verdict ? bySeverity(a, b) : rank[a.verdict] - rank[b.verdict])),
    rest: v.comparisons.filter((c) => !isReg(c) && !changedRow(c)).sort(byPosition),
  };
}

/**
 * Gated comparisons (they decide the verdict) in reading order — regressions worst first, then inconclusive, then
 * improvements, then unchanged — and the not-gated rest in table order.
 */
export function splitComparisons(v: Verdict): { gated: Comparison[]; ungated: Comparison[] } {
  const rank: Record<string, number> = { regression: 0, inconclusive: 1, improvement: 2, unchanged: 3 };
  const gated = v.comparisons
    .filter((c) => c.gated !== false)
    .sort(
      (a, b) =>
        (rank[a.verdict] ?? 4) - (rank[b.verdict] ?? 4) ||
        (a.verdict === 'unchanged' ? byPosition(a, b) : bySeverity(a, b)),
    );
  return { gated, ungated: v.comparisons.filter((c) => c.gated === false).sort(byPosition) };
}

export const fmt = { num, pct, ci, shortSha, shortDigest };

interface Budget {
  /** Max rows per table (Infinity = all). */
  rows: number;
  /** Include the <details> bodies. */
  details: boolean;
}

function capRows(table: string[], budget: Budget, what: string, notices: string[]): string[] {
  const headerRows = 2;
  const body = table.length - headerRows;
  if (body <= budget.rows) return table;
  const kept = table.slice(0, headerRows + budget.rows);
  notices.push(`${body - budget.rows} ${what} row(s)`);
  kept.push(
    '',
    `_… ${body - budget.rows} more ${what} row(s) cut to fit GitHub's comment limit; see the full report._`,
  );
  return kept;
}

function comparisonSections(v: Verdict, opts: RenderOptions, budget: Budget, notices: string[]): string[] {
  const out: string[] = [];
  const conf = v.rule?.confidence ?? (v.rule?.alpha !== undefined ? 1 - v.rule.alpha : undefined);
  const { gated, ungated } = splitComparisons(v);
  const moved = gated.filter((c) => c.verdict !== 'unchanged');
  const still = gated.filter((c) => c.verdict === 'unchanged');
  const n = (k: string) => gated.filter((c) => c.verdict === k).length;
  out.push(
    `## Gated comparisons (${gated.length}: ${n('regression')} regressed, ${n('inconclusive')} inconclusive, ${n('improvement')} improved, ${still.length} unchanged)`,
    '',
  );
  if (moved.length) out.push(...capRows(comparisonTable(moved, true, conf), budget, 'gated comparison', notices), '');
  else out.push(gated.length ? `All ${gated.length} unchanged.` : 'None.', '');
  if (still.length) {
    out.push(`<details><summary>Unchanged gated comparisons (${still.length})</summary>`, '');
    out.push(...capRows(comparisonTable(still, false, conf), budget, 'unchanged gated comparison', notices));
    out.push('', '</details>', '');
  }
  if (ungated.length) {
    const worse = ungated.filter((c) => c.verdict === 'regression').length;
    out.push(
      `<details><summary>Not gated (${ungated.length}${worse ? `, ${worse} worse` : ''}): reported, never decisive</summary>`,
      '',
    );
    if (opts.compact) out.push(`_${ungated.length} not-gated comparison(s) are listed in SUMMARY.md and report.html._`);
    else if (budget.details)
      out.push(...capRows(comparisonTable(ungated, true, conf), budget, 'not-gated comparison', notices));
    else {
      out.push(`_${ungated.length} row(s) cut to fit GitHub's comment limit; see the full report._`);
      notices.push(`${ungated.length} not-gated row(s)`);
    }
    out.push('', '</details>', '');
  }
  return out;
}

function render(input: SummaryInput, opts: RenderOptions, budget: Budget, notices: string[]): string {
  const v = input.verdict;
  const out: string[] = [];
  if (opts.marker) out.push(STICKY_MARKER);
  out.push(...headline(input));
  if (v) out.push(...comparisonSections(v, opts, budget, notices));

  const findings = v?.findings ?? [];
  const codes = new Set(findings.map((f) => f.code)).size;
  out.push(`## Validity and fairness findings (${codes} code${codes === 1 ? '' : 's'}, ${findings.length} in all)`, '');
  if (findings.length) out.push(...capRows(findingsRows(findings), budget, 'finding', notices), '');
  else out.push('None.', '');
  if (v?.ranking?.statement) {
    out.push(`**Ranking${v.ranking.fair ? '' : ' (not a fair comparison)'}:** ${cell(v.ranking.statement)}`);
    for (const r of v.ranking.reasons ?? []) out.push(`- ${cell(r)}`);
    out.push('');
  }
  out.push(...identitySection(input));
  out.push(...ruleSection(v));

  const plots = input.links?.plots ?? [];
  const pr = safeUrl(input.links?.pipelineRun);
  const rh = safeUrl(input.links?.reportHtml);
  if (plots.length || pr || rh) {
    out.push('## Plots and links', '');
    for (const p of plots) if (safeUrl(p.url)) out.push(`- ${link(p.title, p.url)}`);
    if (rh) out.push(`- ${link('Interactive report (report.html)', rh)}`);
    if (pr) out.push(`- ${link('PipelineRun', pr)}`);
    out.push('');
  }

  if (input.sweeps.length) {
    out.push(
      `<details><summary>Measured points (${input.sweeps.reduce((n, s) => n + s.points.length, 0)})</summary>`,
      '',
    );
    if (opts.compact) out.push('_Listed in SUMMARY.md and report.html._', '');
    else if (budget.details) out.push(...runsTable(input.sweeps));
    else {
      out.push("_Cut to fit GitHub's comment limit; see the full report._", '');
      notices.push('measured points');
    }
    out.push('</details>', '');
  }
  out.push(`<sub>Generated ${cell(input.generatedAt)} by llmbench.</sub>`, '');
  return out.join('\n');
}

const TRUNCATION_NOTICE = (what: string) =>
  `\n\n> [!WARNING]\n> This report was truncated to fit GitHub's ${GITHUB_COMMENT_LIMIT.toLocaleString('en-US')}-character comment limit (${what}). The full SUMMARY.md and report.html are in the run's artifacts.\n`;

/**
 * Renders the report. When the result would exceed `maxChars`, it first drops <details> bodies, then caps rows
 * per table, and as a last resort cuts the text — always ending with an explicit truncation notice.
 */
export function renderSummaryMd(input: SummaryInput, opts: RenderOptions = {}): string {
  const max = opts.maxChars ?? GITHUB_COMMENT_LIMIT;
  const full = render(input, opts, { rows: Infinity, details: true }, []);
  if (full.length <= max) return full;
  const reserve = TRUNCATION_NOTICE('x'.repeat(200)).length;
  const tryBudget = (b: Budget) => {
    const notices: string[] = [];
    const text = render(input, opts, b, notices);
    return { text, notices };
  };
  let attempt = tryBudget({ rows: Infinity, details: false });
  if (attempt.text.length + reserve > max) {
    // Largest row cap that fits, by bisection over 0..max table length.
    let lo = 0;
    let hi = input.verdict ? input.verdict.comparisons.length + input.verdict.findings.length : 0;
    let best = tryBudget({ rows: 0, details: false });
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const t = tryBudget({ rows: mid, details: false });
      if (t.text.length + reserve <= max) {
        best = t;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    attempt = best;
  }
  const what = attempt.notices.length ? `cut: ${attempt.notices.join(', ')}` : 'cut';
  let text = attempt.text;
  const notice = TRUNCATION_NOTICE(what.slice(0, 200));
  if (text.length + notice.length > max) text = text.slice(0, Math.max(0, max - notice.length));
  return text + notice;
}
