import { describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../steps/cli.js';
import { validate } from '../../steps/core/schemas.js';
import type { Verdict } from '../../steps/core/types/verdict.js';
import { writeFixtureWorkdir } from './fixtures.js';

const run = (argv: string[]) => main({ argv, env: {}, stdout: () => {}, stderr: () => {} });

/** plot and report on what the real `analyze` writes (not only on hand-shaped fixtures), so schema drift shows. */
describe('plot and report on real analyze output', () => {
  it('a 25 % slower vllm candidate: regression verdict first, gated regressions counted, deltas chart drawn', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'report-analyze-'));
    const base = path.join(dir, 'base');
    const cand = path.join(dir, 'cand');
    for (const [d, slowdown] of [
      [base, 1],
      [cand, 1.25],
    ] as const) {
      await writeFixtureWorkdir(d, { verdict: null, samples: { failures: false, slowdown, trials: 4 } });
      await fs.rm(path.join(d, 'analysis'), { recursive: true });
    }
    const baseline = path.join(dir, 'baseline.json');
    expect(
      await run([
        'analyze',
        '--runs',
        path.join(base, 'runs'),
        '--out',
        path.join(base, 'analysis'),
        '--write-baseline',
        baseline,
      ]),
    ).toBe(0);
    expect(
      await run([
        'analyze',
        '--runs',
        path.join(cand, 'runs'),
        '--out',
        path.join(cand, 'analysis'),
        '--baseline',
        baseline,
      ]),
    ).toBe(1);
    const verdict = JSON.parse(await fs.readFile(path.join(cand, 'analysis', 'verdict.json'), 'utf8')) as Verdict;
    expect(validate('verdict', verdict)).toEqual([]);

    expect(await run(['plot', '--workdir', cand, '--no-images'])).toBe(0);
    const manifest = JSON.parse(await fs.readFile(path.join(cand, 'plots', 'manifest.json'), 'utf8'));
    expect(manifest.charts.map((c: { name: string }) => c.name)).toContain('deltas');
    expect(await run(['report', '--workdir', cand])).toBe(0);
    const md = await fs.readFile(path.join(cand, 'SUMMARY.md'), 'utf8');
    const gatedRegs = verdict.comparisons.filter((c) => c.verdict === 'regression' && c.gated !== false).length;
    expect(gatedRegs).toBeGreaterThan(0);
    expect(md.split('\n')[0]).toBe('# llmbench: ❌ Regression');
    expect(md.split('\n')[2]).toMatch(/^\*\*Decided by:\*\* vllm /);
    expect(md).toMatch(new RegExp(`## Gated comparisons \\(\\d+: ${gatedRegs} regressed`));
    expect(md).toContain(
      `**${gatedRegs} of ${verdict.comparisons.filter((c) => c.gated !== false).length} gated comparisons regressed**`,
    );
    await fs.rm(dir, { recursive: true, force: true });
  });
});
