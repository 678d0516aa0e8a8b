import { describe, expect, it, beforeAll, afterAll } from '@jest/globals';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { createRequire } from 'node:module';
import { runPlot } from '../../steps/plot/plot.js';
import { rasterize, renderSvg } from '../../steps/plot/render.js';
import { silentLogger } from '../../steps/core/log.js';
import { writeFixtureWorkdir } from './fixtures.js';
import { LlmbenchError } from '../../steps/core/errors.js';
import { summarizePoints } from '../../steps/metrics/derive.js';

const require = createRequire(import.meta.url);
const ALL = [
  'throughput',
  'latency',
  'ttft-distribution',
  'itl-distribution',
  'heatmap',
  'scaling-efficiency',
  'deltas',
  'server-timeline',
];

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'llmbench-plot-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

let vlValidator: ValidateFunction | undefined;
function vegaLiteValidator(): ValidateFunction {
  if (vlValidator) return vlValidator;
  const entry = require.resolve('vega-lite');
  const schemaFile = path.join(
    entry.slice(0, entry.lastIndexOf(`${path.sep}build${path.sep}`)),
    'build',
    'vega-lite-schema.json',
  );
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
  (addFormats as unknown as { default: (a: Ajv) => void }).default(ajv);
  ajv.addFormat('color-hex', /^#([0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i);
  vlValidator = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')));
  return vlValidator;
}

/** Pixels that differ between the chart as drawn and the same chart with every <text> element removed. */
function textPixels(svg: string): number {
  const a = rasterize(svg);
  const b = rasterize(svg.replace(/<text\b[^>]*>[\s\S]*?<\/text>/g, ''));
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  const pa = a.pixels;
  const pb = b.pixels;
  let diff = 0;
  for (let i = 0; i < pa.length; i += 4)
    if (pa[i] !== pb[i] || pa[i + 1] !== pb[i + 1] || pa[i + 2] !== pb[i + 2]) diff++;
  return diff;
}

describe('llmbench plot', () => {
  it('writes every chart as a Vega-Lite spec valid against vega-lite 6 schema, an SVG and a PNG with text', async () => {
    const wd = path.join(tmp, 'full');
    await writeFixtureWorkdir(wd);
    const res = await runPlot({ workdir: wd, log: silentLogger, generatedAt: '2026-01-01T00:00:00Z', scale: 1 });
    expect(res.manifest.charts.map((c) => c.name).sort()).toEqual([...ALL].sort());
    expect(res.manifest.headline).toBe('throughput');
    const validate = vegaLiteValidator();
    for (const name of ALL) {
      const spec = JSON.parse(await fs.readFile(path.join(wd, 'plots', `${name}.vl.json`), 'utf8'));
      const ok = validate(spec);
      expect({ name, errors: ok ? null : validate.errors?.slice(0, 3) }).toEqual({ name, errors: null });
      const svg = await fs.readFile(path.join(wd, 'plots', `${name}.svg`), 'utf8');
      expect(svg).toContain('<svg');
      const png = await fs.readFile(path.join(wd, 'plots', `${name}.png`));
      expect(png.subarray(1, 4).toString()).toBe('PNG');
    }
    // The scraper's normalized queue/KV series are drawn; cumulative counters are not.
    const timeline = JSON.parse(await fs.readFile(path.join(wd, 'plots', 'server-timeline.vl.json'), 'utf8'));
    expect([...new Set(timeline.data.values.map((v: { series: string }) => v.series))].sort()).toEqual([
      'kv_cache_usage',
      'running',
      'waiting',
    ]);
    // resvg silently draws no text without fonts: the headline chart must have visibly drawn text.
    const headline = await fs.readFile(path.join(wd, 'plots', 'throughput.svg'), 'utf8');
    expect(headline).toContain('Output throughput vs concurrency');
    expect(textPixels(headline)).toBeGreaterThan(2000);
    const html = await fs.readFile(path.join(wd, 'report.html'), 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/https?:\/\/cdn/i);
  });

  it('a spec that is not Vega-Lite fails the schema check (the validator is not vacuous)', () => {
    const validate = vegaLiteValidator();
    expect(validate({ mark: 'bogus', encoding: { x: { field: 'a', type: 'nonsense' } } })).toBe(false);
  });

  it('omits charts with nothing to show: no verdict → no deltas; no scrape → no server timeline', async () => {
    const wd = path.join(tmp, 'bare');
    await writeFixtureWorkdir(wd, { verdict: null, serverMetrics: false });
    await fs.rm(path.join(wd, 'analysis'), { recursive: true });
    const res = await runPlot({ workdir: wd, log: silentLogger, noImages: true });
    const names = res.manifest.charts.map((c) => c.name);
    expect(names).not.toContain('deltas');
    expect(names).not.toContain('server-timeline');
    // Scaling efficiency falls back to the sweep summaries when analysis did not run.
    expect(names).toEqual(
      expect.arrayContaining([
        'throughput',
        'latency',
        'ttft-distribution',
        'itl-distribution',
        'heatmap',
        'scaling-efficiency',
      ]),
    );
  });

  it('rate-mode sweeps plot against the request rate (specs still valid Vega-Lite)', async () => {
    const wd = path.join(tmp, 'rate');
    await writeFixtureWorkdir(wd, { verdict: null, serverMetrics: false });
    await fs.rm(path.join(wd, 'analysis'), { recursive: true });
    for (const b of ['tgi', 'vllm']) {
      const file = path.join(wd, 'runs', b, 'samples.ndjson');
      const samples = (await fs.readFile(file, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      for (const x of samples) [x.rate, x.concurrency] = [x.concurrency / 2, null];
      await fs.writeFile(file, samples.map((x) => JSON.stringify(x)).join('\n') + '\n');
      const summary = JSON.parse(await fs.readFile(path.join(wd, 'runs', b, 'summary.json'), 'utf8'));
      summary.points = summarizePoints(samples);
      await fs.writeFile(path.join(wd, 'runs', b, 'summary.json'), JSON.stringify(summary));
    }
    const res = await runPlot({ workdir: wd, log: silentLogger, noImages: true });
    expect(res.manifest.charts.map((c) => c.name)).not.toContain('scaling-efficiency'); // defined for concurrency only
    const validate = vegaLiteValidator();
    for (const c of res.manifest.charts) {
      const spec = JSON.parse(await fs.readFile(path.join(wd, c.spec), 'utf8'));
      expect({ c: c.name, ok: validate(spec) }).toEqual({ c: c.name, ok: true });
    }
    const thr = JSON.parse(await fs.readFile(path.join(wd, 'plots', 'throughput.vl.json'), 'utf8'));
    expect(thr.title.text).toBe('Output throughput vs rate');
    expect(thr.layer[0].data.values.map((v: { load: number }) => v.load)).toEqual(
      expect.arrayContaining([0.5, 2, 4, 8]),
    );
  });

  it('refuses a work directory with nothing to plot (exit 2) and an invalid verdict with its path, writing nothing', async () => {
    const empty = path.join(tmp, 'empty');
    await fs.mkdir(empty, { recursive: true });
    await expect(runPlot({ workdir: empty, log: silentLogger })).rejects.toMatchObject({
      code: 'nothing-to-plot',
      exitCode: 2,
    });
    const wd = path.join(tmp, 'badverdict');
    await writeFixtureWorkdir(wd);
    await fs.writeFile(
      path.join(wd, 'analysis', 'verdict.json'),
      JSON.stringify({ schema_version: 1, verdict: 'maybe', comparisons: [], findings: [] }),
    );
    const err = await runPlot({ workdir: wd, log: silentLogger }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmbenchError);
    expect((err as LlmbenchError).problems.map((p) => p.path)).toContain('/verdict');
    await expect(fs.access(path.join(wd, 'report.html'))).rejects.toThrow();
  });

  it('renders vega-lite to SVG headless without a canvas', async () => {
    const svg = await renderSvg({
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      data: { values: [{ a: 1, b: 2 }] },
      mark: 'bar',
      encoding: { x: { field: 'a', type: 'ordinal' }, y: { field: 'b', type: 'quantitative' } },
    });
    expect(svg).toMatch(/^<svg/);
  });
});
