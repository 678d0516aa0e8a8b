import { describe, expect, it, afterAll } from '@jest/globals';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeSummary } from './report.js';
import { createLogger } from '../core/log.js';
import { validate } from '../core/schemas.js';
import type { PlotManifest } from '../core/types/plots-manifest.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

const chart = (name: string, png: string | null) => ({
  name,
  title: name,
  spec: `plots/${name}.vl.json`,
  svg: png === null ? null : `plots/${name}.svg`,
  png,
});
const manifest = (charts: PlotManifest['charts']): PlotManifest => ({
  schema_version: 1,
  generated_at: '2026-01-01T00:00:00Z',
  headline: charts[0]?.name ?? null,
  charts,
  report_html: 'report.html',
});

/** A work directory with plots/manifest.json and every file it lists (plus one outside plots/). */
async function workdir(m: unknown): Promise<string> {
  const wd = await fs.mkdtemp(path.join(os.tmpdir(), 'llmbench-manifest-'));
  dirs.push(wd);
  await fs.mkdir(path.join(wd, 'plots'));
  await fs.writeFile(path.join(wd, 'plots', 'manifest.json'), JSON.stringify(m));
  await fs.writeFile(path.join(wd, 'plots', 'throughput.png'), 'png');
  await fs.writeFile(path.join(wd, 'secret.png'), 'not a plot');
  return wd;
}

describe('plots/manifest.json (schemas/plots-manifest.schema.json)', () => {
  it('accepts what plot writes, with and without images', () => {
    expect(validate('plots-manifest', manifest([chart('throughput', 'plots/throughput.png')]))).toEqual([]);
    expect(validate('plots-manifest', manifest([chart('ttft-distribution', null)]))).toEqual([]);
    expect(validate('plots-manifest', manifest([]))).toEqual([]);
  });

  it.each(['../secret.png', '/etc/passwd', 'plots/../../x.png', 'plots/a/b.png', 'https://example.com/x.png'])(
    'refuses a png path outside plots/: %s',
    (png) => {
      const problems = validate('plots-manifest', manifest([chart('throughput', png)]));
      expect(problems.map((p) => p.path)).toContain('/charts/0/png');
    },
  );

  it('report links the PNGs of a valid manifest', async () => {
    const wd = await workdir(manifest([chart('throughput', 'plots/throughput.png')]));
    const { markdown } = await writeSummary({ workdir: wd, log: createLogger({ env: {}, write: () => {} }) });
    expect(markdown).toContain('plots/throughput.png');
  });

  it('report links nothing from a manifest whose png points outside plots/, and says why', async () => {
    const lines: string[] = [];
    const wd = await workdir(manifest([chart('throughput', '../secret.png')]));
    const { markdown } = await writeSummary({
      workdir: wd,
      log: createLogger({ env: {}, write: (l) => lines.push(l) }),
    });
    expect(markdown).not.toContain('secret.png');
    expect(lines.join('\n')).toMatch(/plots-manifest\.schema\.json.*no plots linked/);
  });
});
