import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { promises as fs, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startScriptedServer, type Script, type ScriptedServer } from '../../steps/adapters/scripted-server.js';
import { runAbSweep, runSweep, type SweepOptions } from '../../steps/sweep/sweep.js';
import { silentLogger } from '../../steps/core/log.js';
import { validate } from '../../steps/core/schemas.js';
import type { Sample } from '../../steps/core/types/sample.js';
import { main } from '../../steps/cli.js';
import { REPO_ROOT } from '../../steps/core/paths.js';
import { specValidator } from './specs.js';
import { SERVER_NAMES } from '../../steps/servers/index.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'llmbench-sweep-'));
const readSamples = async (dir: string): Promise<Sample[]> =>
  (await fs.readFile(path.join(dir, 'samples.ndjson'), 'utf8'))
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Sample];
      } catch {
        return [];
      }
    });

function base(srv: ScriptedServer, over: Partial<SweepOptions> = {}): SweepOptions {
  return {
    backend: 'vllm',
    kind: 'vllm',
    url: srv.url,
    model: 'mistral',
    outDir: tmp(),
    concurrency: [1, 3],
    requests: 6,
    trials: 2,
    warmup: 1,
    inputTokens: 16,
    outputTokens: 6,
    prompts: 8,
    timeoutS: 5,
    stallTimeoutS: 2,
    seed: 7,
    minSamples: 10,
    log: silentLogger,
    ...over,
  };
}

describe('sweep over each protocol', () => {
  let srv: ScriptedServer;
  beforeAll(async () => {
    srv = await startScriptedServer({ script: { ttftMs: 5, itlMs: 2, tokens: 6 }, validate: specValidator() });
  });
  afterAll(() => srv.close());

  // Each registered server over its default API (the scripted server speaks every default wire format).
  for (const kind of SERVER_NAMES) {
    it(`${kind}: every request is a sample, warmup excluded, summary schema-valid`, async () => {
      const o = base(srv, { backend: kind, kind });
      const s = await runSweep(o);
      expect(validate('sweep-summary', s)).toEqual([]);
      const lines = await readSamples(o.outDir);
      expect(lines).toHaveLength(2 * 2 * (6 + 1));
      for (const l of lines) expect(validate('sample', l)).toEqual([]);
      expect(lines.filter((l) => l.warmup)).toHaveLength(4);
      expect(s.points.map((p) => [p.concurrency, p.completed, p.failed])).toEqual([
        [1, 12, 0],
        [3, 12, 0],
      ]);
      expect(s.points.every((p) => p.trials?.length === 2)).toBe(true);
      // 12 ≥ min_samples 10; the only thing that may invalidate a point here is a contended test machine.
      for (const p of s.points)
        for (const r of p.invalid_reasons ?? []) expect(typeof r !== 'string' && r.code).toBe('client-bottleneck');
      // The server's count is primary; the client tokenizer cross-checks a sample (1 request in 16 by seq).
      expect(s.points[0].tokens).toMatchObject({ server_counted: 12, mismatched: 0, shortfall: 0 });
      expect(s.points[0].tokens!.client_counted).toBeLessThanOrEqual(12);
      expect(s.workload?.fingerprint).toMatch(/^sha256:/);
      expect(s.plan).toMatchObject({ mode: 'concurrency', trials: 2, warmup: 1, requests: 6, time_scale: 1 });
      expect(srv.problems).toEqual([]);
    });
  }

  it('the same prompts in the same order for every backend', async () => {
    const a = base(srv, { backend: 'vllm', kind: 'vllm', concurrency: [1] });
    const b = base(srv, { backend: 'triton', kind: 'triton', concurrency: [1] });
    await runSweep(a);
    await runSweep(b);
    const order = (ls: Sample[]) => ls.sort((x, y) => x.trial - y.trial || x.seq - y.seq).map((l) => l.prompt_index);
    expect(order(await readSamples(a.outDir))).toEqual(order(await readSamples(b.outDir)));
    expect((await runSweep({ ...a, outDir: tmp() })).workload?.fingerprint).toBe(
      (await runSweep({ ...b, outDir: tmp() })).workload?.fingerprint,
    );
  });

  it('refuses to overwrite an earlier sweep, and refuses to resume a different plan', async () => {
    const o = base(srv, { concurrency: [1], requests: 2, trials: 1 });
    await runSweep(o);
    const before = await fs.readFile(path.join(o.outDir, 'samples.ndjson'), 'utf8');
    await expect(runSweep(o)).rejects.toMatchObject({ code: 'out-not-empty' });
    await expect(runSweep({ ...o, resume: true, outputTokens: 7 })).rejects.toMatchObject({ code: 'resume-mismatch' });
    expect(await fs.readFile(path.join(o.outDir, 'samples.ndjson'), 'utf8')).toBe(before);
  });

  it('time-scaled target: raw timestamps stored, metrics reported in simulated time', async () => {
    const o = base(srv, { concurrency: [1], requests: 5, trials: 1, timeScale: 10 });
    const s = await runSweep(o);
    const lines = await readSamples(o.outDir);
    expect(lines.every((l) => l.time_scale === 10)).toBe(true);
    const rawTtft = lines
      .filter((l) => !l.warmup)
      .map((l) => l.chunk_ms[0] - l.sent_ms)
      .sort((x, y) => x - y);
    expect(s.points[0].ttft_ms.p50).toBeCloseTo(rawTtft[2] * 10, 6);
    expect(s.plan?.time_scale).toBe(10);
    expect(s.points[0].time_scale).toBe(10);
  });

  it('scrapes Prometheus metrics during the sweep into server-metrics.ndjson with normalized names', async () => {
    const o = base(srv, { concurrency: [4], requests: 12, trials: 1, scrapeMetrics: true, scrapeIntervalS: 0.01 });
    const s = await runSweep(o);
    const lines = (await fs.readFile(path.join(o.outDir, 'server-metrics.ndjson'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(0);
    expect(Object.keys(lines[0].values).sort()).toEqual(['kv_cache_usage', 'running', 'waiting']);
    expect(s.server_metrics).toMatchObject({
      file: 'server-metrics.ndjson',
      series: expect.arrayContaining(['running']),
    });
    expect(s.points[0].server?.running?.max).toBeGreaterThanOrEqual(0);
  });
});

describe('faults mid-sweep', () => {
  it('every fault is a failed sample with its category and the sweep goes on', async () => {
    const faults: Script['fault'][] = ['http_500', 'error_event', 'truncate', 'malformed', 'stall', 'http_429'];
    const srv = await startScriptedServer({
      script: (n) => ({
        ttftMs: 2,
        itlMs: 1,
        tokens: 6,
        fault: n >= 1 && n % 3 === 1 ? faults[Math.floor(n / 3) % faults.length] : 'none',
        faultAfter: 2,
      }),
    });
    try {
      const o = base(srv, {
        kind: 'tgi',
        backend: 'tgi',
        concurrency: [2],
        requests: 18,
        trials: 1,
        warmup: 0,
        stallTimeoutS: 0.3,
      });
      const s = await runSweep(o);
      const p = s.points[0];
      expect(p.completed + p.failed).toBe(18);
      expect(p.failed).toBe(6);
      expect(p.errors_by_category).toEqual({
        http_5xx: 1,
        stream_error_event: 1,
        stream_truncated: 1,
        malformed_chunk: 1,
        stalled: 1,
        http_4xx: 1,
      });
      expect(p.error_rate).toBeCloseTo(6 / 18, 6);
      // Latency statistics rest on the successful requests only.
      expect(p.ttft_ms.n).toBe(12);
    } finally {
      await srv.close();
    }
  });

  it('an unreachable server: every request is a connect_refused sample, the CLI exits 3', async () => {
    const srv = await startScriptedServer({ script: { ttftMs: 0, itlMs: 0, tokens: 1 } });
    const url = srv.url;
    await srv.close();
    const out = tmp();
    const err: string[] = [];
    const code = await main({
      argv: [
        'sweep',
        '--backend',
        'vllm',
        '--url',
        url,
        '--out',
        out,
        '--concurrency',
        '2',
        '--requests',
        '3',
        '--trials',
        '1',
        '--warmup',
        '0',
        '--progress',
        'none',
      ],
      stdout: () => {},
      stderr: (s) => err.push(s),
    });
    expect(code).toBe(3);
    expect(err.join('')).toMatch(/no-successful-requests/);
    const lines = await readSamples(out);
    expect(lines.map((l) => l.error?.category)).toEqual(['connect_refused', 'connect_refused', 'connect_refused']);
  });
});

describe('other load modes and the self-check', () => {
  let srv: ScriptedServer;
  beforeAll(async () => {
    srv = await startScriptedServer({ script: { ttftMs: 5, itlMs: 2, tokens: 4 } });
  });
  afterAll(() => srv.close());

  it('duration mode: issues requests until the measurement time is up, then waits for them', async () => {
    const o = base(srv, { concurrency: [2], requests: null, durationS: 0.3, trials: 1, warmup: 1, outputTokens: 4 });
    const s = await runSweep(o);
    const p = s.points[0];
    expect(p.completed).toBeGreaterThan(4);
    const measured = (await readSamples(o.outDir)).filter((l) => !l.warmup);
    const first = Math.min(...measured.map((l) => l.intended_send_ms));
    // Nothing is sent after the window closes (allow one scheduling slip).
    expect(Math.max(...measured.map((l) => l.sent_ms)) - first).toBeLessThan(300 + 50);
    expect(s.plan).toMatchObject({ duration_s: 0.3, requests: null });
  });

  it('max-throughput: every request due at once, in-flight capped; the wait shows in queue_ms', async () => {
    const o = base(srv, {
      mode: 'max-throughput',
      concurrency: [3],
      requests: 9,
      trials: 1,
      warmup: 0,
      outputTokens: 4,
    });
    const s = await runSweep(o);
    const p = s.points[0];
    expect([p.concurrency, p.completed]).toEqual([3, 9]);
    const ls = await readSamples(o.outDir);
    expect(new Set(ls.map((l) => l.intended_send_ms)).size).toBe(1);
    expect(p.queue_ms!.max!).toBeGreaterThan(p.e2e_ms.p50!); // the last requests waited for a free slot
    expect(p.ttft_from_intended_ms!.p99!).toBeGreaterThan(p.ttft_ms.p99!);
  });

  it('self-check: a point whose client event loop was blocked is marked invalid (client bottleneck)', async () => {
    // Block this process's event loop for 40 ms every 60 ms while the point runs.
    const hog = setInterval(() => {
      const until = performance.now() + 40;
      while (performance.now() < until);
    }, 60);
    try {
      const o = base(srv, { concurrency: [2], requests: 30, trials: 1, warmup: 0, outputTokens: 4 });
      const s = await runSweep(o);
      const p = s.points[0];
      expect(p.valid).toBe(false);
      expect(p.invalid_reasons?.map((r) => (typeof r === 'string' ? r : r.message)).join(' ')).toMatch(
        /client bottleneck: event-loop delay p90/,
      );
      expect(p.load_generator?.event_loop_delay_p99_ms).toBeGreaterThan(20);
      expect(s.load_generator?.client_bottleneck).toBe(true);
    } finally {
      clearInterval(hog);
    }
  });

  it('sweep --config: load and workload settings and the backend come from the bench config, flags override', async () => {
    const dir = tmp();
    const cfgFile = path.join(dir, 'bench.yaml');
    await fs.writeFile(
      cfgFile,
      `version: 1\nbackends:\n  - kind: triton\n    id: triton-main\n    endpoint: ${srv.url}\nload:\n  concurrency: [2]\n  requests: 3\n  trials: 1\n  warmup: 0\nworkload:\n  input_tokens: 12\n  output_tokens: 4\n  prompts: 3\n`,
    );
    const out = path.join(dir, 'out');
    const code = await main({
      argv: [
        'sweep',
        '--config',
        cfgFile,
        '--backend',
        'triton-main',
        '--out',
        out,
        '--trials',
        '2',
        '--progress',
        'none',
      ],
      stdout: () => {},
      stderr: () => {},
    });
    expect(code).toBe(0);
    const s = JSON.parse(await fs.readFile(path.join(out, 'summary.json'), 'utf8'));
    expect(s).toMatchObject({
      backend: 'triton-main',
      adapter: 'triton',
      plan: { concurrency: [2], requests: 3, trials: 2 },
      workload: { input_tokens: 12, output_tokens: 4, prompts: 3 },
    });
  });
});

describe('rate mode', () => {
  it('open loop: intended send times follow the seeded arrivals, same seed → same schedule', async () => {
    const srv = await startScriptedServer({ script: { ttftMs: 2, itlMs: 1, tokens: 3 } });
    try {
      const run = async (arrival: 'poisson' | 'gamma' | 'constant') => {
        const o = base(srv, {
          mode: 'rate',
          rate: [200],
          concurrency: undefined,
          arrival,
          burstiness: 0.5,
          requests: 20,
          trials: 1,
          warmup: 0,
          outputTokens: 3,
        });
        const s = await runSweep(o);
        const ls = (await readSamples(o.outDir)).sort((a, b) => a.seq - b.seq);
        return { s, gaps: ls.slice(1).map((l, i) => l.intended_send_ms - ls[i].intended_send_ms) };
      };
      const a = await run('poisson');
      const b = await run('poisson');
      expect(a.gaps.map((g) => g.toFixed(3))).toEqual(b.gaps.map((g) => g.toFixed(3)));
      expect(a.s.points[0]).toMatchObject({ concurrency: null, rate: 200, completed: 20 });
      expect(a.s.plan).toMatchObject({ mode: 'rate', arrival: 'poisson', rate: [200] });
      const c = await run('constant');
      for (const g of c.gaps) expect(g).toBeCloseTo(5, 6);
      expect(a.s.points[0].load_generator?.send_lag_p99_ms).not.toBeNull();
    } finally {
      await srv.close();
    }
  });
});

describe('A/B mode', () => {
  it('interleaves trials A B A B on the same plan and writes one summary per arm', async () => {
    const a = await startScriptedServer({ script: { ttftMs: 5, itlMs: 1, tokens: 4 } });
    const b = await startScriptedServer({ script: { ttftMs: 40, itlMs: 1, tokens: 4 } });
    try {
      const out = tmp();
      const o = base(a, {
        concurrency: [2],
        requests: 4,
        trials: 3,
        warmup: 0,
        outputTokens: 4,
        outDir: path.join(out, 'a'),
      });
      const [sa, sb] = await runAbSweep({
        ...o,
        ab: { backend: 'vllm-b', kind: 'vllm', url: b.url, model: 'mistral', outDir: path.join(out, 'b') },
      });
      const la = await readSamples(path.join(out, 'a'));
      const lb = await readSamples(path.join(out, 'b'));
      expect(la.every((l) => l.arm === 'a') && lb.every((l) => l.arm === 'b')).toBe(true);
      // Trial k of A runs entirely before trial k of B, which runs before trial k+1 of A.
      const span = (ls: Sample[], t: number) => {
        const x = ls.filter((l) => l.trial === t);
        return [Math.min(...x.map((l) => l.sent_ms)), Math.max(...x.map((l) => l.end_ms ?? 0))];
      };
      const order = [0, 1, 2].flatMap((t) => [span(la, t), span(lb, t)]);
      for (let i = 1; i < order.length; i++) expect(order[i][0]).toBeGreaterThanOrEqual(order[i - 1][1]);
      expect(sa.plan?.ab).toMatchObject({ arm: 'a', peer_backend: 'vllm-b' });
      expect(sb.plan?.ab).toMatchObject({ arm: 'b', peer_backend: 'vllm' });
      expect(sa.workload?.fingerprint).toBe(sb.workload?.fingerprint);
      expect(sb.points[0].ttft_ms.p50! - sa.points[0].ttft_ms.p50!).toBeGreaterThan(15);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('resume after a kill', () => {
  it('a sweep killed mid-point keeps every finished request; --resume finishes it with none lost or duplicated', async () => {
    const srv = await startScriptedServer({ script: { ttftMs: 20, itlMs: 10, tokens: 5 } });
    const out = tmp();
    const args = [
      'steps/bin/llmbench.js',
      'sweep',
      '--backend',
      'tgi',
      '--url',
      srv.url,
      '--out',
      out,
      '--concurrency',
      '1,2',
      '--requests',
      '8',
      '--trials',
      '2',
      '--warmup',
      '1',
      '--output-tokens',
      '5',
      '--input-tokens',
      '8',
      '--prompts',
      '4',
      '--progress',
      'none',
    ];
    try {
      const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: 'ignore' });
      const file = path.join(out, 'samples.ndjson');
      // Wait until the child is in the middle of the sweep, then kill it without warning.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const n = await fs.readFile(file, 'utf8').then(
          (t) => t.split('\n').filter(Boolean).length,
          () => 0,
        );
        if (n >= 12) break;
        if (Date.now() > deadline) throw new Error('child sweep made no progress');
        await new Promise((r) => setTimeout(r, 20));
      }
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const before = await fs.readFile(file, 'utf8');
      // A kill mid-write can leave a torn last line: simulate one.
      await fs.appendFile(file, '{"v":1,"run_id":"torn');
      const beforeKeys = (await readSamples(out)).map((l) => `${l.concurrency}|${l.trial}|${l.seq}`);
      expect(beforeKeys.length).toBeGreaterThanOrEqual(12);
      expect(beforeKeys.length).toBeLessThan(36);

      const code = await main({
        argv: [...args.slice(1), '--resume'],
        stdout: () => {},
        stderr: () => {},
        cwd: REPO_ROOT,
      });
      expect(code).toBe(0);
      const after = await fs.readFile(file, 'utf8');
      expect(after.startsWith(before)).toBe(true); // appended only: nothing written before the kill is lost
      const all = await readSamples(out);
      const keys = all.map((l) => `${l.concurrency}|${l.trial}|${l.seq}`);
      expect(new Set(keys).size).toBe(keys.length); // no duplicates
      expect(keys.length).toBe(2 * 2 * 9); // every planned request exactly once
      for (const k of beforeKeys) expect(keys).toContain(k);
      expect(new Set(all.map((l) => l.run_id)).size).toBe(2);
      const summary = JSON.parse(await fs.readFile(path.join(out, 'summary.json'), 'utf8'));
      expect(validate('sweep-summary', summary)).toEqual([]);
      expect(summary.plan.resumed).toBe(1);
      // Regression: commander camel-cases --output-tokens/--input-tokens; they were silently ignored once.
      expect(summary.workload).toMatchObject({ output_tokens: 5, input_tokens: 8, prompts: 4 });
      expect(summary.points.map((p: { completed: number }) => p.completed)).toEqual([16, 16]);
    } finally {
      await srv.close();
    }
  });
});

describe('sweep CLI A/B', () => {
  it('--ab-url measures baseline and candidate in interleaved trials into <out>/a and <out>/b', async () => {
    const a = await startScriptedServer({ script: { ttftMs: 2, itlMs: 1, tokens: 3 } });
    const b = await startScriptedServer({ script: { ttftMs: 2, itlMs: 1, tokens: 3 } });
    try {
      const out = tmp();
      const printed: string[] = [];
      const code = await main({
        argv: [
          'sweep',
          '--backend',
          'tgi',
          '--url',
          a.url,
          '--ab-url',
          b.url,
          '--out',
          out,
          '--concurrency',
          '2',
          '--requests',
          '4',
          '--trials',
          '2',
          '--warmup',
          '0',
          '--output-tokens',
          '3',
          '--progress',
          'none',
        ],
        stdout: (s) => printed.push(s),
        stderr: () => {},
      });
      expect(code).toBe(0);
      const sa = JSON.parse(await fs.readFile(path.join(out, 'a', 'summary.json'), 'utf8'));
      const sb = JSON.parse(await fs.readFile(path.join(out, 'b', 'summary.json'), 'utf8'));
      expect([sa.backend, sb.backend]).toEqual(['tgi', 'tgi-b']);
      expect([sa.points[0].completed, sb.points[0].completed]).toEqual([8, 8]);
      expect(a.requests.length).toBe(8);
      expect(b.requests.length).toBe(8);
      expect(printed.join('')).toContain('tgi-b');
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('sweep CLI validation', () => {
  it('reports every bad flag at once and exits 2 before doing anything', async () => {
    const err: string[] = [];
    const out = path.join(tmp(), 'never');
    const code = await main({
      argv: [
        'sweep',
        '--backend',
        'nope',
        '--url',
        'ftp://x',
        '--out',
        out,
        '--concurrency',
        '0,2',
        '--requests',
        '5',
        '--duration',
        '3',
        '--time-scale',
        '0',
        '--api',
        'chat',
        '--arrival',
        'weibull',
        '--client-threads',
        '0',
      ],
      stdout: () => {},
      stderr: (s) => err.push(s),
    });
    expect(code).toBe(2);
    const text = err.join('');
    for (const p of [
      '--backend',
      '--url',
      '--concurrency/0',
      '--duration',
      '--time-scale',
      '--arrival',
      '--client-threads',
    ])
      expect(text).toContain(p);
    await expect(fs.access(out)).rejects.toThrow();
  });
});

describe('sharded sweep (--client-threads)', () => {
  let srv: ScriptedServer;
  beforeAll(async () => {
    srv = await startScriptedServer({ script: { ttftMs: 20, itlMs: 5, tokens: 6 }, validate: specValidator() });
  });
  afterAll(() => srv.close());

  it("two client threads write the same samples as one, on the sweep thread's clock", async () => {
    const one = base(srv, { backend: 'tgi', kind: 'tgi' });
    const two = base(srv, { backend: 'tgi', kind: 'tgi', clientThreads: 2 });
    const t0 = performance.timeOrigin + performance.now();
    const [s1, s2] = [await runSweep(one), await runSweep(two)];
    const t1 = performance.timeOrigin + performance.now();
    expect(validate('sweep-summary', s2)).toEqual([]);
    const key = (l: Sample) => `${l.concurrency}|${l.trial}|${l.seq}|${l.prompt_index}|${l.warmup}`;
    const a = (await readSamples(one.outDir)).map(key).sort();
    const lines = await readSamples(two.outDir);
    expect(lines.map(key).sort()).toEqual(a);
    expect(s2.points.map((p) => [p.concurrency, p.completed, p.failed])).toEqual(
      s1.points.map((p) => [p.concurrency, p.completed, p.failed]),
    );
    for (const l of lines) {
      expect(validate('sample', l)).toEqual([]);
      expect(l.ok).toBe(true);
      // Stamps taken on the client threads, moved to this thread's clock: inside the sweep's wall window, and
      // never before the scheduler's intended send (a clock error would show here).
      expect(l.sent_ms).toBeGreaterThanOrEqual(t0);
      expect(l.end_ms!).toBeLessThanOrEqual(t1);
      expect(l.sent_ms - l.intended_send_ms).toBeGreaterThanOrEqual(-0.5);
      expect(l.chunk_ms[0] - l.sent_ms).toBeGreaterThanOrEqual(19); // the script's 20 ms to the first token
      for (let i = 1; i < l.chunk_ms.length; i++) expect(l.chunk_ms[i]).toBeGreaterThanOrEqual(l.chunk_ms[i - 1]);
    }
    expect(s2.points.every((p) => typeof p.load_generator?.event_loop_delay_p99_ms === 'number')).toBe(true);
    expect([s1.load_generator?.client_threads, s2.load_generator?.client_threads]).toEqual([1, 2]);
  });

  it('a stop cancels what the client threads have in flight, and the sweep still returns', async () => {
    const slow = await startScriptedServer({ script: { ttftMs: 10, itlMs: 100, tokens: 50 } });
    const ac = new AbortController();
    try {
      const o = base(slow, {
        concurrency: [4],
        requests: 8,
        trials: 1,
        warmup: 0,
        outputTokens: 50,
        timeoutS: 30,
        clientThreads: 2,
        signal: ac.signal,
      });
      // Stop once four requests are streaming (the threads take a moment to start).
      const poll = setInterval(() => {
        if (slow.requests.length >= 4) {
          clearInterval(poll);
          setTimeout(() => ac.abort(), 300);
        }
      }, 10);
      const done = runSweep(o);
      let stopped = 0;
      ac.signal.addEventListener('abort', () => (stopped = performance.now()));
      await done;
      clearInterval(poll);
      expect(stopped).toBeGreaterThan(0);
      expect(performance.now() - stopped).toBeLessThan(2000); // well before the 5 s streams would end
      const lines = await readSamples(o.outDir);
      expect(lines.length).toBeGreaterThanOrEqual(4);
      expect(lines.some((l) => l.error?.category === 'cancelled' && l.chunk_ms.length > 0)).toBe(true);
    } finally {
      await slow.close();
    }
  });
});
