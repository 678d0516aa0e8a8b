/**
 * The load generator (steps/sweep, steps/adapters) against each simulated dialect in scaled time: every request
 * succeeds, server and client token counts agree, and throughput measured over real sockets at time scale 10
 * per-request timings measured over real sockets at time scale 10 match the virtual-time engine (the server is
 * faithful in scaled time).
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../steps/core/log.js';
import type { Sample } from '../../steps/core/types/sample.js';
import { runVirtualPoint } from '../../steps/sim/calibrate.js';
import { startSimulator } from '../../steps/sim/server.js';
import { runSweep } from '../../steps/sweep/sweep.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'llmbench-sim-loadgen-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.each(['vllm', 'triton', 'tgi'] as const)('%s simulator under the load generator', (backend) => {
  test('all requests succeed, counts agree, scaled-time latencies match the engine', async () => {
    const scale = 10;
    const sim = await startSimulator({ backend, timeScale: scale, seed: 42 });
    try {
      const outDir = path.join(tmp, backend);
      const summary = await runSweep({
        backend, kind: backend, url: sim.url, model: sim.model, outDir, timeScale: scale, simulated: true,
        concurrency: [4], requests: 8, trials: 1, warmup: 1, inputTokens: 128, outputTokens: 100, timeoutS: 60, seed: 42, log: silentLogger,
      });
      const samples = readFileSync(path.join(outDir, 'samples.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Sample);
      const measured = samples.filter((s) => !(s as { warmup?: boolean }).warmup);
      expect(measured.length).toBeGreaterThanOrEqual(8);
      for (const s of samples) {
        expect(s.ok).toBe(true);
        expect(s.output_tokens.server).toBe(s.output_tokens.client);
        expect(s.time_scale).toBe(scale);
      }
      const point = summary.points[0];
      expect(point.failed).toBe(0);
      if (backend === 'tgi') {
        // No ignore_eos on TGI: the natural end cuts many requests short of 100 (the original's shortfall).
        expect(samples.some((s) => (s.output_tokens.server ?? 100) < 100)).toBe(true);
      } else {
        const virtual = runVirtualPoint({ backend, concurrency: 4, inputTokens: 128, outputTokens: 100 });
        expect(samples.every((s) => s.output_tokens.server === 100)).toBe(true);
        // Per-request timings are set by the server alone; throughput also includes the client's own gaps between
        // requests, which the time scale magnifies 10x on a busy machine, so the server's fidelity is judged on these.
        expect(Math.abs((point.tpot_ms.p50 as number) / virtual.meanTpotMs - 1)).toBeLessThan(0.1);
        expect(Math.abs((point.e2e_ms.p50 as number) / virtual.meanE2eMs - 1)).toBeLessThan(0.15);
      }
    } finally {
      await sim.close();
    }
  });
});
