/**
 * Replay suite: every real server transcript in test/fixtures/wire goes over loopback HTTP through the adapter and
 * the one client, and the sample must say what the server said — output events, token counts, finish reason,
 * error category and status — and the derived TTFT/ITL/TPOT/E2E must count the tokens the server counts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { executeRequest, getAdapter, loneRequestBase } from '../../steps/servers/adapters.js';
import { validate } from '../../steps/core/schemas.js';
import type { Sample } from '../../steps/core/types/sample.js';
import { requestMetrics } from '../../steps/metrics/derive.js';
import { getTokenizer } from '../../steps/workload/tokenizer.js';
import { SERVER_NAMES } from '../../steps/servers/index.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  WIRE_DIR,
  dataLines,
  loadWireFixtures,
  startReplayServer,
  type ReplayServer,
  type WireFixture,
} from './wire-fixtures.js';
import { coverageGaps, loadCoverage } from './wire-coverage.js';

const tok = getTokenizer();
const fixtures = loadWireFixtures();
const coverage = loadCoverage();
let current: { fx: WireFixture; scale: number } = { fx: fixtures[0], scale: 1 };
let srv: ReplayServer;
beforeAll(async () => {
  srv = await startReplayServer(() => current);
});
afterAll(() => srv.close());

async function replay(fx: WireFixture, scale = 1): Promise<Sample> {
  current = { fx, scale };
  const adapter = getAdapter(fx.adapter);
  return executeRequest({
    adapter,
    api: fx.api,
    url: srv.url,
    req: { model: 'm', prompt: 'Hello', maxTokens: fx.request.maxTokens, ignoreEos: false, temperature: 0 },
    base: loneRequestBase('replay', fx.adapter, 2, { seq: 1 }),
    timeoutMs: fx.replay?.timeoutMs ?? 10_000,
    stallTimeoutMs: fx.replay?.stallTimeoutMs ?? 10_000,
    tokenizer: tok,
  });
}

/** Index of the last write that carries an output event (not usage, [DONE], an error or a comment). */
function lastOutputWrite(fx: WireFixture): number {
  let last = -1;
  fx.response.writes.forEach((w, i) => {
    for (const d of dataLines(w.data)) {
      if (d === '[DONE]') continue;
      const j = JSON.parse(d) as { choices?: unknown[]; error?: unknown };
      if (j.error !== undefined || (Array.isArray(j.choices) && j.choices.length === 0)) continue;
      last = i;
    }
  });
  return last;
}

describe('real server transcripts through the adapters', () => {
  it('covers, per server and API, normal, EOS-stopped, multi-token, error mid-stream, error first and stall (or a cited n/a)', () => {
    const missing = coverageGaps(fixtures, coverage);
    expect(missing).toEqual([]);
  });

  it('the coverage check fails when a fixture is removed or an n/a entry lacks its citation (regression: a deleted fixture went unnoticed)', () => {
    const without = fixtures.filter((f) => f.name !== 'tgi/messages-keepalive-stall');
    expect(coverageGaps(without, coverage)).toEqual(['tgi openai stall: no fixture and no n/a entry']);
    const oneApiGone = fixtures.filter((f) => !(f.name.startsWith('vllm/') && f.api === 'chat'));
    expect(coverageGaps(oneApiGone, coverage)).toContain('vllm apis: chat,completions declared, completions present');
    const uncited = {
      ...coverage,
      notApplicable: [{ server: 'tgi', api: 'openai', case: 'stall', reason: '', source: 'x' }],
    };
    expect(coverageGaps(without, uncited)).toEqual(['tgi openai stall: n/a entry needs a reason and a SOURCES.md key']);
    // A case whose fixture does not show it (a "stall" that finishes ok) does not count.
    const fake = fixtures.map((f) =>
      f.name === 'vllm/chat-stall' ? { ...f, expect: { ...f.expect, category: null } } : f,
    );
    expect(coverageGaps(fake, coverage)).toEqual(['vllm chat stall: vllm/chat-stall does not show the case']);
  });

  it('every registered server has transcripts, and every transcript names sources listed in SOURCES.md', () => {
    const servers = new Set(fixtures.map((f) => f.name.split('/')[0]));
    for (const n of SERVER_NAMES) expect(servers).toContain(n);
    const keys = new Set(
      [...readFileSync(path.join(WIRE_DIR, 'SOURCES.md'), 'utf8').matchAll(/^\| ([a-z0-9-]+) \|/gm)].map((m) => m[1]),
    );
    for (const fx of fixtures)
      for (const k of fx.sources)
        expect({ fixture: fx.name, source: k, listed: keys.has(k) }).toMatchObject({ listed: true });
  });

  for (const fx of fixtures) {
    it(`${fx.name}: ${fx.expect.ok ? 'ok' : fx.expect.category}, ${fx.expect.outputEvents} output events`, async () => {
      const s = await replay(fx);
      expect(validate('sample', s)).toEqual([]);
      expect({
        ok: s.ok,
        category: s.error?.category ?? null,
        outputEvents: s.chunk_ms.length,
        serverOutputTokens: s.output_tokens.server,
        finishReason: s.finish_reason,
        httpStatus: s.error ? s.error.http_status : 200,
      }).toEqual({
        ok: fx.expect.ok,
        category: fx.expect.category,
        outputEvents: fx.expect.outputEvents,
        serverOutputTokens: fx.expect.serverOutputTokens,
        finishReason: fx.expect.finishReason,
        httpStatus: fx.expect.httpStatus,
      });
      if (fx.expect.chunkTokens) expect(s.chunk_tokens).toEqual(fx.expect.chunkTokens);
      const m = requestMetrics(s);
      // TTFT/E2E/ITL are defined by output events: one ITL gap per pair, none without two events.
      expect(m.itl_ms).toHaveLength(Math.max(0, fx.expect.outputEvents - 1));
      expect(m.ttft_ms === null).toBe(fx.expect.outputEvents === 0);
      if (fx.expect.ok) {
        // E2E ends at the write carrying the last token the server counts (the EOS chunk included).
        const lw = lastOutputWrite(fx);
        expect(s.chunk_ms.at(-1)!).toBeGreaterThanOrEqual(srv.writeMs[lw] - 0.5);
        expect(m.output_tokens).toBe(fx.expect.serverOutputTokens);
        // The per-event counts add up to the server's count whenever the server gives them.
        if (fx.expect.chunkTokens) expect(s.chunk_tokens.reduce((a, b) => a + b, 0)).toBe(m.output_tokens);
      }
    });
  }

  it('TGI: the same generation on /generate_stream and on the Messages API gives the same token count and TPOT (±1 %)', async () => {
    const byName = (n: string) => fixtures.find((f) => f.name === n)!;
    // Slow replay (ITL 400 ms) so loopback delivery stays well under 1 % of TPOT. Each TPOT is checked against the
    // TPOT of the replay server's own writes (its timers jitter on a loaded machine; the client must not add to it).
    const serverTpot = (fx: WireFixture) => (srv.writeMs[lastOutputWrite(fx)] - srv.writeMs[0]) / 2;
    const nfx = byName('tgi/generate-stream-eos-same-as-messages');
    const native = requestMetrics(await replay(nfx, 40));
    const nativeServer = serverTpot(nfx);
    const cfx = byName('tgi/messages-eos');
    const chat = requestMetrics(await replay(cfx, 40));
    const chatServer = serverTpot(cfx);
    expect(native.output_tokens).toBe(3);
    expect(chat.output_tokens).toBe(3);
    expect(Math.abs(native.tpot_ms! / nativeServer - 1)).toBeLessThan(0.01);
    expect(Math.abs(chat.tpot_ms! / chatServer - 1)).toBeLessThan(0.01);
    // Both are the same schedule (ITL 400 ms): the old count (2 chunks for 3 tokens) would halve the chat TPOT.
    expect(Math.abs(chat.tpot_ms! / native.tpot_ms! - 1)).toBeLessThan(0.05);
  });
});
