import { describe, expect, it, beforeAll, afterAll } from '@jest/globals';
import { promises as fs, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { runPlot } from '../../steps/plot/plot.js';
import { silentLogger } from '../../steps/core/log.js';
import { writeFixtureWorkdir } from './fixtures.js';
import { workdirLayout } from '../../steps/core/paths.js';

/** The payloads of issue 16 (a name holding `<!--` broke every chart; `</script>` would end the data early). */
const HOSTILE = 'tgi<!--x</script><script>alert(1)</script>\u2028@octocat <details open>';

/** Renames backend `tgi` to the hostile name in every JSON file the report reads (directories keep their names). */
async function plantHostileName(wd: string): Promise<void> {
  const L = workdirLayout(wd);
  const files = [L.sweepSummary('tgi'), L.analysisSummary, L.verdict];
  const swap = (x: unknown): unknown =>
    Array.isArray(x)
      ? x.map(swap)
      : x && typeof x === 'object'
        ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, k === 'backend' && v === 'tgi' ? HOSTILE : swap(v)]))
        : x;
  for (const f of files) await fs.writeFile(f, JSON.stringify(swap(JSON.parse(await fs.readFile(f, 'utf8')))));
}

// Debian's chromium (apt-get install chromium; .ci/run installs it). Never a downloaded browser.
const CHROMIUM = process.env.LLMBENCH_CHROMIUM ?? '/usr/bin/chromium';

let tmp: string;
let browser: BrowserContext;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'llmbench-html-'));
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (set LLMBENCH_CHROMIUM to use another binary)`);
  // A fresh profile per run (playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('report.html in headless Chromium', () => {
  it('renders every chart offline with no console errors and no network requests; screenshot taken', async () => {
    const wd = path.join(tmp, 'wd');
    await writeFixtureWorkdir(wd);
    const res = await runPlot({ workdir: wd, log: silentLogger, noImages: true, title: 'llmbench fixture' });
    const page = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url());
    });
    await page.goto(pathToFileURL(path.join(wd, 'report.html')).href);
    await page.waitForSelector('body[data-charts-rendered]', { timeout: 30_000 });
    const rendered = Number(await page.getAttribute('body', 'data-charts-rendered'));
    const failed = Number(await page.getAttribute('body', 'data-charts-failed'));
    expect({ rendered, failed }).toEqual({ rendered: res.manifest.charts.length, failed: 0 });
    // Each chart produced an SVG with marks in it.
    const marks = await page.$$eval('.chart svg.marks', (svgs) =>
      svgs.map((s) => s.querySelectorAll('path, rect, line, text').length),
    );
    expect(marks).toHaveLength(res.manifest.charts.length);
    for (const n of marks) expect(n).toBeGreaterThan(10);
    expect(await page.textContent('h1')).toContain('Regression');
    expect(await page.textContent('body')).toContain('too-few-samples');
    const shot = path.join(tmp, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect((await fs.stat(shot)).size).toBeGreaterThan(50_000);
    if (process.env.LLMBENCH_KEEP_SCREENSHOT) await fs.copyFile(shot, process.env.LLMBENCH_KEEP_SCREENSHOT);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it('a backend name holding <!-- and </script> broke every chart: now all render, nothing runs; legends show line styles', async () => {
    const wd = path.join(tmp, 'hostile');
    await writeFixtureWorkdir(wd);
    await plantHostileName(wd);
    const res = await runPlot({ workdir: wd, log: silentLogger, noImages: true, title: HOSTILE });
    const page = await browser.newPage();
    const errors: string[] = [];
    let dialogs = 0;
    page.on('dialog', (d) => {
      dialogs++;
      void d.dismiss();
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(pathToFileURL(path.join(wd, 'report.html')).href);
    await page.waitForSelector('body[data-charts-rendered]', { timeout: 30_000 });
    expect(Number(await page.getAttribute('body', 'data-charts-rendered'))).toBe(res.manifest.charts.length);
    expect(Number(await page.getAttribute('body', 'data-charts-failed'))).toBe(0);
    expect(dialogs).toBe(0);
    expect(errors).toEqual([]);
    expect(await page.$$('details[open]')).toHaveLength(0);
    expect(await page.textContent('body')).toContain('@octocat'); // shown as text
    // The latency chart's percentile legend: each symbol is a visible stroke with its own dash pattern.
    const dashes = await page.$$eval('#chart-latency .role-legend-symbol path', (ps) =>
      ps.map((p) => [p.getAttribute('stroke'), p.getAttribute('stroke-dasharray')]),
    );
    const styled = dashes.filter(([stroke, dash]) => stroke && stroke !== 'none' && dash);
    expect(new Set(styled.map(([, d]) => d))).toEqual(new Set(['1,0', '6,3', '2,2']));
    const shot = path.join(tmp, 'report-hostile.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect((await fs.stat(shot)).size).toBeGreaterThan(50_000);
    await page.close();
  });
});
