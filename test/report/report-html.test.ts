import { describe, expect, it, beforeAll, afterAll } from '@jest/globals';
import { promises as fs, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { runPlot } from '../../steps/plot/plot.js';
import { silentLogger } from '../../steps/core/log.js';
import { writeFixtureWorkdir } from './fixtures.js';

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
});
