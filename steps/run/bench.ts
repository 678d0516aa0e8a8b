/**
 * `npm run bench:start`: times what `npm start` runs (`llmbench run`, the embedded default) in a fresh work
 * directory and prints wall time, CPU time of every process (the run, its worker threads, the simulators), the
 * stages, each backend's sweep and the load average the figures were taken at — a shared machine's wall time
 * means little without it. `-- --sequential` times the one-by-one mode; `-- --runs N` repeats.
 * Target: the whole chain in ≤ 90 s on 2 cores.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../core/paths.js';

/** CPU seconds of the waited-for children of this process (Linux: /proc/self/stat cutime + cstime). */
function childrenCpuS(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command: index 13/14 are cutime/cstime (fields 16/17 of proc(5)), in clock ticks.
    return (Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return null;
  }
}

interface Line {
  ts?: string;
  msg?: string;
  stage?: string;
  event?: string;
  backend?: string;
  phase?: string;
}

async function once(sequential: boolean) {
  const work = mkdtempSync(path.join(os.tmpdir(), 'llmbench-bench-start-'));
  const load0 = os.loadavg()[0];
  const cpu0 = childrenCpuS();
  const t0 = performance.now();
  const args = [path.join(REPO_ROOT, 'steps', 'bin', 'llmbench.js'), 'run', '--workdir', path.join(work, 'w')];
  if (sequential) args.push('--sequential');
  const child = spawn(process.execPath, args, {
    env: { ...process.env, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout.resume();
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const wall = (performance.now() - t0) / 1000;
  const cpu1 = childrenCpuS();
  const lines: Line[] = err
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
  const start = Date.parse(lines[0]?.ts ?? '');
  const at = (l: Line | undefined) => (l?.ts ? ((Date.parse(l.ts) - start) / 1000).toFixed(1) : '–');
  const stages = lines.filter((l) => l.stage).map((l) => l.msg);
  const spans = [...new Set(lines.filter((l) => l.event === 'progress' && l.backend).map((l) => l.backend))].map(
    (b) => {
      const ev = lines.filter((l) => l.event === 'progress' && l.backend === b);
      return `${b} ${at(ev[0])}–${at(ev.at(-1))} s`;
    },
  );
  const verdict = lines.find((l) => l.msg?.startsWith('verdict:'))?.msg ?? `exit ${code}`;
  // The summary's headline says why (which comparison regressed, what made it inconclusive).
  let why = '';
  try {
    why = readFileSync(path.join(work, 'w', 'SUMMARY.md'), 'utf8').split('\n')[2] ?? '';
  } catch {
    /* no summary: the exit code says what happened */
  }
  rmSync(work, { recursive: true, force: true });
  return {
    mode: sequential ? 'sequential' : 'parallel',
    wall,
    cpu: cpu0 != null && cpu1 != null ? cpu1 - cpu0 : null,
    load: [load0, os.loadavg()[0]],
    stages,
    spans,
    verdict,
    why,
    code,
  };
}

const argv = process.argv.slice(2);
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 1;
const sequential = argv.includes('--sequential');
console.log(`npm start (llmbench run, embedded default), ${os.cpus().length} cores, ${runs} run(s)`);
console.log(
  '| mode | wall s | CPU s (all processes) | load avg (start → end) | sweep spans (s from start) | verdict |',
);
console.log('|---|---:|---:|---|---|---|');
for (let i = 0; i < runs; i++) {
  const r = await once(sequential);
  console.log(
    `| ${r.mode} | ${r.wall.toFixed(1)} | ${r.cpu?.toFixed(1) ?? '–'} | ${r.load.map((x) => x.toFixed(1)).join(' → ')} | ${r.spans.join('; ')} | ${r.verdict} |`,
  );
  for (const s of [...r.stages, r.why].filter(Boolean)) console.log(`    ${s}`);
}
console.log('target: ≤ 90 s wall on 2 cores (the sweeps alone are timer-bound at ~55 s; the rest is CPU)');
