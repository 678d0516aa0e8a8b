/**
 * bench:plot — how long `llmbench plot` takes and how much memory it needs on a large run: synthetic
 * samples.ndjson for 3 backends × 4 concurrency levels × 3 trials × N requests × T output tokens, then the real
 * runPlot (distributions from every sample, 6+ charts to SVG and PNG, report.html). Prints its figures.
 *   npm run bench:plot -- [requestsPerTrial=1000] [outputTokens=128]
 */
import os from 'node:os';
import path from 'node:path';
import { promises as fs, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { summarizePoints } from '../metrics/derive.js';
import type { Sample } from '../core/types/sample.js';
import { silentLogger } from '../core/log.js';
import { runPlot } from './plot.js';

const requests = Number(process.argv[2] ?? 1000);
const tokens = Number(process.argv[3] ?? 128);
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-plot-'));
let seed = 1;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;

const tGen = performance.now();
let total = 0;
for (const backend of ['vllm', 'tgi', 'triton']) {
  const runDir = path.join(dir, 'runs', backend);
  await fs.mkdir(runDir, { recursive: true });
  const out = createWriteStream(path.join(runDir, 'samples.ndjson'));
  const kept: Sample[] = [];
  let t0 = 1_767_225_600_000;
  for (const c of [1, 4, 8, 16]) {
    for (let trial = 0; trial < 3; trial++) {
      for (let seq = 0; seq < requests; seq++) {
        const sent = t0 + Math.floor(seq / c) * (tokens * 15);
        const chunks: number[] = [];
        let t = sent + 40 + c * 5 + rnd() * 30;
        for (let k = 0; k < tokens; k++) {
          chunks.push(Math.round(t * 1000) / 1000);
          t += 10 + c + rnd() * 5;
        }
        const s: Sample = {
          v: 1,
          run_id: 'bench',
          backend,
          concurrency: c,
          rate: null,
          trial,
          seq,
          prompt_index: seq,
          warmup: false,
          intended_send_ms: sent,
          sent_ms: sent,
          headers_ms: sent + 1,
          chunk_ms: chunks,
          chunk_tokens: chunks.map(() => 1),
          end_ms: t,
          input_tokens: { requested: 256, client: 256, server: 256 },
          output_tokens: { requested: tokens, server: tokens, client: tokens },
          finish_reason: 'length',
          ok: true,
          error: null,
        };
        if (!out.write(JSON.stringify(s) + '\n')) await once(out, 'drain');
        // Summaries come from a subset (the bench measures plot, not summarize).
        if (seq < 50) kept.push(s);
        total++;
      }
      t0 += requests * tokens * 16;
    }
  }
  out.end();
  await once(out, 'finish');
  await fs.writeFile(
    path.join(runDir, 'summary.json'),
    JSON.stringify({ schema_version: 1, backend, points: summarizePoints(kept) }),
  );
}
const bytes = (
  await Promise.all(['vllm', 'tgi', 'triton'].map((b) => fs.stat(path.join(dir, 'runs', b, 'samples.ndjson'))))
).reduce((a, s) => a + s.size, 0);
console.log(
  `generated ${total} samples (${(bytes / 1e6).toFixed(0)} MB samples.ndjson) in ${((performance.now() - tGen) / 1000).toFixed(1)} s`,
);

const rss0 = process.memoryUsage().rss;
let peak = rss0;
const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
const t1 = performance.now();
const res = await runPlot({ workdir: dir, log: silentLogger, scale: 2 });
const ms = performance.now() - t1;
clearInterval(timer);
const html = await fs.stat(path.join(dir, 'report.html'));
console.log(`plot: ${res.manifest.charts.length} charts (spec+SVG+PNG) and report.html in ${(ms / 1000).toFixed(2)} s`);
console.log(
  `peak RSS ${(peak / 1e6).toFixed(0)} MB (start ${(rss0 / 1e6).toFixed(0)} MB); report.html ${(html.size / 1e6).toFixed(2)} MB`,
);
await fs.rm(dir, { recursive: true, force: true });
