/**
 * report.html: one self-contained file — vega, vega-lite and vega-embed inlined from node_modules, every chart's
 * spec (with its data) inlined as JSON — so it opens offline, from an artifact store or an email attachment,
 * with no CDN. Verdict and tables come first; charts are interactive (tooltips, export).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ChartSpec } from './specs.js';
import type { Verdict } from '../core/types/verdict.js';
import { jsonForScript, safeUrl } from '../core/markup.js';
import {
  groupFindings,
  splitComparisons,
  identities,
  decidingReason,
  loadLabel,
  fmt,
  type Comparison,
  type SummaryInput,
} from '../report/summary-md.js';

const require = createRequire(import.meta.url);

let libs: string | undefined;
/** The three browser builds, read once. Resolved through node_modules so the pinned versions are what ships. */
function inlineLibraries(): string {
  if (libs) return libs;
  // These packages do not export ./package.json; find the package root from the resolved entry point instead.
  const file = (pkg: string, rel: string) => {
    const entry = require.resolve(pkg);
    const marker = `${path.sep}node_modules${path.sep}${pkg}${path.sep}`;
    return path.join(entry.slice(0, entry.lastIndexOf(marker) + marker.length), rel);
  };
  const parts = [
    file('vega', 'build/vega.min.js'),
    file('vega-lite', 'build/vega-lite.min.js'),
    file('vega-embed', 'build/vega-embed.min.js'),
  ];
  libs = parts.map((f) => `<script>\n${safeScript(readFileSync(f, 'utf8'))}\n</script>`).join('\n');
  return libs;
}

/** Nothing inside a <script> element may close it early. */
const safeScript = (js: string) => js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');

const esc = (s: unknown): string =>
  String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** The Markdown sentence of decidingReason as plain text (backslash escapes, entities and code ticks removed). */
const mdToText = (md: string): string =>
  md
    .replace(/\\([\\`*_[\]|~])/g, '$1')
    .replace(/&#8203;/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/`/g, '');

const VERDICT_STYLE: Record<string, { label: string; cls: string }> = {
  pass: { label: 'Pass', cls: 'pass' },
  regression: { label: 'Regression', cls: 'regression' },
  inconclusive: { label: 'Inconclusive — not enough valid data to decide (not a pass)', cls: 'inconclusive' },
  none: { label: 'No verdict — analysis did not run', cls: 'none' },
};

function comparisonTable(rows: Comparison[], caption: string): string {
  if (!rows.length) return `<p class="muted">${esc(caption)}: none.</p>`;
  const body = rows
    .map(
      (c) =>
        `<tr class="${esc(c.verdict)}"><td>${esc(c.backend)}</td><td>${esc(loadLabel(c))}</td><td><code>${esc(c.metric)}</code></td><td class="n">${esc(fmt.num(c.baseline))}</td><td class="n">${esc(fmt.num(c.candidate))}</td><td class="n">${esc(fmt.pct(c.delta_pct))}</td><td class="n">${esc(fmt.ci(c.ci_pct))}</td><td class="n">${esc(c.trials ? `${c.trials.baseline ?? '?'} / ${c.trials.candidate ?? '?'}` : '–')}</td><td>${esc(c.verdict)}${c.gated === false ? ' (not gated)' : ''}${c.reason ? ` — ${esc(c.reason)}` : ''}</td></tr>`,
    )
    .join('\n');
  return `<table><caption>${esc(caption)} (${rows.length})</caption><thead><tr><th>backend</th><th>load</th><th>metric</th><th>baseline</th><th>candidate</th><th>Δ %</th><th>interval</th><th>trials (b / c)</th><th>verdict</th></tr></thead><tbody>\n${body}\n</tbody></table>`;
}

type Style = (typeof VERDICT_STYLE)[string];

function headerSection(input: SummaryInput, style: Style): string {
  const v = input.verdict;
  const runUrl = safeUrl(input.links?.pipelineRun);
  return `<header class="verdict ${style.cls}"><h1>${esc(input.title)}: ${esc(style.label)}</h1>${v ? `<p class="reason"><b>Decided by:</b> ${esc(mdToText(decidingReason(v)))}</p>` : ''}<p>Generated ${esc(input.generatedAt)} by llmbench.${runUrl ? ` <a href="${esc(runUrl)}" rel="noopener noreferrer">PipelineRun</a>` : ''}</p></header>`;
}

/** Commit, image, GPU, model and server of each side, or null when nothing identifies them. */
function identitySection(input: SummaryInput): string | null {
  const ids = identities(input);
  if (!ids.length) return null;
  const rows = ids
    .flatMap((id) =>
      (['baseline', 'candidate'] as const).map((side) => {
        const x = id[side];
        return `<tr><td>${esc(id.backend)}</td><td>${side}</td><td><code>${esc(x.commit?.slice(0, 12) ?? '–')}</code></td><td><code>${esc(x.image ?? '–')}</code></td><td>${esc(x.gpu ?? '–')}</td><td>${esc(x.model ?? '–')}</td><td>${esc(x.server ?? '–')}</td></tr>`;
      }),
    )
    .join('\n');
  return `<section><h2>Baseline vs candidate</h2><table><thead><tr><th>backend</th><th></th><th>commit</th><th>image digest</th><th>GPU</th><th>model</th><th>server</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function ruleSection(r: NonNullable<Verdict['rule']>): string {
  const tol = Object.entries(r.tolerance_pct ?? {})
    .map(([m, t]) => `${m} ${t} %`)
    .join(', ');
  return `<section><h2>Decision rule</h2>${r.text ? `<p>${esc(r.text)}</p>` : ''}<ul><li>test: <code>${esc(r.test ?? '–')}</code>${r.alpha !== undefined ? `, α = ${esc(r.alpha)}` : ''}</li><li>confidence: ${esc(r.confidence ?? (r.alpha !== undefined ? 1 - r.alpha : '–'))}</li><li>trials: at least ${esc(r.min_trials ?? '–')}</li><li>tolerance: ${esc(tol || '–')}</li></ul></section>`;
}

function comparisonsSection(v: Verdict): string {
  const { gated, ungated } = splitComparisons(v);
  return `<section><h2>Comparisons</h2>${comparisonTable(gated, 'Gated comparisons')}<details><summary>Not gated (${ungated.length}): reported, never decisive</summary>${comparisonTable(ungated, 'Not gated')}</details></section>`;
}

function findingsSection(v: Verdict): string {
  const groups = groupFindings(v.findings);
  const f = groups
    .map(
      (x) =>
        `<tr class="sev-${esc(x.severity)}"><td>${esc(x.severity)}</td><td><code>${esc(x.code)}</code></td><td>${esc(x.points)}</td><td class="n">${x.count}</td><td>${esc(x.example)}</td></tr>`,
    )
    .join('\n');
  return `<section><h2>Validity and fairness findings (${groups.length} codes, ${v.findings.length} in all)</h2>${groups.length ? `<table><thead><tr><th>severity</th><th>code</th><th>where</th><th>count</th><th>example</th></tr></thead><tbody>${f}</tbody></table>` : '<p class="muted">None.</p>'}</section>`;
}

function chartsSection(charts: ChartSpec[]): string {
  return `<section><h2>Charts</h2>${charts.map((c) => `<figure><figcaption>${esc(c.title)}</figcaption><div class="chart" id="chart-${esc(c.name)}" data-chart="${esc(c.name)}"></div></figure>`).join('\n')}</section>`;
}

/** The measured points table, or null when no sweep has points. */
function pointsSection(input: SummaryInput): string | null {
  const pts = input.sweeps
    .flatMap((s) =>
      s.points.map(
        (p) =>
          `<tr><td>${esc(s.backend)}</td><td>${esc(loadLabel(p))}</td><td class="n">${p.completed}</td><td class="n">${p.failed}</td><td class="n">${esc(fmt.num(p.output_tokens_per_s))}</td><td class="n">${esc(fmt.num(p.ttft_ms.p50))}</td><td class="n">${esc(fmt.num(p.ttft_ms.p99))}</td><td class="n">${esc(fmt.num(p.itl_ms.p50))}</td><td class="n">${esc(fmt.num(p.e2e_ms.p50))}</td><td class="n">${esc(fmt.num(p.e2e_ms.p99))}</td></tr>`,
      ),
    )
    .join('\n');
  if (!pts) return null;
  return `<section><h2>Measured points</h2><table><thead><tr><th>backend</th><th>load</th><th>completed</th><th>failed</th><th>output tok/s</th><th>TTFT p50</th><th>TTFT p99</th><th>ITL p50</th><th>E2E p50</th><th>E2E p99</th></tr></thead><tbody>${pts}</tbody></table></section>`;
}

export function renderReportHtml(input: SummaryInput, charts: ChartSpec[]): string {
  const v = input.verdict;
  const style = VERDICT_STYLE[v?.verdict ?? 'none'];
  const sections = [
    headerSection(input, style),
    identitySection(input),
    v?.rule ? ruleSection(v.rule) : null,
    v ? comparisonsSection(v) : null,
    v ? findingsSection(v) : null,
    chartsSection(charts),
    pointsSection(input),
  ].filter((x): x is string => x !== null);
  return page(input.title, style, sections, charts);
}

/** The HTML document: styles, the sections, the chart specs and the script that draws them offline. */
function page(title: string, style: Style, sections: string[], charts: ChartSpec[]): string {
  // Data (names, messages) inside <script>: no "</script>", "<!--" or U+2028/2029 can survive (steps/core/markup.ts).
  const specsJson = jsonForScript(Object.fromEntries(charts.map((c) => [c.name, c.spec])));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} — ${esc(style.label)}</title>
<link rel="icon" href="data:,">
<style>
body { font-family: 'DejaVu Sans', system-ui, sans-serif; margin: 1.5rem auto; max-width: 1200px; color: #222; padding: 0 1rem; }
.verdict { padding: .6rem 1rem; border-radius: 6px; border-left: 8px solid #888; background: #f4f4f4; }
.verdict.pass { border-color: #2ca02c; background: #eef8ee; } .verdict.regression { border-color: #d62728; background: #fdeeee; }
.verdict.inconclusive { border-color: #ff7f0e; background: #fff5e8; }
.verdict h1 { margin: .2rem 0; font-size: 1.4rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .85rem; }
caption { text-align: left; font-weight: bold; padding: .3rem 0; }
th, td { border: 1px solid #ddd; padding: .2rem .5rem; } th { background: #f6f6f6; } td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.regression td { background: #fdeeee; } tr.improvement td { background: #eef8ee; } tr.inconclusive td { background: #fff5e8; }
tr.sev-error td { background: #fdeeee; } tr.sev-warning td { background: #fff5e8; }
figure { margin: 1rem 0 2rem; } figcaption { font-weight: bold; margin-bottom: .3rem; }
.muted { color: #777; } code { font-size: .85em; }
</style>
</head>
<body>
${sections.join('\n')}
<script type="application/json" id="llmbench-specs">${specsJson}</script>
${inlineLibraries()}
<script>
(function () {
  var specs = JSON.parse(document.getElementById('llmbench-specs').textContent);
  var names = Object.keys(specs);
  var done = 0, failed = 0;
  function settle() { if (done + failed === names.length) { document.body.setAttribute('data-charts-rendered', String(done)); document.body.setAttribute('data-charts-failed', String(failed)); } }
  names.forEach(function (name) {
    var el = document.getElementById('chart-' + name);
    // Export and view-source only: the editor action would leave the page (and needs the network).
    vegaEmbed(el, specs[name], { renderer: 'svg', actions: { export: true, source: true, compiled: false, editor: false } })
      .then(function () { el.setAttribute('data-rendered', 'true'); done++; settle(); })
      .catch(function (err) { el.textContent = 'chart failed: ' + err; console.error('llmbench chart ' + name + ' failed', err); failed++; settle(); });
  });
  settle();
})();
</script>
</body>
</html>
`;
}
