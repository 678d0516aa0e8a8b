/**
 * SUMMARY.md and the PR comment body: one pure renderer (inputs in, markdown out), verdict first. The comment is
 * the same document with a hidden marker (to find the sticky comment again) and absolute links, cut to fit
 * GitHub's 65,536-character limit with an explicit notice.
 */
import type { Verdict, Finding } from '../core/types/verdict.js';
import type { AnalysisSummary } from '../core/types/analysis-summary.js';
import type { SweepSummary } from '../core/types/sweep-summary.js';
import type { DeployReport } from '../core/types/deploy-report.js';
import type { Baseline } from '../core/types/baseline.js';

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
}

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
const shortSha = (s: string | null | undefined): string => (s ? `\`${s.slice(0, 12)}\`` : '–');
const shortDigest = (s: string | null | undefined): string =>
  s ? `\`${s.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]+$/, '$1…')}\`` : '–';
/** Markdown table cells must not break the table. */
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

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
      loadLabel(c),
      `\`${cell(c.metric)}\``,
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
      `Baseline \`${cell(v.baseline.path ?? '–')}\`${v.baseline.created_at ? ` (created ${v.baseline.created_at})` : ''}.`,
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
  if (r.text) out.push(r.text, '');
  const tol = Object.entries(r.tolerance_pct ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([m, t]) => `\`${m}\` ${t} %`)
    .join(', ');
  out.push(
    `- test: ${r.test ? `\`${r.test}\`` : '–'}${r.alpha !== undefined ? `, α = ${r.alpha}` : ''}`,
    `- confidence of intervals: ${conf !== undefined ? `${+(conf * 100).toFixed(2)} %` : '–'}`,
    `- trials: at least ${r.min_trials ?? '–'} per side`,
    `- tolerance: ${tol || '–'}`,
  );
  if (r.gated_metrics?.length) out.push(`- gated metrics: ${r.gated_metrics.map((m) => `\`${m}\``).join(', ')}`);
  out.push('');
  return out;
}

const SEVERITY_ORDER: Record<Finding['severity'], number> = { error: 0, warning: 1, info: 2 };
const SEVERITY_ICON: Record<Finding['severity'], string> = {
  error: '🛑 error',
  warning: '⚠️ warning',
  info: 'ℹ️ info',
};

function findingsRows(findings: Finding[]): string[] {
  const sorted = [...findings].sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      a.code.localeCompare(b.code) ||
      (a.backend ?? '').localeCompare(b.backend ?? ''),
  );
  const out = ['| severity | code | where | message |', '|---|---|---|---|'];
  for (const f of sorted) {
    const where = [
      f.backend,
      f.concurrency != null || f.rate != null ? loadLabel(f) : null,
      f.metric ? `\`${f.metric}\`` : null,
    ]
      .filter(Boolean)
      .join(' ');
    out.push(
      `| ${SEVERITY_ICON[f.severity]} | \`${f.code}\` | ${cell(where || '–')} | ${cell(f.message)}${f.count !== undefined ? ` (${f.count})` : ''} |`,
    );
  }
  return out;
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
    if (input.links?.pipelineRun) out.push(`[PipelineRun](${input.links.pipelineRun})`, '');
    return out;
  }
  const gated = v.comparisons.filter((c) => c.gated !== false);
  const reg = gated.filter((c) => c.verdict === 'regression');
  const inc = gated.filter((c) => c.verdict === 'inconclusive');
  const errors = v.findings.filter((f) => f.severity === 'error');
  const parts: string[] = [];
  if (v.verdict === 'regression') {
    const worst = [...reg]
      .sort(bySeverity)
      .slice(0, 3)
      .map((c) => `${c.backend} ${loadLabel(c)} \`${c.metric}\` ${pct(c.delta_pct)}`);
    parts.push(`**${reg.length} of ${gated.length} gated comparisons regressed** (worst: ${worst.join('; ')}).`);
  } else if (v.verdict === 'pass') {
    parts.push(`**No regression** in ${gated.length} gated comparisons.`);
  } else {
    parts.push(
      `**Not enough valid data to decide** — ${inc.length} of ${gated.length} gated comparisons inconclusive${errors.length ? `, ${errors.length} error finding(s)` : ''}. This is not a pass.`,
    );
  }
  out.push(parts.join(' '), '');
  const links: string[] = [];
  if (input.links?.reportHtml) links.push(`[Interactive report](${input.links.reportHtml})`);
  if (input.links?.pipelineRun) links.push(`[PipelineRun](${input.links.pipelineRun})`);
  if (links.length) out.push(links.join(' · '), '');
  if (input.links?.headlinePlot) out.push(`![${input.links.headlinePlot.title}](${input.links.headlinePlot.url})`, '');
  return out;
}

function runsTable(sweeps: SweepSummary[]): string[] {
  const out: string[] = [];
  for (const s of [...sweeps].sort((a, b) => a.backend.localeCompare(b.backend))) {
    out.push(
      `**${cell(s.backend)}** — model ${cell(s.model ?? '–')}, ${s.plan?.trials ?? '?'} trial(s) × ${s.plan?.requests ?? '?'} requests per point`,
      '',
    );
    out.push(
      '| load | completed | failed | output tok/s | req/s | TTFT p50 ms | TTFT p99 ms | ITL p50 ms | TPOT p50 ms | E2E p50 ms | E2E p99 ms |',
    );
    out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const p of s.points) {
      out.push(
        `| ${loadLabel(p)} | ${p.completed} | ${p.failed} | ${num(p.output_tokens_per_s)} | ${num(p.requests_per_s, 2)} | ${num(p.ttft_ms.p50)} | ${num(p.ttft_ms.p99)} | ${num(p.itl_ms.p50)} | ${num(p.tpot_ms.p50)} | ${num(p.e2e_ms.p50, 0)} | ${num(p.e2e_ms.p99, 0)} |`,
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

function render(input: SummaryInput, opts: RenderOptions, budget: Budget, notices: string[]): string {
  const v = input.verdict;
  const out: string[] = [];
  if (opts.marker) out.push(STICKY_MARKER);
  out.push(...headline(input));
  out.push(...identitySection(input));
  out.push(...ruleSection(v));

  if (v) {
    const conf = v.rule?.confidence ?? (v.rule?.alpha !== undefined ? 1 - v.rule.alpha : undefined);
    const { reg, changed, rest } = groupComparisons(v);
    out.push(`## Regressions (${reg.length})`, '');
    if (reg.length) out.push(...capRows(comparisonTable(reg, false, conf), budget, 'regression', notices), '');
    else out.push('None.', '');
    out.push(`## Changed (${changed.length})`, '');
    if (changed.length) out.push(...capRows(comparisonTable(changed, true, conf), budget, 'changed', notices), '');
    else out.push('No improvements and no inconclusive comparisons.', '');
    if (rest.length) {
      out.push(`<details><summary>Everything else (${rest.length}: unchanged or not gated)</summary>`, '');
      if (budget.details)
        out.push(
          ...capRows(
            comparisonTable(
              rest,
              rest.some((c) => c.verdict !== 'unchanged'),
              conf,
            ),
            budget,
            'unchanged',
            notices,
          ),
        );
      else {
        out.push(`_${rest.length} unchanged row(s) cut to fit GitHub's comment limit; see the full report._`);
        notices.push(`${rest.length} unchanged row(s)`);
      }
      out.push('', '</details>', '');
    }
  }

  const findings = v?.findings ?? [];
  out.push(`## Validity and fairness findings (${findings.length})`, '');
  if (findings.length) out.push(...capRows(findingsRows(findings), budget, 'finding', notices), '');
  else out.push('None.', '');
  if (v?.ranking?.statement) {
    out.push(`**Ranking${v.ranking.fair ? '' : ' (not a fair comparison)'}:** ${cell(v.ranking.statement)}`);
    for (const r of v.ranking.reasons ?? []) out.push(`- ${cell(r)}`);
    out.push('');
  }

  const plots = input.links?.plots ?? [];
  if (plots.length || input.links?.pipelineRun || input.links?.reportHtml) {
    out.push('## Plots and links', '');
    for (const p of plots) out.push(`- [${cell(p.title)}](${p.url})`);
    if (input.links?.reportHtml) out.push(`- [Interactive report (report.html)](${input.links.reportHtml})`);
    if (input.links?.pipelineRun) out.push(`- [PipelineRun](${input.links.pipelineRun})`);
    out.push('');
  }

  if (input.sweeps.length) {
    out.push(
      `<details><summary>Measured points (${input.sweeps.reduce((n, s) => n + s.points.length, 0)})</summary>`,
      '',
    );
    if (budget.details) out.push(...runsTable(input.sweeps));
    else {
      out.push("_Cut to fit GitHub's comment limit; see the full report._", '');
      notices.push('measured points');
    }
    out.push('</details>', '');
  }
  out.push(`<sub>Generated ${input.generatedAt} by llmbench.</sub>`, '');
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
