/**
 * `npm run bench:analyze`: prints (1) the sequential gate's detection, false-alarm and expected-trial figures by
 * simulation, (2) power and false-alarm rates of the fixed-trial rule at 3 % run-to-run noise, and (3) time and
 * peak RSS of `llmbench analyze` on 1,000,000 synthetic request samples (BENCH_SAMPLES=0 skips it).
 * The analysis runs in a child process (the real CLI) so its peak RSS is its own.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONFIG_DEFAULTS } from '../core/config.js';
import { REPO_ROOT } from '../core/paths.js';
import { simulatePower, simulateSequential, type Direction } from '../stats/decide.js';
import { DEFAULT_DESIGN, designPower } from '../stats/sequential.js';
import { RECOMMENDED_TRIALS } from './analyze.js';
import { writeSynthRun } from './synth.js';

const SIMS = Number(process.env.BENCH_SIMULATIONS ?? 20000);
const N = Number(process.env.BENCH_SAMPLES ?? 1_000_000);
const TOKENS = Number(process.env.BENCH_OUTPUT_TOKENS ?? 32);
const pct = (x: number) => `${(x * 100).toFixed(2)} %`;

sequentialTable();

function sequentialTable() {
  const d = DEFAULT_DESIGN;
  const tol = CONFIG_DEFAULTS.regression.tolerance_pct;
  console.log(
    `# Sequential gate (A/B, one look per pair): ${d.alpha_spending} α-spending α = ${d.alpha}, ${d.beta_spending} β-spending β = ${d.beta}, detectable ${d.detectable_pct} %, looks ${d.min_trials}..${d.max_trials} trials/side, variance prior ${d.prior_df} df at ${d.noise_pct} %; tolerance ${tol} %; ${SIMS} simulations per row, log-normal trial noise`,
  );
  console.log(
    `# computed power at ${d.detectable_pct} % (noise known = ${d.noise_pct} %): ${pct(designPower(d, tol))}; targets: 5 % drop found ≥ 95 %, A/A false alarms ≤ 1 %, E[trials] ≤ 8 (5 % drop) / ≤ 6 (A/A), max ${d.max_trials}`,
  );
  console.log('noise  change   regression found   pass stop   undecided at max   E[trials/side]   target');
  const rows: [number, number, string, Direction?][] = [
    [3, 0, 'A/A: false alarms ≤ 1 %, E[trials] ≤ 6'],
    [3, 2, '(between tolerance and detectable: reported, no target)'],
    [3, 3, '(at the tolerance: no target)'],
    [3, 5, 'found ≥ 95 %, E[trials] ≤ 8'],
    [3, 5, 'a latency rising 5 % (lower-is-better): found ≥ 95 %, E[trials] ≤ 8', 'lower-is-better'],
    [5, 0, '(noise above the design)'],
    [5, 5, '(noise above the design)'],
    [8, 0, '(noise above the design)'],
    [8, 5, '(noise above the design)'],
  ];
  const t0 = Date.now();
  for (const [noise, change, note, direction] of rows) {
    const r = simulateSequential({
      direction,
      design: d,
      cv: noise / 100,
      changePct: change,
      tolerance_pct: tol,
      simulations: SIMS,
      seed: 2026 + noise * 100 + change,
    });
    let verdict = '';
    if (noise === 3 && change === 0) verdict = r.regression <= 0.01 && r.expected_trials <= 6 ? 'met' : 'NOT MET';
    if (noise === 3 && change === 5) verdict = r.regression >= 0.95 && r.expected_trials <= 8 ? 'met' : 'NOT MET';
    console.log(
      `${`${noise} %`.padStart(5)}  ${`${direction ? '+' : ''}${change} %`.padStart(6)}   ${pct(r.regression).padStart(16)}   ${pct(r.pass).padStart(9)}   ${pct(r.undecided).padStart(16)}   ${r.expected_trials.toFixed(2).padStart(14)}   ${verdict ? `${verdict}: ` : ''}${note}`,
    );
  }
  console.log(`(${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
}

console.log(
  `# Fixed-trial rule (sequential: false): Welch's t on log trial values, 3 % run-to-run noise (log-normal), ${SIMS} simulations per row`,
);
console.log('trials/side  alpha  tol%   5%-drop detected   A/A false alarms (regression)   A/A any flag');
const rows: [number, number, number, string][] = [
  [RECOMMENDED_TRIALS, CONFIG_DEFAULTS.regression.alpha, 3, '← recommended default'],
  [
    CONFIG_DEFAULTS.load.trials,
    CONFIG_DEFAULTS.regression.alpha,
    CONFIG_DEFAULTS.regression.tolerance_pct,
    '← current config defaults',
  ],
  [3, 0.05, 3, ''],
  [5, 0.05, 3, ''],
  [8, 0.05, 3, ''],
  [10, 0.05, 3, ''],
  [15, 0.05, 3, ''],
  [RECOMMENDED_TRIALS, 0.05, 5, '(tolerance 5 %: a 5 % drop is at the threshold)'],
];
for (const [n, alpha, tol, note] of rows) {
  const r = simulatePower({
    trials: n,
    cv: 0.03,
    dropPct: 5,
    rule: { alpha, tolerance_pct: tol, min_trials: 2 },
    simulations: SIMS,
    seed: 2026,
  });
  console.log(
    `${String(n).padStart(11)}  ${alpha.toFixed(2).padStart(5)}  ${String(tol).padStart(4)}   ${pct(r.detection).padStart(16)}   ${pct(r.false_alarm).padStart(30)}   ${pct(r.any_flag).padStart(12)}  ${note}`,
  );
}

if (N > 0) await synthBench();

async function synthBench() {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'llmbench-bench-analyze-'));
  try {
    const runs = path.join(tmp, 'runs');
    const points = [1, 4, 8, 16];
    const trials = RECOMMENDED_TRIALS;
    const backends = ['vllm', 'tgi', 'triton'];
    const requests = Math.ceil(N / (points.length * trials * backends.length));
    const t0 = Date.now();
    let samples = 0,
      bytes = 0;
    for (const [i, b] of backends.entries()) {
      const r = await writeSynthRun(path.join(runs, b), {
        backend: b,
        concurrency: points,
        trials,
        requests,
        outputTokens: TOKENS,
        seed: i + 1,
      });
      samples += r.samples;
      bytes += r.bytes;
    }
    console.log(
      `\n# 1M-sample analysis: ${samples.toLocaleString('en')} samples (${backends.length} backends × ${points.length} points × ${trials} trials × ${requests} requests, ${TOKENS} output tokens = ${TOKENS} chunks each), ${(bytes / 2 ** 30).toFixed(2)} GiB of NDJSON, generated in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    const load = os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ');
    const t1 = Date.now();
    const res = spawnSync(
      '/usr/bin/time',
      [
        '-f',
        '%M %e %U %S',
        process.execPath,
        path.join(REPO_ROOT, 'steps/bin/llmbench.js'),
        'analyze',
        '--runs',
        runs,
        '--out',
        path.join(tmp, 'analysis'),
      ],
      { encoding: 'utf8', env: { ...process.env, LLMBENCH_LOG_LEVEL: 'warn' } },
    );
    const wall = (Date.now() - t1) / 1000;
    const m = /(\d+) ([\d.]+) ([\d.]+) ([\d.]+)\s*$/.exec(res.stderr ?? '');
    if (res.error || !m) {
      console.log(`analyze did not run: ${res.error?.message ?? res.stderr}`);
    } else {
      const rssGiB = Number(m[1]) / 2 ** 20;
      const cpu = Number(m[3]) + Number(m[4]);
      console.log(
        `analyze exit ${res.status}: wall ${wall.toFixed(1)} s (target ≤ 20 s), CPU ${cpu.toFixed(1)} s on ${os.availableParallelism()} cores (load average before: ${load}), peak RSS ${rssGiB.toFixed(2)} GiB (target ≤ 2 GiB) — ${wall <= 20 && rssGiB <= 2 ? 'within target' : 'OVER TARGET'}`,
      );
    }
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}
