/**
 * `npm run bench:import`: exit code, wall time and peak RSS of `llmbench import` (the real CLI, in a child process
 * so its peak RSS is its own) on hostile and large inputs built from the real fixtures:
 * a 1 GiB sparse file, one JSON-lines record longer than the line cap, ~190 MB of JSON lines (a vLLM detailed
 * result repeated), and a ~115 MB detailed vLLM result. Target: every case within its bound, peak RSS ≤ 2 GiB.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../core/paths.js';
import { MAX_DOCUMENT_BYTES, MAX_LINE_BYTES } from './read.js';

const FX = path.join(REPO_ROOT, 'test', 'fixtures', 'imports', 'vllm');
const DETAILED = path.join(FX, 'serving_deepseek-ai-DeepSeek-V2.5_tp8_pp2_sharegpt_qps_04.json');
const BIN = path.join(REPO_ROOT, 'steps', 'bin', 'llmbench.js');

async function writeLines(file: string, line: string, count: number): Promise<void> {
  const out = createWriteStream(file);
  for (let i = 0; i < count; i++)
    if (!out.write(`${line}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  await new Promise<void>((r) => out.end(() => r()));
}

function run(name: string, format: string, file: string, expectCode: number, tmp: string): boolean {
  const out = path.join(tmp, `out-${name.replace(/\W+/g, '-')}`);
  const t0 = process.hrtime.bigint();
  const res = spawnSync(
    '/usr/bin/time',
    ['-v', process.execPath, BIN, 'import', '--format', format, file, '--out', out],
    {
      encoding: 'utf8',
      env: { ...process.env, LLMBENCH_LOG_LEVEL: 'error' },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(res.stderr)?.[1] ?? NaN) / 1024;
  const code = Number(/Exit status: (\d+)/.exec(res.stderr)?.[1] ?? res.status);
  const ok = code === expectCode && rss <= 2048;
  const why =
    res.stderr
      .split('\n')
      .find((l) => /^\s+- /.test(l))
      ?.trim() ?? '';
  console.log(
    `${name.padEnd(46)} exit ${code} (want ${expectCode})  wall ${wall.toFixed(1).padStart(5)} s  peak RSS ${rss.toFixed(0).padStart(5)} MiB  ${ok ? 'ok' : 'OVER TARGET'}${why ? `  ${why.slice(0, 110)}` : ''}`,
  );
  return ok;
}

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'llmbench-bench-import-'));
try {
  console.log(
    `# llmbench import on hostile/large inputs (caps: ${MAX_DOCUMENT_BYTES / 2 ** 20} MiB per file, ${MAX_LINE_BYTES / 2 ** 20} MiB per line)`,
  );
  const sparse = path.join(tmp, 'sparse.json');
  const fh = await fs.open(sparse, 'w');
  await fh.truncate(2 ** 30);
  await fh.close();
  const longLine = path.join(tmp, 'long-line.jsonl');
  await fs.writeFile(longLine, '{"duration": 1}\n');
  await fs.appendFile(longLine, `{"x":"${'y'.repeat(MAX_LINE_BYTES + 1024)}"}\n`);
  const record = JSON.stringify(JSON.parse(await fs.readFile(DETAILED, 'utf8')));
  const many = path.join(tmp, 'many-lines.jsonl');
  await writeLines(many, record, Math.floor((190 * 2 ** 20) / record.length));
  const big = path.join(tmp, 'big-detailed.json');
  const d = JSON.parse(record) as Record<string, unknown[]>;
  for (const k of ['input_lens', 'output_lens', 'ttfts', 'itls', 'generated_texts', 'errors'])
    d[k] = Array.from({ length: 110 }, () => d[k]).flat();
  await fs.writeFile(big, JSON.stringify(d));
  const results = [
    run('1 GiB sparse file (.json)', 'aiperf', sparse, 2, tmp),
    run(`a second JSON line over the ${MAX_LINE_BYTES / 2 ** 20} MiB line cap`, 'vllm', longLine, 2, tmp),
    run(`${((await fs.stat(many)).size / 2 ** 20).toFixed(0)} MiB of JSON lines (vLLM detailed)`, 'vllm', many, 0, tmp),
    run(`${((await fs.stat(big)).size / 2 ** 20).toFixed(0)} MiB detailed vLLM result`, 'vllm', big, 0, tmp),
  ];
  console.log(results.every(Boolean) ? 'all within target' : 'SOME OVER TARGET');
} finally {
  await fs.rm(tmp, { recursive: true, force: true });
}
