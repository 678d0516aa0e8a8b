import { describe, expect, it } from '@jest/globals';
import { promises as fs, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validate } from '../../steps/core/schemas.js';
import {
  renderSummaryMd,
  STICKY_MARKER,
  GITHUB_COMMENT_LIMIT,
  type SummaryInput,
} from '../../steps/report/summary-md.js';
import {
  BACKENDS,
  fixtureAnalysis,
  fixtureBaseline,
  fixtureDeploys,
  fixtureSweep,
  fixtureVerdict,
} from './fixtures.js';

const GOLDEN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'report', 'golden');

/** Golden-file check; UPDATE_GOLDEN=1 rewrites the file (review the diff before committing). */
async function golden(name: string, actual: string): Promise<void> {
  const file = path.join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    if (process.env.CI === 'true' && !existsSync(file)) throw new Error(`golden file ${name} is missing`);
    await fs.writeFile(file, actual);
  }
  expect(actual).toBe(await fs.readFile(file, 'utf8'));
}

const sweeps = BACKENDS.map((b) => fixtureSweep(b));
const base = (verdict: SummaryInput['verdict']): SummaryInput => ({
  title: 'llmbench nightly',
  generatedAt: '2026-01-01T01:02:03Z',
  verdict,
  analysis: fixtureAnalysis(sweeps),
  sweeps,
  deploys: fixtureDeploys(),
  baseline: fixtureBaseline(),
});

describe('fixtures follow the schemas', () => {
  it('every fixture object validates', () => {
    for (const s of sweeps) expect(validate('sweep-summary', s)).toEqual([]);
    expect(validate('analysis-summary', fixtureAnalysis(sweeps))).toEqual([]);
    for (const k of ['regression', 'pass', 'inconclusive'] as const)
      expect(validate('verdict', fixtureVerdict(k))).toEqual([]);
    for (const d of fixtureDeploys()) expect(validate('deploy-report', d)).toEqual([]);
    expect(validate('baseline', fixtureBaseline())).toEqual([]);
  });
});

describe('renderSummaryMd', () => {
  it('regression: SUMMARY.md golden, verdict first, regressions before changed rows', async () => {
    const md = renderSummaryMd({
      ...base(fixtureVerdict('regression')),
      links: {
        plots: [{ name: 'throughput', title: 'Output throughput vs concurrency', url: 'plots/throughput.png' }],
        reportHtml: 'report.html',
      },
    });
    await golden('summary-regression.md', md);
    expect(md.split('\n')[0]).toBe('# llmbench nightly: ❌ Regression');
    // Verdict, the reason that decided it, the gated comparisons, findings; provenance and rule after them.
    const order = [
      '❌ Regression',
      '**Decided by:** vllm c=8 `ttft_ms.p99` +18.2 %',
      '## Gated comparisons (40: 2 regressed, 1 inconclusive, 1 improved, 36 unchanged)',
      '<details><summary>Unchanged gated comparisons (36)',
      '## Validity and fairness findings',
      '## Baseline vs candidate',
      '## Decision rule',
    ].map((s) => md.indexOf(s));
    expect(order.every((x) => x >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // Worst regression first.
    expect(md.indexOf('| vllm | c=8 | `ttft_ms.p99`')).toBeLessThan(
      md.indexOf('| vllm | c=16 | `output_tokens_per_s`'),
    );
    expect(md).toContain('`sha256:abababababab…`');
    expect(md).not.toContain(STICKY_MARKER);
  });

  it('PR comment body: marker, absolute links, PipelineRun', async () => {
    const md = renderSummaryMd(
      {
        ...base(fixtureVerdict('regression')),
        candidateSha: '3333333333333333333333333333333333333333',
        links: {
          plots: [
            {
              name: 'throughput',
              title: 'Output throughput vs concurrency',
              url: 'https://example.test/assets/pr-7/throughput.png',
            },
          ],
          headlinePlot: {
            name: 'throughput',
            title: 'Output throughput vs concurrency',
            url: 'https://example.test/assets/pr-7/throughput.png',
          },
          pipelineRun: 'https://console.example.test/k8s/ns/llmbench/tekton.dev~v1~PipelineRun/pr-7-abc',
        },
      },
      { marker: true, compact: true },
    );
    await golden('comment-regression.md', md);
    expect(md).toContain('_Listed in SUMMARY.md and report.html._'); // compact: measured points not repeated
    expect(md.startsWith(STICKY_MARKER + '\n')).toBe(true);
    expect(md).toContain('`333333333333`');
  });

  it('pass and inconclusive headlines; inconclusive is never called a pass', async () => {
    const pass = renderSummaryMd(base(fixtureVerdict('pass')));
    await golden('summary-pass.md', pass);
    expect(pass.split('\n')[0]).toContain('✅ Pass');
    const inc = renderSummaryMd(base(fixtureVerdict('inconclusive')));
    await golden('summary-inconclusive.md', inc);
    expect(inc.split('\n')[0]).toContain('⚠️ Inconclusive');
    expect(inc).toContain('This is not a pass.');
  });

  it('without a verdict it says no analysis ran and still lists the measured points', () => {
    const md = renderSummaryMd({ title: 't', generatedAt: 'now', verdict: null, sweeps });
    expect(md.split('\n')[0]).toBe('# t: ➖ No verdict');
    expect(md).toContain('| c=16 |');
  });

  it('with nothing at all (sweep failed; report runs in finally) it says so instead of an empty table', () => {
    const md = renderSummaryMd({
      title: 't',
      generatedAt: 'now',
      verdict: null,
      sweeps: [],
      links: { pipelineRun: 'https://console.example.test/pr' },
    });
    expect(md).toContain('No results: an earlier step failed');
    expect(md).toContain('[PipelineRun](https://console.example.test/pr)');
    expect(md).not.toContain('| backend |');
  });

  it('cuts a huge verdict below 65,536 characters with an explicit notice, keeping regressions and the marker', () => {
    const many = fixtureVerdict('regression', {
      concurrency: Array.from({ length: 200 }, (_, i) => i + 1),
      metrics: [
        'output_tokens_per_s',
        'ttft_ms.p50',
        'ttft_ms.p99',
        'itl_ms.p50',
        'e2e_ms.p99',
        'e2e_ms.p50',
        'tpot_ms.p50',
      ],
    });
    const md = renderSummaryMd({ ...base(many) }, { marker: true });
    expect(renderSummaryMd(base(many), { maxChars: Infinity }).length).toBeGreaterThan(GITHUB_COMMENT_LIMIT); // the uncut text really is too long
    expect(md.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(md).toContain("truncated to fit GitHub's 65,536-character comment limit");
    expect(md.startsWith(STICKY_MARKER)).toBe(true);
    expect(md).toContain('| vllm | c=16 | `output_tokens_per_s` |');
  });

  it('hard-cuts when even the headline sections exceed a tiny limit, notice included', () => {
    const md = renderSummaryMd(base(fixtureVerdict('regression')), { maxChars: 1500 });
    expect(md.length).toBeLessThanOrEqual(1500);
    expect(md).toContain('truncated');
  });

  it('an ungated metric that got worse is listed as a change, not counted as a regression', () => {
    const v = fixtureVerdict('pass');
    Object.assign(v.comparisons[0], {
      verdict: 'regression',
      gated: false,
      delta_pct: 30,
      reason: 'p99 is reported, not gated',
    });
    const md = renderSummaryMd(base(v));
    expect(md).toContain('## Gated comparisons (39: 0 regressed');
    expect(md).toContain('**No regression** in 39 gated comparisons.');
    expect(md).toContain('<details><summary>Not gated (1, 1 worse): reported, never decisive</summary>');
    expect(md).toContain('| not gated: p99 is reported, not gated |');
  });

  it('escapes pipes and newlines from messages so tables stay tables', () => {
    const v = fixtureVerdict('pass');
    v.findings.push({ code: 'workload-mismatch', severity: 'error', message: 'a | b\nc' });
    const md = renderSummaryMd(base(v));
    expect(md).toContain('a \\| b c');
  });
});
