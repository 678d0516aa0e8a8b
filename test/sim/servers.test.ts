/**
 * Every registered server (steps/servers/<name>/), every API it speaks, end to end against its simulator dialect:
 * the client's adapter and the simulated server agree on the wire, on token counts and on where metrics are.
 * A server added to the registry is covered here without editing this file.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SERVERS, SERVER_NAMES, type ServerName } from '../../steps/servers/index.js';
import { NORMALIZED_METRICS } from '../../steps/servers/types.js';
import { startSimulator, type RunningSim } from '../../steps/simulator/server.js';
import { probeOneToken } from '../../steps/servers/adapters.js';
import { runSweep } from '../../steps/sweep/sweep.js';
import { silentLogger } from '../../steps/core/log.js';
import { validate } from '../../steps/core/schemas.js';
import { get, post } from './client.js';

const cases = SERVER_NAMES.flatMap((n) => SERVERS[n].adapter.apis.map((api) => [n, api] as [ServerName, string]));

describe.each(SERVER_NAMES)('%s: registry endpoints against the simulator', (name) => {
  let sim: RunningSim;
  beforeAll(async () => {
    sim = await startSimulator({ backend: name, timeScale: 50, seed: 3 });
  });
  afterAll(() => sim.close());

  test('ready, live, model discovery, version and metrics answer where the registry says', async () => {
    const s = SERVERS[name];
    expect((await get(sim.url + s.endpoints.ready)).status).toBe(200);
    expect((await get(sim.url + s.endpoints.live)).status).toBe(200);
    if (s.endpoints.modelReady) expect((await get(sim.url + s.endpoints.modelReady(sim.model))).status).toBe(200);
    const { method, path: modelsPath } = s.endpoints.models;
    const models = method === 'GET' ? await get(sim.url + modelsPath) : await post(sim.url + modelsPath, {});
    expect(models.status).toBe(200);
    const v = JSON.parse((await get(sim.url + s.endpoints.version.path)).body) as Record<string, unknown>;
    expect(v[s.endpoints.version.field]).toBe(s.version);
    const met = await get(sim.metricsUrl);
    expect(met.status).toBe(200);
    // Every normalized metric the mapping claims is really exported under one of its names.
    const exported = new Set(met.body.split('\n').map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)?.[0]));
    for (const [norm, names] of Object.entries(s.metrics.names))
      expect({ norm, exported: names?.some((n) => exported.has(n)) }).toEqual({ norm, exported: true });
  });

  test('a slow-starting server is not ready, then is', async () => {
    const slow = await startSimulator({ backend: name, timeScale: 50, faults: { slow_start_s: 5 } });
    try {
      expect((await get(slow.url + SERVERS[name].endpoints.ready)).status).not.toBe(200);
    } finally {
      await slow.close();
    }
  });
});

describe.each(cases)('%s %s: one request through the real adapter', (name, api) => {
  let sim: RunningSim;
  beforeAll(async () => {
    // 10x, not more: the sweep's timeouts are in simulated time, and a loaded test machine's jitter scales with it.
    sim = await startSimulator({ backend: name, timeScale: 10, seed: 5 });
  });
  afterAll(() => sim.close());

  test('ok, and the server and client token counts agree', async () => {
    const s = await probeOneToken({ kind: name, url: sim.url, model: sim.model, api, timeoutMs: 10_000 });
    expect(s.error ?? null).toBeNull();
    expect(s.ok).toBe(true);
    expect(s.output_tokens?.server ?? s.output_tokens?.client).toBe(1);
    expect(s.chunk_ms.length).toBeGreaterThan(0);
  });

  test('a small sweep: schema-valid summary, tokens agree, scraped metrics normalized, the rest unavailable', async () => {
    const outDir = mkdtempSync(path.join(os.tmpdir(), `llmbench-srv-${name}-`));
    const sum = await runSweep({
      backend: name,
      kind: name,
      api,
      url: sim.url,
      model: sim.model,
      outDir,
      timeScale: 10,
      scrapeMetrics: sim.metricsUrl,
      scrapeIntervalS: 0.02,
      concurrency: [2],
      requests: 4,
      trials: 1,
      warmup: 1,
      inputTokens: 32,
      outputTokens: 12,
      prompts: 4,
      timeoutS: 600,
      stallTimeoutS: 300,
      seed: 7,
      minSamples: 1,
      log: silentLogger,
    });
    expect(validate('sweep-summary', sum)).toEqual([]);
    const p = sum.points[0];
    expect({ completed: p.completed, failed: p.failed, errors: p.errors_by_category }).toMatchObject({
      completed: 4,
      failed: 0,
    });
    expect(p.tokens).toMatchObject({ mismatched: 0 });
    const mapped = Object.keys(SERVERS[name].metrics.names);
    expect((sum.server_metrics?.series ?? []).every((x) => mapped.includes(x))).toBe(true);
    expect([...(sum.server_metrics?.series ?? []), ...(sum.server_metrics?.unavailable ?? [])].sort()).toEqual(
      [...NORMALIZED_METRICS].sort(),
    );
  });
});
