/**
 * Data never becomes markup (issue 16 item 7) and a verdict people read (issue 15 item 3). The payloads are those
 * of the issue: a model or backend name with `@octocat @org/team`, a tracking image, `<details open>`, a
 * `javascript:` link, and `<!--` (which broke every chart of report.html).
 */
import { describe, expect, it } from '@jest/globals';
import { codeSpan, escapeMarkdown, jsonForScript, safeUrl } from '../../steps/core/markup.js';
import {
  COMMENT_TARGET_CHARS,
  groupFindings,
  renderSummaryMd,
  type SummaryInput,
} from '../../steps/report/summary-md.js';
import { renderReportHtml } from '../../steps/plot/html.js';
import type { Verdict } from '../../steps/core/types/verdict.js';
import { fixtureAnalysis, fixtureBaseline, fixtureDeploys, fixtureSweep, fixtureVerdict } from './fixtures.js';

export const PAYLOADS = [
  '@octocat @org/team',
  '![](https://attacker.example/track.png)',
  '<details open><summary>x</summary>',
  '[click](javascript:alert(1))',
  'x<!--y',
  '</script><script>alert(1)</script>',
  'line\u2028sep\u2029para',
  '`code` **bold** | pipe #12 www.attacker.example',
];
const HOSTILE = PAYLOADS.join(' ');

/** What must not appear in Markdown rendered from data. */
function expectInert(md: string): void {
  expect(md).not.toMatch(/@(octocat|org\/team)/); // mentions (a zero-width space follows every @)
  // Links and images need an unescaped `[` … `](`: every bracket from data carries a backslash.
  expect(md).not.toMatch(/(?<!\\)!\[/);
  expect(md).not.toMatch(/(?<!\\)\]\((https:\/\/attacker|javascript:)/);
  expect(md).not.toContain('<details open');
  expect(md).not.toContain('<!--y');
  expect(md).not.toContain('<script');
  expect(md).not.toContain('https://attacker.example'); // bare URLs are autolinked
  expect(md).not.toContain('www.attacker');
  expect(md).not.toMatch(/[\u2028\u2029]/);
  expect(md).not.toContain(' #12'); // issue references
}

function hostileInput(): SummaryInput {
  const sweeps = (['vllm', 'tgi'] as const).map((b) => ({ ...fixtureSweep(b), model: HOSTILE }));
  const v = fixtureVerdict('regression');
  for (const c of v.comparisons) if (c.backend === 'tgi') c.backend = HOSTILE;
  v.findings.push({ code: 'requests-failed', severity: 'error', backend: HOSTILE, message: `server said: ${HOSTILE}` });
  v.rule!.text = HOSTILE;
  v.ranking = { fair: false, statement: HOSTILE, reasons: [HOSTILE] } as Verdict['ranking'];
  return {
    title: HOSTILE,
    generatedAt: '2026-01-01T00:00:00Z',
    verdict: v,
    analysis: fixtureAnalysis(sweeps),
    sweeps,
    deploys: fixtureDeploys().map((d) => ({ ...d, server_version: HOSTILE })),
    baseline: fixtureBaseline(),
    links: {
      plots: [{ name: 'x', title: HOSTILE, url: 'javascript:alert(1)' }],
      pipelineRun: 'javascript:alert(1)',
      reportHtml: 'https://ok.example/report.html',
    },
  };
}

describe('escaping', () => {
  it.each(PAYLOADS)('escapeMarkdown(%j) is inert text', (p) => expectInert(escapeMarkdown(p)));

  it('codeSpan keeps plain identifiers as code and escapes anything else', () => {
    expect(codeSpan('ttft_ms.p50')).toBe('`ttft_ms.p50`');
    expect(codeSpan('a`b')).toBe('a\\`b');
  });

  it('safeUrl accepts http(s) and plain relative paths only, credentials dropped', () => {
    expect(safeUrl('javascript:alert(1)')).toBeNull();
    expect(safeUrl('data:text/html,x')).toBeNull();
    expect(safeUrl('plots/throughput.png')).toBe('plots/throughput.png');
    expect(safeUrl('https://u:p@x.example/a (b)')).toBe('https://x.example/a%20%28b%29');
  });

  it('jsonForScript: no </, <!--, <script or U+2028/2029 survive, and it parses back to the same value', () => {
    const j = jsonForScript({ name: HOSTILE });
    for (const bad of ['</', '<!--', '<script', '\u2028', '\u2029']) expect(j).not.toContain(bad);
    expect(JSON.parse(j)).toEqual({ name: HOSTILE });
  });
});

describe('SUMMARY.md and the PR comment', () => {
  it('names, models, messages and server strings were posted as Markdown: now every payload is inert', () => {
    for (const compact of [false, true]) {
      const md = renderSummaryMd(hostileInput(), { marker: compact, compact });
      expectInert(md);
      expect(md).toContain('octocat'); // still shown, as text
    }
  });

  it('report.html embedded data: a name with <!-- broke every chart; now nothing in it closes or comments out the script', () => {
    const html = renderReportHtml(hostileInput(), [
      { name: 'throughput', title: HOSTILE, spec: { data: { values: [{ backend: HOSTILE }] }, mark: 'point' } },
    ] as never);
    const json = /<script type="application\/json" id="llmbench-specs">([\s\S]*?)<\/script>/.exec(html)![1];
    for (const bad of ['</', '<!--', '<script', '\u2028', '\u2029']) expect(json).not.toContain(bad);
    expect(html).not.toContain('href="javascript:');
    const body = html.slice(0, html.indexOf('<script type="application/json"'));
    expect(body).not.toContain('<details open');
    expect(body).not.toMatch(/<script>alert/);
  });
});

describe('a verdict people read (issue 15 item 3)', () => {
  /** The default run: 3 backends × 4 points, 3 gated metrics of 10, findings as the issue counted them. */
  function defaultRun(): SummaryInput {
    const B = ['vllm', 'tgi', 'triton'];
    const metrics = [
      'output_tokens_per_s',
      'ttft_ms.p50',
      'tpot_ms.p50',
      'ttft_ms.p99',
      'itl_ms.p50',
      'itl_ms.p99',
      'e2e_ms.p50',
      'e2e_ms.p99',
      'tpot_ms.p99',
      'requests_per_s',
    ];
    const v = fixtureVerdict('inconclusive', { backends: B, concurrency: [1, 4, 8, 16], metrics });
    v.findings = [];
    for (const c of v.comparisons) {
      c.gated = metrics.slice(0, 3).includes(c.metric);
      if (c.gated) Object.assign(c, { verdict: 'inconclusive', reason: 'insufficient-trials: 3 of 12 trials a side' });
    }
    for (const b of B)
      for (const c of [1, 4, 8, 16]) {
        const at = { backend: b, concurrency: c, rate: null };
        v.findings.push({
          ...at,
          code: 'too-few-samples',
          severity: 'warning',
          message: 'p99 rests on 48 requests (minimum 100)',
          count: 48,
        });
        v.findings.push({
          ...at,
          code: 'insufficient-trials',
          severity: 'error',
          message: '3 trials a side; the rule needs 12',
        });
        if (b === 'tgi')
          v.findings.push({
            ...at,
            code: 'output-shortfall',
            severity: 'warning',
            message: 'TGI has no ignore_eos: 12 of 48 requests stopped early',
            count: 12,
          });
      }
    const sweeps = B.map((b) => fixtureSweep(b as 'vllm'));
    return {
      title: 'embedded default',
      generatedAt: '2026-01-01T00:00:00Z',
      verdict: v,
      analysis: fixtureAnalysis(sweeps),
      sweeps,
      deploys: fixtureDeploys(),
      baseline: fixtureBaseline(),
      links: { reportHtml: 'https://ok.example/report.html' },
    };
  }

  it('the default run posted a 24 kB comment with 28 finding rows: now under 8,000 characters, one row per code', () => {
    const input = defaultRun();
    expect(input.verdict!.findings).toHaveLength(28);
    expect(input.verdict!.comparisons).toHaveLength(120);
    const md = renderSummaryMd(input, { marker: true, compact: true });
    expect(md.length).toBeLessThan(COMMENT_TARGET_CHARS);
    const lines = md.split('\n');
    expect(lines[1]).toBe('# embedded default: ⚠️ Inconclusive');
    expect(lines[3]).toMatch(
      /^\*\*Decided by:\*\* 36 of 36 gated comparisons could not be decided — 36 because of `insufficient-trials`/,
    );
    const rows = lines.filter((l) => /^\| (🛑|⚠️|ℹ️)/.test(l));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain(
      '`insufficient-trials` | tgi: c=1, c=4, c=8, c=16 · triton: c=1, c=4, c=8, c=16 · vllm: c=1, c=4, c=8, c=16 | 12 |',
    );
    // Gated rows first; the not-gated 84 are counted and collapsed, not listed.
    expect(md.indexOf('## Gated comparisons (36')).toBeLessThan(md.indexOf('<details><summary>Not gated (84'));
    expect(md).not.toContain('`itl_ms.p99`');
    // SUMMARY.md keeps everything.
    expect(renderSummaryMd(input, { maxChars: Infinity })).toContain('`itl_ms.p99`');
  });

  it('groupFindings caps the named points per code and counts the rest', () => {
    const fs = Array.from({ length: 30 }, (_, i) => ({
      code: 'too-few-samples' as const,
      severity: 'info' as const,
      backend: 'b',
      concurrency: i + 1,
      rate: null,
      message: 'm',
    }));
    const [g] = groupFindings(fs);
    expect(g.points).toMatch(/^b: c=1, c=2, .*c=12 · \+18 more$/);
    expect(g.count).toBe(30);
  });
});
