import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../steps/cli.js';

/** The "done when": `llmbench run` (what `npm start` runs) leaves plots, report.html and SUMMARY.md. */
describe('llmbench run writes the plots and the report', () => {
  it('plots/*.svg, plots/*.png, plots/*.vl.json, report.html and a verdict-first SUMMARY.md', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'run-report-'));
    const cfg = path.join(dir, 'bench.yaml');
    writeFileSync(
      cfg,
      [
        'version: 1',
        'backends:',
        '  - kind: vllm',
        'load:',
        '  concurrency: [1, 4]',
        '  requests: 4',
        '  trials: 1',
        '  warmup: 1',
        'workload:',
        '  output_tokens: 8',
        '  input_tokens: 16',
        '',
      ].join('\n'),
    );
    const work = path.join(dir, 'work');
    const code = await main({
      argv: ['run', '--config', cfg, '--workdir', work],
      env: {},
      stdout: () => {},
      stderr: () => {},
    });
    expect([0, 1, 4]).toContain(code);
    const plots = readdirSync(path.join(work, 'plots'));
    for (const chart of [
      'throughput',
      'latency',
      'ttft-distribution',
      'itl-distribution',
      'heatmap',
      'scaling-efficiency',
    ]) {
      expect(plots).toEqual(expect.arrayContaining([`${chart}.svg`, `${chart}.png`, `${chart}.vl.json`]));
    }
    expect(readFileSync(path.join(work, 'report.html'), 'utf8')).toContain('id="llmbench-specs"');
    const md = readFileSync(path.join(work, 'SUMMARY.md'), 'utf8');
    expect(md.split('\n')[0]).toMatch(/^# .*: (✅ Pass|❌ Regression|⚠️ Inconclusive|➖ No verdict)$/);
    expect(md).toContain('(plots/throughput.png)');
  });
});
