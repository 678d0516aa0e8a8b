/**
 * The load generator (steps/sweep, steps/adapters) against each simulated dialect in scaled time: every request
 * succeeds, server and client token counts agree, and throughput measured over real sockets at time scale 10
 * per-request timings measured over real sockets at time scale 4 match the virtual-time engine (the server is
 * faithful in scaled time).
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../steps/core/log.js';
import type { Sample } from '../../steps/core/types/sample.js';
import { runVirtualPoint } from '../../steps/sim/calibrate.js';
import { startSimulator } from '../../steps/simulator/server.js';
import { runSweep } from '../../steps/sweep/sweep.js';
import { SERVER_NAMES, type ServerName } from '../../steps/servers/index.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'llmbench-sim-loadgen-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Servers that drop ignore_eos (steps/servers/tgi/adapter.ts: TGI's router ignores it): requests end naturally. */
const NO_IGNORE_EOS: readonly ServerName[] = ['tgi'];

// Every registered server: one added to steps/servers/ is driven by the load generator here without an edit.
describe.each(SERVER_NAMES)('%s simulator under the load generator', (backend) => {
  test('all requests succeed, counts agree, scaled-time latencies match the engine', async () => {
    const scale = 4;
    const sim = await startSimulator({ backend, timeScale: scale, seed: 42 });
    try {
      const outDir = path.join(tmp, backend);
      const summary = await runSweep({
        backend,
        kind: backend,
        url: sim.url,
        model: sim.model,
        outDir,
        timeScale: scale,
        simulated: true,
        concurrency: [4],
        requests: 8,
        trials: 1,
        warmup: 1,
        inputTokens: 128,
        outputTokens: 100,
        timeoutS: 60,
        seed: 42,
        log: silentLogger,
      });
      const samples = readFileSync(path.join(outDir, 'samples.ndjson'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Sample);
      const measured = samples.filter((s) => !(s as { warmup?: boolean }).warmup);
      expect(measured.length).toBeGreaterThanOrEqual(8);
      for (const s of samples) {
        expect(s.ok).toBe(true);
        // When the tokenizer cross-checked this request: equal, or one less (the EOS token has no text).
        if (s.output_tokens.client !== null)
          expect(s.output_tokens.server! - s.output_tokens.client).toBe(s.finish_reason === 'length' ? 0 : 1);
        expect(s.time_scale).toBe(scale);
      }
      const point = summary.points[0];
      expect(point.failed).toBe(0);
      if (NO_IGNORE_EOS.includes(backend)) {
        // No ignore_eos on TGI: the natural end cuts many requests short of 100 (the original's shortfall).
        expect(samples.some((s) => (s.output_tokens.server ?? 100) < 100)).toBe(true);
      } else {
        const virtual = runVirtualPoint({ backend, concurrency: 4, inputTokens: 128, outputTokens: 100 });
        expect(samples.every((s) => s.output_tokens.server === 100)).toBe(true);
        // Per-request timings are set by the server alone; throughput also includes the client's own gaps between
        // requests, which the time scale magnifies on a busy machine, so the server's fidelity is judged on these.
        expect(Math.abs((point.tpot_ms.p50 as number) / virtual.meanTpotMs - 1)).toBeLessThan(0.15);
        expect(Math.abs((point.e2e_ms.p50 as number) / virtual.meanE2eMs - 1)).toBeLessThan(0.2);
      }
    } finally {
      await sim.close();
    }
  });
});

describe('many concurrent streams', () => {
  test('600 streams at once on the default profile: all complete with exact counts, queueing beyond the KV limit', async () => {
    const { post } = await import('./client.js');
    const http = await import('node:http');
    const sim = await startSimulator({ backend: 'vllm', timeScale: 20, seed: 3 });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 700 });
    try {
      let peakWaiting = 0;
      const probe = setInterval(() => (peakWaiting = Math.max(peakWaiting, sim.engine.numWaiting)), 5);
      const rs = await Promise.all(
        Array.from({ length: 600 }, (_, i) =>
          post(
            `${sim.url}/v1/completions`,
            {
              model: 'mistral',
              prompt: `story ${i}`,
              max_tokens: 32,
              ignore_eos: true,
              stream: true,
              stream_options: { include_usage: true },
            },
            { agent, timeoutMs: 60_000 },
          ),
        ),
      );
      clearInterval(probe);
      for (const r of rs) {
        expect(r.status).toBe(200);
        expect(r.events.at(-1)).toBe('[DONE]');
        expect(JSON.parse(r.events.at(-2)!).usage.completion_tokens).toBe(32);
        expect(r.events).toHaveLength(32 + 2);
      }
      expect(peakWaiting).toBeGreaterThan(0); // max_num_seqs 256: the rest waited
      expect(sim.engine.numRunning).toBe(0);
      expect(sim.engine.kvUsage).toBe(0);
    } finally {
      agent.destroy();
      await sim.close();
    }
  });
});
