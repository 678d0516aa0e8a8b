/** Faults on demand, in each server's own error format; all durations in simulated seconds (time scale 20). */
import { describe, expect, test } from '@jest/globals';
import http from 'node:http';
import { startSimulator, validateSimOptions } from '../../steps/simulator/server.js';
import { InvalidInputError } from '../../steps/core/errors.js';
import { get, post } from './client.js';

const completion = (stream = true) => ({
  model: 'mistral',
  prompt: 'Tell me about rivers',
  max_tokens: 40,
  ignore_eos: true,
  stream,
});
const tritonBody = {
  text_input: 'Tell me about rivers',
  stream: true,
  exclude_input_in_output: true,
  sampling_parameters: JSON.stringify({ max_tokens: 40, ignore_eos: true }),
};

describe('faults', () => {
  test('invalid fault settings are all reported at once', () => {
    try {
      validateSimOptions({
        backend: 'vllm',
        faults: { error_rate: 2, cut_rate: -1, crash_after_requests: 0, bogus: 1 } as never,
        timeScale: 0,
      });
      throw new Error('should have thrown');
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidInputError);
      const paths = (e as InvalidInputError).problems.map((p) => p.path).sort();
      expect(paths).toEqual([
        '/faults/bogus',
        '/faults/crash_after_requests',
        '/faults/cut_rate',
        '/faults/error_rate',
        '/time_scale',
      ]);
    }
  });

  test('error_rate 1: vLLM 500 ErrorResponse, TGI generation error event under 200 (424 when not streamed), Triton streams fail mid-way with an error event under HTTP 200', async () => {
    const v = await startSimulator({ backend: 'vllm', timeScale: 20, faults: { error_rate: 1 } });
    const t = await startSimulator({ backend: 'tgi', timeScale: 20, faults: { error_rate: 1 } });
    const x = await startSimulator({ backend: 'triton', timeScale: 20, faults: { error_rate: 1 } });
    try {
      const rv = await post(`${v.url}/v1/completions`, completion());
      expect(rv.status).toBe(500);
      expect(JSON.parse(rv.body)).toMatchObject({ error: { type: 'InternalServerError', code: 500, param: null } });
      // TGI raises generation errors inside the stream, after HTTP 200 (server.rs generate_stream_internal).
      const rt = await post(`${t.url}/generate_stream`, { inputs: 'hi', parameters: { max_new_tokens: 5 } });
      expect(rt.status).toBe(200);
      expect(JSON.parse(rt.events.at(-1)!).error_type).toBe('generation');
      const rg = await post(`${t.url}/generate`, { inputs: 'hi', parameters: { max_new_tokens: 5 } });
      expect(rg.status).toBe(424);
      expect(JSON.parse(rg.body).error_type).toBe('generation');
      const rx = await post(`${x.url}/v2/models/mistral/generate_stream`, tritonBody);
      expect(rx.status).toBe(200);
      expect(rx.broken).toBe(false);
      // Mid-stream: some tokens, then one error event, then the stream closes.
      expect(rx.events.length).toBeGreaterThan(1);
      expect(rx.events.length).toBeLessThan(41);
      expect(JSON.parse(rx.events.at(-1)!).error).toMatch(/fault injection/);
      expect(rx.events.slice(0, -1).every((e) => JSON.parse(e).text_output !== undefined)).toBe(true);
      // A backend error as the first response: TritonError INTERNAL → 500.
      const nx = await post(`${x.url}/v2/models/mistral/generate`, { text_input: 'hi' });
      expect(nx.status).toBe(500);
    } finally {
      await Promise.all([v.close(), t.close(), x.close()]);
    }
  });

  test('cut_rate 1: streams break mid-way without [DONE]; stall_rate 1: streams go silent but stay open', async () => {
    const cut = await startSimulator({ backend: 'vllm', timeScale: 20, faults: { cut_rate: 1 } });
    const stall = await startSimulator({ backend: 'vllm', timeScale: 20, faults: { stall_rate: 1 } });
    try {
      const r = await post(`${cut.url}/v1/completions`, completion());
      expect(r.broken).toBe(true);
      expect(r.events.length).toBeGreaterThan(0);
      expect(r.events.length).toBeLessThan(40);
      expect(r.events).not.toContain('[DONE]');
      const s = await post(`${stall.url}/v1/completions`, completion(), { timeoutMs: 1500 });
      expect(s.broken).toBe(true); // our client gave up: the server never ended the response
      expect(s.events.length).toBeLessThan(40);
      expect(stall.engine.numRunning).toBe(0); // the stalled sequence no longer uses the engine
    } finally {
      await Promise.all([cut.close(), stall.close()]);
    }
  });

  test('overload_queue: 503 once more requests wait than allowed', async () => {
    const sim = await startSimulator({
      backend: 'vllm',
      timeScale: 20,
      faults: { overload_queue: 2 },
      engine: { max_num_seqs: 2 },
    });
    try {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
      const rs = await Promise.all(
        Array.from({ length: 12 }, () => post(`${sim.url}/v1/completions`, completion(false), { agent })),
      );
      const codes = rs.map((r) => r.status);
      expect(codes.filter((c) => c === 503).length).toBeGreaterThan(0);
      expect(codes.filter((c) => c === 200).length).toBeGreaterThanOrEqual(4);
      expect(JSON.parse(rs.find((r) => r.status === 503)!.body).error.type).toBe('ServiceUnavailableError');
      agent.destroy();
    } finally {
      await sim.close();
    }
  });

  test('slow start: not ready (Triton 400, vLLM 503) until slow_start_s simulated seconds have passed', async () => {
    // Generous margins (2 s real of not-ready) so a busy machine cannot turn this into a race.
    const x = await startSimulator({ backend: 'triton', timeScale: 20, faults: { slow_start_s: 40 } });
    const v = await startSimulator({ backend: 'vllm', timeScale: 20, faults: { slow_start_s: 40 } });
    try {
      expect((await get(`${x.url}/v2/health/ready`)).status).toBe(400);
      expect((await get(`${x.url}/v2/models/mistral/ready`)).status).toBe(400);
      expect((await get(`${v.url}/health`)).status).toBe(503);
      expect((await post(`${v.url}/v1/completions`, completion(false))).status).toBe(503);
      await new Promise((r) => setTimeout(r, 2300)); // 46 simulated seconds
      expect((await get(`${x.url}/v2/health/ready`)).status).toBe(200);
      expect((await get(`${v.url}/health`)).status).toBe(200);
    } finally {
      await Promise.all([x.close(), v.close()]);
    }
  });

  test('crash after N requests: connections drop, the port refuses, then the server comes back', async () => {
    const sim = await startSimulator({
      backend: 'tgi',
      timeScale: 20,
      faults: { crash_after_requests: 2, restart_s: 40 },
    });
    try {
      expect((await post(`${sim.url}/generate`, { inputs: 'hi', parameters: { max_new_tokens: 50 } })).status).toBe(
        200,
      );
      const second = await post(`${sim.url}/generate_stream`, { inputs: 'hi', parameters: { max_new_tokens: 50 } });
      expect(second.broken).toBe(true);
      await expect(get(`${sim.url}/health`)).rejects.toThrow(/ECONNREFUSED|ECONNRESET/);
      expect(sim.crashes).toBe(1);
      await new Promise((r) => setTimeout(r, 2500)); // restart after 40 simulated s = 2 s
      expect((await get(`${sim.url}/health`)).status).toBe(200);
    } finally {
      await sim.close();
    }
  });
});
