/**
 * npm run bench:sim — prints (1) the calibration table, simulated vs the original framework, in virtual time and
 * over loopback through the real load generator; (2) predicted GPU ratios next to the original README's
 * "expected scaling" table; (3) the most concurrent streams one simulated server (its own process) sustains.
 * Flags: --quick (smaller loopback runs), --streams 500,1000,2000,3000, --only calibration|ratios|streams.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { silentLogger } from '../core/log.js';
import { REPO_ROOT } from '../core/paths.js';
import { runSweep } from '../sweep/sweep.js';
import { ORIGINAL, runVirtualPoint, type VirtualPoint, type VirtualPointOptions } from '../sim/calibrate.js';
import { profiles, resolveProfile } from '../sim/profiles.js';
import { startSimulator } from './server.js';
import { naturalLength, outputFor, promptTokenCount } from '../sim/textgen.js';
import { getTokenizer } from '../workload/tokenizer.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const streamsArg = args[args.indexOf('--streams') + 1];
const STREAMS = args.includes('--streams') ? streamsArg.split(',').map(Number) : [500, 1000, 2000, 4000];
const pct = (a: number, b: number) => `${a >= b ? '+' : ''}${((a / b - 1) * 100).toFixed(1)} %`;
const pad = (s: string | number, n: number) => String(s).padStart(n);
const line = (cells: (string | number)[], widths: number[]) =>
  cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : pad(c, widths[i]))).join('  ');

function wordsPerToken(): number {
  let words = 0;
  let tokens = 0;
  for (let i = 0; i < 200; i++) {
    const o = outputFor(`prompt ${i}`, 100, 42);
    words += o.pieces.join('').split(/\s+/).filter(Boolean).length;
    tokens += 100;
  }
  return words / tokens;
}

/** Column widths shared by every table of section 1. */
const CAL_W = [18, 8, 10, 10, 10, 10, 12];

/** One calibration table: a header, then a row per concurrency of the original's sweep (64+ requests each). */
function calibrationTable(
  backend: VirtualPointOptions['backend'],
  header: string[],
  row: (r: VirtualPoint, c: number, i: number) => (string | number)[],
  extra: Partial<VirtualPointOptions> = {},
): void {
  console.log(line(header, CAL_W));
  for (const [i, c] of ORIGINAL.concurrency.entries()) {
    const r = runVirtualPoint({ backend, concurrency: c, requests: Math.max(64, c * 8), ...extra });
    console.log(line(row(r, c, i), CAL_W));
  }
}

function calibrationVllm(): void {
  console.log('Virtual time (engine only, closed loop, 64+ requests per point):');
  const header = ['backend / c', 'c', 'simulated', 'original', 'error', 'TTFT ms', 'TPOT ms'];
  calibrationTable('vllm', header, (r, c, i) => [
    'vllm fp16 eager',
    c,
    r.outputTokensPerS.toFixed(1),
    ORIGINAL.vllm[i],
    pct(r.outputTokensPerS, ORIGINAL.vllm[i]),
    r.meanTtftMs.toFixed(0),
    r.meanTpotMs.toFixed(1),
  ]);
}

function calibrationTriton(): void {
  const wpt = wordsPerToken();
  console.log(
    `\nTriton (vLLM backend, CUDA graphs on as its model.json left them): the original counted whitespace words; our text has ${wpt.toFixed(2)} words/token.`,
  );
  const header = ['triton', 'c', 'tok/s', 'words/s', 'orig words', 'vs orig', ''];
  calibrationTable('triton', header, (r, c, i) => [
    'triton fp16',
    c,
    r.outputTokensPerS.toFixed(1),
    (r.outputTokensPerS * wpt).toFixed(1),
    ORIGINAL.triton[i],
    pct(r.outputTokensPerS * wpt, ORIGINAL.triton[i]),
    '',
  ]);
}

function calibrationTgi(): void {
  const P = resolveProfile('tgi');
  console.log('\nTGI (bitsandbytes-nf4, no ignore_eos: requests end at the natural EOS, median 67 tokens):');
  const header = ['tgi', 'c', 'tok/s', 'tok/req', 'original', 'vs orig', 'TPOT ms'];
  const { median_tokens, sigma } = P.model.natural_output;
  const natural = (k: number) => naturalLength(`p${k}`, 42, median_tokens, sigma);
  calibrationTable(
    'tgi',
    header,
    (r, c, i) => [
      'tgi nf4',
      c,
      r.outputTokensPerS.toFixed(1),
      (r.outputTokens / r.completed).toFixed(1),
      ORIGINAL.tgi[i],
      pct(r.outputTokensPerS, ORIGINAL.tgi[i]),
      r.meanTpotMs.toFixed(1),
    ],
    { naturalLength: natural },
  );
}

async function calibrationLoopback(): Promise<void> {
  console.log(
    '\nOver loopback: the load generator (llmbench sweep core) against the simulated vLLM server at time scale 5 (client gaps between requests are magnified 5x too):',
  );
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'llmbench-bench-sim-'));
  const sim = await startSimulator({ backend: 'vllm', timeScale: 5, seed: 42 });
  try {
    const s = await runSweep({
      backend: 'vllm',
      kind: 'vllm',
      url: sim.url,
      model: sim.model,
      outDir: tmp,
      timeScale: 5,
      simulated: true,
      concurrency: [...ORIGINAL.concurrency],
      requests: quick ? 12 : 32,
      trials: 1,
      warmup: 2,
      inputTokens: 128,
      outputTokens: 100,
      timeoutS: 120,
      seed: 42,
      log: silentLogger,
    });
    console.log(line(['vllm (loopback)', 'c', 'measured', 'original', 'error', 'TTFT p50', 'TPOT p50'], CAL_W));
    for (const [i, p] of s.points.entries()) {
      console.log(
        line(
          [
            '',
            p.concurrency ?? '-',
            p.output_tokens_per_s.toFixed(1),
            ORIGINAL.vllm[i],
            pct(p.output_tokens_per_s, ORIGINAL.vllm[i]),
            (p.ttft_ms.p50 ?? NaN).toFixed(0),
            (p.tpot_ms.p50 ?? NaN).toFixed(1),
          ],
          CAL_W,
        ),
      );
    }
  } finally {
    await sim.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function calibration(): Promise<void> {
  console.log(
    '\n== 1. Calibration: A100 MIG 3g.20gb, Mistral-7B-Instruct, 128 input / 100 output tokens, output tok/s ==',
  );
  calibrationVllm();
  calibrationTriton();
  calibrationTgi();
  await calibrationLoopback();
}

const EXPECTED: Record<string, [number, number] | null> = {
  'h100-80gb': [2, 3],
  'a100-80gb': [1.5, 2],
  'a100-40gb': [1.2, 1.5],
  'a100-mig-3g.20gb': [1, 1],
  'l40s-48gb': [0.8, 1.2],
  'a10-24gb': [0.5, 0.8],
  't4-16gb': [0.3, 0.5],
};

function ratios(): void {
  console.log(
    '\n== 2. Predicted GPU ratios vs A100 MIG 3g.20gb (vLLM, Mistral-7B, 128 in / 100 out; same flags as the reference: eager, util 0.85, max_model_len 2048) ==',
  );
  const w = [18, 10, 9, 9, 9, 10, 12, 30];
  console.log(line(['GPU', 'model', 'c=1', 'c=16', 'c=64', 'graphs c=16', 'original', 'physics says'], w));
  const base: Record<number, number> = {};
  const tput = (gpu: string, model: string | undefined, c: number, eager = true) =>
    runVirtualPoint({
      backend: 'vllm',
      gpu,
      modelProfile: model,
      concurrency: c,
      requests: Math.max(48, c * 3),
      engine: { enforce_eager: eager },
    }).outputTokensPerS;
  for (const c of [1, 16, 64]) base[c] = tput('a100-mig-3g.20gb', undefined, c);
  const baseGraphs = tput('a100-mig-3g.20gb', undefined, 16, false);
  for (const id of ['h100-80gb', 'a100-80gb', 'a100-40gb', 'a100-mig-3g.20gb', 'l40s-48gb', 'a10-24gb', 't4-16gb']) {
    let model: string | undefined;
    try {
      resolveProfile('vllm', id);
    } catch {
      model = 'mistral-7b-instruct-bnb-nf4';
    }
    const r = [1, 16, 64].map((c) => tput(id, model, c) / base[c]);
    const g = tput(id, model, 16, false) / baseGraphs;
    const exp = EXPECTED[id];
    const mid = r[1];
    const verdict = !exp
      ? ''
      : id === 'a100-mig-3g.20gb'
        ? 'baseline'
        : mid < exp[0]
          ? `below (${(mid / exp[0]).toFixed(2)}x of low end)`
          : mid > exp[1]
            ? `above (${(mid / exp[1]).toFixed(2)}x of high end)`
            : 'within';
    const gpu = profiles().gpus.get(id)!;
    console.log(
      line(
        [
          id,
          model ? 'nf4 (fp16 no fit)' : 'fp16',
          r[0].toFixed(2),
          r[1].toFixed(2),
          r[2].toFixed(2),
          g.toFixed(2),
          exp ? `${exp[0]}-${exp[1]}x` : '',
          verdict,
        ],
        w,
      ),
      `  [${gpu.memory_bandwidth_gbps} GB/s, ${gpu.fp16_tflops} TF]`,
    );
  }
  console.log('(c=16 is the column compared with the original table; "graphs" = enforce_eager off on both sides.)');
}

interface StreamResult {
  ok: number;
  failed: number;
  tokens: number;
  wallS: number;
  p99GapMs: number;
}

const PROMPT = 'Tell me a story about a river.';

/** Engine steps so far and how many were processed more than 40 ms (simulated) late (histogram bucket edge). */
async function lateSteps(url: string): Promise<{ steps: number; late: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const le = /^llmbench_sim_step_lag_seconds_bucket\{[^}]*le="0\.04"\} (\S+)$/m.exec(text);
  const count = /^llmbench_sim_step_lag_seconds_count\S* (\S+)$/m.exec(text);
  const steps = Number(count?.[1] ?? 0);
  return { steps, late: steps - Number(le?.[1] ?? 0) };
}

function streamLoad(url: string, n: number, maxTokens: number): Promise<StreamResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: n + 10 });
  const body = JSON.stringify({
    model: 'mistral',
    prompt: PROMPT,
    max_tokens: maxTokens,
    ignore_eos: true,
    stream: true,
  });
  const gaps: number[] = [];
  let ok = 0;
  let failed = 0;
  let tokens = 0;
  const t0 = performance.now();
  const one = () =>
    new Promise<void>((resolve) => {
      const req = http.request(
        `${url}/v1/completions`,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let last = 0;
          let events = 0;
          let done = false;
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            const now = performance.now();
            const k = c.split('data: ').length - 1;
            if (c.includes('[DONE]')) done = true;
            events += k;
            if (last && k) gaps.push(now - last);
            last = now;
          });
          res.on('end', () => {
            const toks = events - (done ? 1 : 0);
            tokens += toks;
            if (res.statusCode === 200 && done && toks === maxTokens) ok++;
            else failed++;
            resolve();
          });
          res.on('error', () => {
            failed++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        failed++;
        resolve();
      });
      req.end(body);
    });
  return Promise.all(Array.from({ length: n }, one)).then(() => {
    agent.destroy();
    gaps.sort((a, b) => a - b);
    return {
      ok,
      failed,
      tokens,
      wallS: (performance.now() - t0) / 1000,
      p99GapMs: gaps[Math.floor(gaps.length * 0.99)] ?? NaN,
    };
  });
}

function cpuSeconds(pid: number): number {
  // utime + stime of the whole process (all threads), in clock ticks of 1/100 s.
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** Starts `llmbench sim` as its own process (so its CPU time is its own) and resolves with its URL. */
async function spawnSim(
  gpu: string,
  maxNumSeqs: number,
): Promise<{ child: ChildProcessByStdio<null, Readable, null>; url: string }> {
  const simArgs = ['--gpu', gpu, '--max-num-seqs', String(maxNumSeqs)];
  const child = spawn(
    process.execPath,
    [path.join(REPO_ROOT, 'steps/bin/llmbench.js'), 'sim', '--backend', 'vllm', '--port', '0', ...simArgs],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (c) => reject(new Error(`sim exited ${c}`)));
  });
  return { child, url };
}

const STREAM_W = [8, 7, 7, 8, 10, 10, 8, 12, 12, 10];

interface StreamRun {
  url: string;
  pid: number;
  gpu: string;
  maxNumSeqs: number;
  promptTokens: number;
}

/** One row of a stream scenario: n streams at once; returns whether the server sustained them. */
async function streamRow(s: StreamRun, n: number): Promise<boolean> {
  const cpu0 = cpuSeconds(s.pid);
  const late0 = await lateSteps(s.url);
  const r = await streamLoad(s.url, n, 64);
  const cpu = cpuSeconds(s.pid) - cpu0;
  const late1 = await lateSteps(s.url);
  const lateShare = (late1.late - late0.late) / Math.max(1, late1.steps - late0.steps);
  const model = runVirtualPoint({
    backend: 'vllm',
    gpu: s.gpu,
    engine: { max_num_seqs: s.maxNumSeqs },
    concurrency: n,
    requests: n,
    warmup: 0,
    inputTokens: s.promptTokens,
    outputTokens: 64,
  });
  const got = r.tokens / r.wallS;
  // Sustained: every stream completes and tokens arrive at >= 90 % of the rate the engine model allows
  // (the simulator, not the machine, set the pace).
  const sustained = r.failed === 0 && got >= 0.9 * model.outputTokensPerS;
  console.log(
    line(
      [
        n,
        r.ok,
        r.failed,
        r.wallS.toFixed(2),
        got.toFixed(0),
        model.outputTokensPerS.toFixed(0),
        (got / model.outputTokensPerS).toFixed(2),
        `${(lateShare * 100).toFixed(1)} %`,
        `${((cpu / r.tokens) * 1e6).toFixed(1)} us`,
        sustained ? 'yes' : 'no',
      ],
      STREAM_W,
    ),
  );
  return sustained;
}

async function streamScenario(title: string, gpu: string, maxNumSeqs: number, counts: number[]): Promise<number> {
  console.log(`\n${title}`);
  const { child, url } = await spawnSim(gpu, maxNumSeqs);
  const header = ['streams', 'ok', 'failed', 'wall s', 'tokens/s', 'model tok/s', 'ratio', 'steps >40ms'];
  console.log(line([...header, 'CPU/event', 'sustained'], STREAM_W));
  let best = 0;
  const promptTokens = promptTokenCount(getTokenizer('mistral'), PROMPT);
  try {
    for (const n of counts) {
      if (await streamRow({ url, pid: child.pid!, gpu, maxNumSeqs, promptTokens }, n)) best = Math.max(best, n);
    }
  } finally {
    child.kill('SIGTERM');
  }
  return best;
}

async function streams(): Promise<void> {
  console.log(
    '\n== 3. Concurrent streams one simulated vLLM server sustains (its own process, real time, 64-token streams) ==',
  );
  const a = await streamScenario(
    'Default profile (A100 MIG, max_num_seqs 256: streams beyond the KV/seq limits wait in the queue):',
    'a100-mig-3g.20gb',
    256,
    STREAMS,
  );
  const b = await streamScenario(
    'All streams running at once (h100-80gb, --max-num-seqs 8192: one SSE event per stream per step):',
    'h100-80gb',
    8192,
    STREAMS.filter((n) => n <= 3000),
  );
  console.log(
    `Maximum concurrent streams sustained (all complete, >= 90 % of the engine model's token rate): default profile ${a}, all-running ${b}. Server, client and other work share this machine's cores (load average ${os.loadavg()[0].toFixed(1)}).`,
  );
}

const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const t = performance.now();
if (!only || only === 'calibration') await calibration();
if (!only || only === 'ratios') ratios();
if (!only || only === 'streams') await streams();
console.log(`\nbench:sim done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
