/**
 * `npm run bench:hostile-files`: hostile files against the real CLI, each in a child process under an RSS watchdog
 * (steps/core/watchdog.ts kills it past the limit, so a regression cannot take the machine down). Prints, per case,
 * the exit code, wall time and peak RSS against the bounds of issue 16 (peak RSS ≤ 2 GiB whatever the input; a
 * corrupt or oversized file is exit 2; config validation linear in size).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../core/paths.js';
import { runWatched, type Watched } from '../core/watchdog.js';
import { MAX_LINE_BYTES } from '../core/lines.js';
import { MAX_SAMPLES_PER_POINT, MAX_STAMPS_PER_POINT } from './samples.js';
import { writeSmallRuns } from './synth.js';

const GiB = 2 ** 30;
const RSS_LIMIT = 2 * GiB;
const CLI = path.join(REPO_ROOT, 'steps/bin/llmbench.js');

interface Case {
  name: string;
  /** Builds the input; returns the CLI arguments. */
  setup: (dir: string) => Promise<string[]>;
  expectCode: number[];
  /** Wall-time bound in seconds. */
  wallS: number;
  env?: Record<string, string>;
}

const runsDir = (dir: string): Promise<string> => writeSmallRuns(dir);

async function sparse(file: string, bytes: number): Promise<void> {
  await fs.rm(file, { force: true });
  const fh = await fs.open(file, 'w');
  await fh.truncate(bytes);
  await fh.close();
}

/** `lines` copies of one valid sample carrying `stamps` chunk stamps, written without building the file in memory. */
async function longLines(runs: string, lines: number, stamps: number): Promise<void> {
  const file = samplesOf(runs);
  const first = JSON.parse((await fs.readFile(file, 'utf8')).split('\n')[0]);
  const ms = Array.from({ length: stamps }, (_, i) => +(first.sent_ms + 10 + i * 0.25).toFixed(3));
  const line =
    JSON.stringify({
      ...first,
      chunk_ms: ms,
      chunk_tokens: ms.map(() => 1),
      output_tokens: { ...first.output_tokens, server: stamps },
    }) + '\n';
  const fh = await fs.open(file, 'w');
  const batch = Math.max(1, Math.floor(2 ** 22 / line.length));
  for (let i = 0; i < lines; i += batch) await fh.write(line.repeat(Math.min(batch, lines - i)));
  await fh.close();
}

const samplesOf = (runs: string) => path.join(runs, 'vllm', 'samples.ndjson');

/** An analyze case: a small valid run, spoiled by `spoil`, then `analyze --runs <it>`. */
const analyzeAfter =
  (spoil: (runs: string) => Promise<void>) =>
  async (dir: string): Promise<string[]> => {
    const runs = await runsDir(dir);
    await spoil(runs);
    return ['analyze', '--runs', runs, '--out', path.join(dir, 'analysis')];
  };

const CASES: Case[] = [
  {
    name: 'analyze: 1 GB sparse samples.ndjson (parallel path)',
    setup: analyzeAfter((runs) => sparse(samplesOf(runs), GiB)),
    expectCode: [2],
    wallS: 60,
  },
  {
    name: 'analyze: 1 GB sparse samples.ndjson (sequential path)',
    setup: analyzeAfter((runs) => sparse(samplesOf(runs), GiB)),
    env: { LLMBENCH_ANALYZE_WORKER_MIN_BYTES: String(2 ** 50) },
    expectCode: [2],
    wallS: 60,
  },
  {
    name: 'plot: 1 GB sparse samples.ndjson',
    setup: async (dir) => {
      const runs = await runsDir(dir);
      await sparse(samplesOf(runs), GiB);
      return ['plot', '--workdir', dir, '--no-images'];
    },
    expectCode: [2],
    wallS: 60,
  },
  {
    name: `analyze: 40 lines of ${(MAX_LINE_BYTES / 2 ** 20) * 0.9} MiB garbage (under the line bound)`,
    setup: analyzeAfter(async (runs) => {
      const line = Buffer.alloc(Math.floor(MAX_LINE_BYTES * 0.9), 'x');
      const fh = await fs.open(samplesOf(runs), 'a');
      for (let i = 0; i < 40; i++) await fh.write(Buffer.concat([line, Buffer.from('\n')]));
      await fh.close();
    }),
    expectCode: [0, 4],
    wallS: 120,
  },
  {
    name: `analyze: long valid lines just under the per-point stamp cap (${MAX_STAMPS_PER_POINT.toLocaleString('en')})`,
    setup: analyzeAfter(async (runs) => {
      const stamps = 600_000;
      await longLines(runs, Math.floor((MAX_STAMPS_PER_POINT * 0.95) / stamps), stamps);
    }),
    expectCode: [0, 4],
    wallS: 300,
  },
  {
    name: `analyze: short valid lines just under the per-point sample cap (${MAX_SAMPLES_PER_POINT.toLocaleString('en')})`,
    setup: analyzeAfter(async (runs) => {
      // One-chunk samples: each weighs 1 + 1/16, so 0.9 of the cap in samples stays just under it.
      await longLines(runs, Math.floor(MAX_SAMPLES_PER_POINT * 0.9), 1);
    }),
    expectCode: [0, 4],
    wallS: 300,
  },
  {
    name: 'analyze: long valid lines past the per-point stamp cap',
    setup: analyzeAfter(async (runs) => {
      const stamps = 600_000;
      await longLines(runs, Math.ceil((MAX_STAMPS_PER_POINT * 1.05) / stamps), stamps);
    }),
    expectCode: [2],
    wallS: 300,
  },
  {
    name: 'analyze: 20,000 corrupt lines',
    setup: analyzeAfter((runs) => fs.appendFile(samplesOf(runs), '{"not":"a sample"}\n'.repeat(20_000))),
    expectCode: [2],
    wallS: 30,
  },
  ...[8_000, 32_000].map((n): Case => ({
    name: `run --config: ${n.toLocaleString('en')} unknown keys`,
    setup: async (dir) => {
      const cfg = path.join(dir, 'big.yaml');
      await fs.writeFile(
        cfg,
        'version: 1\nbackends:\n  - kind: vllm\n' +
          Array.from({ length: n }, (_, i) => `unknown_key_${i}: ${i}\n`).join(''),
      );
      return ['run', '--config', cfg, '--workdir', path.join(dir, 'work')];
    },
    expectCode: [2],
    wallS: n <= 8000 ? 5 : 10,
  })),
];

const fmt = (w: Watched, c: Case) => {
  const rss = w.peakRssBytes / GiB;
  const ok = c.expectCode.includes(w.code ?? -1) && w.killedFor === null && rss <= 2 && w.wallMs / 1000 <= c.wallS;
  return [
    c.name.padEnd(78),
    `exit ${String(w.code ?? w.signal).padStart(3)} (want ${c.expectCode.join('/')})`,
    `wall ${(w.wallMs / 1000).toFixed(1).padStart(6)} s (≤ ${c.wallS})`,
    `peak RSS ${rss.toFixed(2)} GiB (≤ 2)`,
    w.killedFor ? `KILLED (${w.killedFor})` : ok ? 'ok' : 'OVER BOUND',
  ].join('  ');
};

const only = process.env.BENCH_CASE;
const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'llmbench-bench-hostile-'));
console.log(`# hostile files: each case is the real CLI in a child process, SIGKILLed past ${RSS_LIMIT / GiB} GiB RSS`);
console.log(`# machine: ${os.availableParallelism()} cores, load average ${os.loadavg()[0].toFixed(1)}`);
let failed = 0;
try {
  for (const [i, c] of CASES.entries()) {
    if (only && !c.name.includes(only)) continue;
    const dir = path.join(tmp, `case-${i}`);
    await fs.mkdir(dir, { recursive: true });
    const args = await c.setup(dir);
    const w = await runWatched(process.execPath, [CLI, ...args], {
      rssLimitBytes: RSS_LIMIT,
      timeoutMs: c.wallS * 4 * 1000,
      env: { ...process.env, LLMBENCH_LOG_LEVEL: 'warn', ...c.env },
    });
    const line = fmt(w, c);
    if (!line.endsWith('ok')) failed++;
    console.log(line);
    const err = w.stderr.trim().split('\n')[0];
    if (err) console.log(`    ${err.slice(0, 160)}`);
    await fs.rm(dir, { recursive: true, force: true });
  }
} finally {
  await fs.rm(tmp, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
