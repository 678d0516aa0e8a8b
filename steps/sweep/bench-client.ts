/**
 * `npm run bench:client`: client CPU per streamed chunk, this client against a reference loop, same scripted
 * server, one run. Whole process, all threads (getrusage of the client process: undici, parsing, timestamps, the
 * token-counter thread and the tokenizer included). Differential between two batch sizes (default 160 and 480
 * requests) after a warm-up, so start-up and connection set-up cancel out.
 *
 * The reference is bench-ref/reference_loop.py: the vLLM benchmark's request loop (one aiohttp.ClientSession, line
 * iteration, strip, removeprefix("data: "), json.loads per line, a perf_counter stamp per chunk, the count from the
 * usage chunk) on Debian's python3-aiohttp (/usr/bin/python3). This client runs as the sweep runs it
 * (localExecutor: undici Agent, worker-thread token counter, the sampled tokenizer cross-check).
 *
 * Flags: --itl <ms> (default 5), --tokens <n> (200), --concurrency <c> (32), --sizes 160,480, --repeat <k> (3,
 * median shown). Target: ratio ≤ 0.45. Env BENCH_CLIENT_PROF=<file>: CPU profile of this client's steady state.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Script } from '../adapters/scripted-server.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const flag = (n: string, d: string) => (process.argv.includes(n) ? process.argv[process.argv.indexOf(n) + 1] : d);
const PROMPT = 'Explain paged attention in one paragraph.';
const TARGET = 0.45;

interface Batch {
  requests: number;
  chunks: number;
  cpu_us: number;
  failed: number;
}

/** Child mode: this client, closed loop, printing one JSON line per batch. */
async function child(url: string, concurrency: number, sizes: number[], tokens: number): Promise<void> {
  const { localExecutor } = await import('./executor.js');
  const { loneRequestBase } = await import('../adapters/client.js');
  const ex = localExecutor({ tokenizer: 'mistral', keepAliveTimeoutMs: 60_000, connectTimeoutMs: 10_000 });
  let seq = 0;
  const batch = async (n: number) => {
    let left = n;
    let chunks = 0;
    let failed = 0;
    const worker = async () => {
      while (left > 0) {
        left--;
        const s = await ex.execute({
          kind: 'vllm',
          api: 'completions',
          url,
          req: { model: 'mistral', prompt: PROMPT, maxTokens: tokens, ignoreEos: true, temperature: 0 },
          base: loneRequestBase('bench', 'vllm', 10, { concurrency, seq: seq++ }),
          timeoutMs: 600_000,
          stallTimeoutMs: 60_000,
        });
        chunks += s.chunk_ms.length;
        if (!s.ok) failed++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { chunks, failed };
  };
  await batch(concurrency);
  // BENCH_CLIENT_PROF=<file>: a V8 CPU profile of the steady state (the last batch) of this thread.
  const prof = process.env.BENCH_CLIENT_PROF;
  const session = prof ? new (await import('node:inspector')).Session() : undefined;
  const call = (m: string) => new Promise<unknown>((r) => session!.post(m, (_e, res) => r(res)));
  for (const [i, n] of sizes.entries()) {
    if (session && i === sizes.length - 1) {
      session.connect();
      await call('Profiler.enable');
      await call('Profiler.start');
    }
    const c0 = process.cpuUsage();
    const r = await batch(n);
    const c = process.cpuUsage(c0);
    process.stdout.write(JSON.stringify({ requests: n, ...r, cpu_us: c.user + c.system }) + '\n');
  }
  if (session) {
    const { profile } = (await call('Profiler.stop')) as { profile: unknown };
    (await import('node:fs')).writeFileSync(prof!, JSON.stringify(profile));
  }
  await ex.close();
}

function run(cmd: string, args: string[]): Promise<Batch[]> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) =>
      code === 0
        ? resolve(
            out
              .split('\n')
              .filter((l) => l.startsWith('{'))
              .map((l) => JSON.parse(l) as Batch),
          )
        : reject(new Error(`${cmd} exited ${code}`)),
    );
  });
}

/** µs of CPU per chunk between the smallest and the largest batch. */
function perChunk(b: Batch[]): number {
  const a = b[0];
  const z = b[b.length - 1];
  return (z.cpu_us - a.cpu_us) / (z.chunks - a.chunks);
}

async function startServer(script: Script): Promise<{ url: string; stop(): void }> {
  const srv = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(HERE, '..', 'adapters', 'scripted-server.ts'),
      JSON.stringify({ script, log: false }),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    srv.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /listening (\S+)/.exec(buf);
      if (m) resolve(m[1]);
    });
    srv.once('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
  return { url, stop: () => srv.kill('SIGTERM') };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<number> {
  const itl = Number(flag('--itl', '5'));
  const tokens = Number(flag('--tokens', '200'));
  const c = Number(flag('--concurrency', '32'));
  const sizes = flag('--sizes', '160,480').split(',').map(Number);
  const repeat = Number(flag('--repeat', '3'));
  const srv = await startServer({ ttftMs: itl, itlMs: itl, tokens, promptTokens: 10 });
  const ours: number[] = [];
  const ref: number[] = [];
  try {
    for (let i = 0; i < repeat; i++) {
      const a = await run(process.execPath, [
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        '--child',
        srv.url,
        String(c),
        sizes.join(','),
        String(tokens),
      ]);
      const b = await run('/usr/bin/python3', [
        path.join(HERE, 'bench-ref', 'reference_loop.py'),
        srv.url,
        String(c),
        ...sizes.map(String),
      ]);
      for (const x of [...a, ...b])
        if (x.failed) throw new Error(`${x.failed} of ${x.requests} requests failed: the comparison is void`);
      ours.push(perChunk(a));
      ref.push(perChunk(b));
      process.stdout.write(
        `run ${i + 1}: llmbench ${perChunk(a).toFixed(1)} µs/chunk, reference ${perChunk(b).toFixed(1)} µs/chunk, ratio ${(perChunk(a) / perChunk(b)).toFixed(3)}\n`,
      );
    }
  } finally {
    srv.stop();
  }
  const ratios = ours.map((o, i) => o / ref[i]);
  const r = median(ratios);
  process.stdout.write(
    `\nClient CPU per chunk (c = ${c}, ${tokens} tokens, ITL ${itl} ms, differential ${sizes.join('→')} requests, median of ${repeat})\n` +
      `  llmbench (undici, localExecutor)          ${median(ours).toFixed(1)} µs\n` +
      `  reference (asyncio + aiohttp, vLLM loop)  ${median(ref).toFixed(1)} µs\n` +
      `  ratio ${r.toFixed(3)} (runs: ${ratios.map((x) => x.toFixed(3)).join(', ')}); target ≤ ${TARGET}: ${r <= TARGET ? 'met' : 'NOT met'}\n`,
  );
  return r <= TARGET ? 0 : 1;
}

if (process.argv[2] === '--child') {
  const [, , , url, c, sizes, tokens] = process.argv;
  await child(url, Number(c), sizes.split(',').map(Number), Number(tokens));
} else process.exitCode = await main();
