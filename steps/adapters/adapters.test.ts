import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import net from 'node:net';
import {
  executeRequest,
  getAdapter,
  loneRequestBase,
  probeOneToken,
  resolveApi,
  type AdapterKind,
} from '../servers/adapters.js';
import { startScriptedServer, type Fault, type Route, type Script, type ScriptedServer } from './scripted-server.js';
import { getTokenizer } from '../workload/tokenizer.js';
import { specValidator } from '../../test/loadgen/specs.js';
import { validate } from '../core/schemas.js';
import { SERVER_KINDS } from '../core/server-catalogue.js';

const tok = getTokenizer();
const validateBody = specValidator();

async function withServer(
  script: Script | ((n: number, r: Route) => Script),
  fn: (s: ScriptedServer) => Promise<void>,
) {
  const srv = await startScriptedServer({ script, validate: validateBody });
  try {
    await fn(srv);
  } finally {
    await srv.close();
  }
}

function run(
  kind: AdapterKind,
  url: string,
  o: {
    api?: string;
    maxTokens?: number;
    timeoutMs?: number;
    stallMs?: number;
    signal?: AbortSignal;
    model?: string;
  } = {},
) {
  const adapter = getAdapter(kind);
  const prompt = 'Explain paged attention in one paragraph.';
  return executeRequest({
    adapter,
    api: resolveApi(adapter, o.api),
    url,
    req: { model: o.model ?? 'mistral', prompt, maxTokens: o.maxTokens ?? 8, ignoreEos: true, temperature: 0 },
    base: loneRequestBase('t', kind, tok.count(prompt)),
    timeoutMs: o.timeoutMs ?? 5000,
    stallTimeoutMs: o.stallMs ?? 5000,
    signal: o.signal,
    tokenizer: tok,
  });
}

const PROTOCOLS: { kind: AdapterKind; api: string; route: Route }[] = [
  { kind: 'vllm', api: 'completions', route: 'completions' },
  { kind: 'vllm', api: 'chat', route: 'chat' },
  { kind: 'tgi', api: 'generate_stream', route: 'tgi' },
  { kind: 'tgi', api: 'openai', route: 'chat' },
  { kind: 'triton', api: 'generate_stream', route: 'triton' },
];

describe('adapters speak the exact wire formats', () => {
  for (const p of PROTOCOLS) {
    it(`${p.kind}/${p.api}: request body matches the published schema, tokens and timing recorded`, async () => {
      await withServer({ ttftMs: 30, itlMs: 5, tokens: 8 }, async (srv) => {
        const s = await run(p.kind, srv.url, { api: p.api });
        expect(srv.problems).toEqual([]);
        expect(s.error).toBeNull();
        expect(s.ok).toBe(true);
        expect(validate('sample', s)).toEqual([]);
        expect(srv.requests).toHaveLength(1);
        expect(srv.requests[0].route).toBe(p.route);
        expect(s.chunk_ms).toHaveLength(8);
        expect(s.chunk_tokens).toEqual(new Array(8).fill(1));
        expect(s.output_tokens).toEqual({ requested: 8, server: 8, client: 8 });
        expect(s.input_tokens.server).toBe(s.input_tokens.client! + 1); // the server counts BOS
        expect(s.finish_reason === null || s.finish_reason === 'length').toBe(true);
        // First output-carrying chunk not before the scripted 30 ms; the server schedules chunk i at 30 + 5·i ms
        // (absolute deadlines), so the last one cannot arrive before 65 ms; each chunk is its own arrival.
        expect(s.chunk_ms[0] - s.sent_ms).toBeGreaterThanOrEqual(29);
        expect(s.chunk_ms[7] - s.sent_ms).toBeGreaterThanOrEqual(64);
        for (let i = 1; i < 8; i++) expect(s.chunk_ms[i]).toBeGreaterThan(s.chunk_ms[i - 1]);
      });
    });
  }

  it('the loopback validator rejects what the published schemas forbid (so the checks above can fail)', () => {
    expect(validateBody('tgi', { inputs: 'x', parameters: { max_new_tokens: 4, temperature: 0 } })).not.toEqual([]);
    expect(validateBody('completions', { model: 'm', prompt: 3, max_tokens: 'many' })).not.toEqual([]);
    expect(validateBody('chat', { model: 'm' })).not.toEqual([]);
    expect(validateBody('triton', { stream: true })).not.toEqual([]);
  });

  it('vllm sends stream, stream_options.include_usage, ignore_eos and max_tokens explicitly', async () => {
    await withServer({ ttftMs: 0, itlMs: 0, tokens: 2 }, async (srv) => {
      await run('vllm', srv.url, { maxTokens: 2 });
      await run('vllm', srv.url, { api: 'chat', maxTokens: 2 });
      expect(srv.requests[0].body).toMatchObject({
        model: 'mistral',
        stream: true,
        stream_options: { include_usage: true },
        ignore_eos: true,
        max_tokens: 2,
      });
      expect(srv.requests[1].body).toMatchObject({
        stream: true,
        stream_options: { include_usage: true },
        ignore_eos: true,
        max_completion_tokens: 2,
        messages: [{ role: 'user' }],
      });
    });
  });

  it('tgi asks for details and max_new_tokens (it cannot ignore EOS) and greedy decoding without temperature 0', async () => {
    await withServer({ ttftMs: 0, itlMs: 0, tokens: 2 }, async (srv) => {
      await run('tgi', srv.url, { maxTokens: 2 });
      const b = srv.requests[0].body as { parameters: Record<string, unknown> };
      expect(b.parameters).toEqual({ max_new_tokens: 2, details: true, do_sample: false });
    });
  });

  it('triton sends the vLLM backend inputs, sampling_parameters as a JSON string with only keys it knows', async () => {
    await withServer({ ttftMs: 0, itlMs: 0, tokens: 3 }, async (srv) => {
      const s = await run('triton', srv.url, { maxTokens: 3 });
      expect(s.ok).toBe(true);
      const b = srv.requests[0].body as Record<string, unknown>;
      expect(b).toMatchObject({
        stream: true,
        exclude_input_in_output: true,
        return_num_output_tokens: true,
        return_num_input_tokens: true,
      });
      expect(typeof b.sampling_parameters).toBe('string');
      const sp = JSON.parse(b.sampling_parameters as string);
      expect(sp).toEqual({ max_tokens: 3, min_tokens: 3, ignore_eos: true, temperature: 0 });
      const known = new Set([
        'max_tokens',
        'min_tokens',
        'ignore_eos',
        'temperature',
        'top_p',
        'top_k',
        'seed',
        'stop',
      ]);
      for (const k of Object.keys(sp)) expect(known.has(k)).toBe(true);
    });
  });

  it('triton: a request for a model the server does not serve is a 4xx sample', async () => {
    await withServer({ ttftMs: 0, itlMs: 0, tokens: 3 }, async (srv) => {
      const s = await run('triton', srv.url, { model: 'llama' });
      expect(s.error?.category).toBe('http_4xx');
      expect(s.error?.http_status).toBe(400);
    });
  });

  it('multi-token chunks: tokens per chunk from the client tokenizer on the chunk text, total from the server', async () => {
    await withServer({ ttftMs: 0, itlMs: 2, tokens: 8, tokensPerChunk: 3 }, async (srv) => {
      const s = await run('vllm', srv.url);
      expect(s.ok).toBe(true);
      expect(s.chunk_tokens).toEqual([3, 3, 2]);
      expect(s.output_tokens).toEqual({ requested: 8, server: 8, client: 8 });
      const t = await run('triton', srv.url);
      expect(t.chunk_tokens).toEqual([3, 3, 2]);
      expect(t.output_tokens.server).toBe(8);
    });
  });

  it('CRLF, keep-alive comments and events split across writes parse the same for every protocol', async () => {
    await withServer({ ttftMs: 0, itlMs: 1, tokens: 5, crlf: true, splitEvents: true }, async (srv) => {
      for (const p of PROTOCOLS) {
        const s = await run(p.kind, srv.url, { api: p.api, maxTokens: 5 });
        expect([p.kind, p.api, s.error]).toEqual([p.kind, p.api, null]);
        expect(s.chunk_ms).toHaveLength(5);
        expect(s.output_tokens.server).toBe(5);
      }
    });
  });
});

describe('every fault becomes a failed sample with a category', () => {
  // Every registered server over its default API (a server added to the registry is covered without an edit).
  const ALL: AdapterKind[] = [...SERVER_KINDS];
  const cases: { fault: Fault; kinds: AdapterKind[]; category: string; status?: number }[] = [
    { fault: 'http_500', kinds: ALL, category: 'http_5xx', status: 500 },
    { fault: 'http_400', kinds: ['vllm'], category: 'http_4xx', status: 400 },
    { fault: 'http_429', kinds: ['triton'], category: 'http_4xx', status: 429 },
    { fault: 'error_event', kinds: ALL, category: 'stream_error_event', status: 200 },
    { fault: 'truncate', kinds: ALL, category: 'stream_truncated', status: 200 },
    // Triton too, now that return_finish_reason is asked: an early clean close has no final finish_reason.
    { fault: 'end_early', kinds: ALL, category: 'stream_truncated', status: 200 },
    { fault: 'malformed', kinds: ALL, category: 'malformed_chunk', status: 200 },
    { fault: 'no_output', kinds: ALL.filter((k) => k !== 'triton'), category: 'no_output', status: 200 },
    // A Triton stream always ends with a final response (finish_reason): an empty stream is a truncation.
    { fault: 'no_output', kinds: ['triton'], category: 'stream_truncated', status: 200 },
    { fault: 'reset', kinds: ['vllm'], category: 'connect_reset' },
  ];
  for (const c of cases) {
    it(`${c.fault} → ${c.category} (${c.kinds.join(', ')})`, async () => {
      await withServer({ ttftMs: 0, itlMs: 1, tokens: 6, fault: c.fault, faultAfter: 2 }, async (srv) => {
        for (const k of c.kinds) {
          const s = await run(k, srv.url, { maxTokens: 6 });
          expect([k, s.ok, s.error?.category]).toEqual([k, false, c.category]);
          if (c.status) expect(s.error?.http_status).toBe(c.status);
          expect(s.end_ms).not.toBeNull();
          expect(validate('sample', s)).toEqual([]);
          if (c.fault === 'error_event' || c.fault === 'truncate') expect(s.chunk_ms).toHaveLength(2); // what arrived is kept
        }
      });
    });
  }

  it('stalled stream → stalled (no bytes for the stall timeout)', async () => {
    await withServer({ ttftMs: 0, itlMs: 1, tokens: 6, fault: 'stall', faultAfter: 2 }, async (srv) => {
      const s = await run('tgi', srv.url, { stallMs: 200, timeoutMs: 5000 });
      expect(s.error?.category).toBe('stalled');
      expect(s.chunk_ms).toHaveLength(2); // what arrived before the stall is kept
      expect(s.end_ms! - s.sent_ms).toBeGreaterThanOrEqual(190);
      expect(s.end_ms! - s.sent_ms).toBeLessThan(2000);
    });
  });

  it('per-request deadline → timeout', async () => {
    await withServer({ ttftMs: 50, itlMs: 100, tokens: 50 }, async (srv) => {
      const s = await run('vllm', srv.url, { timeoutMs: 250, stallMs: 5000 });
      expect(s.error?.category).toBe('timeout');
      expect(s.chunk_ms.length).toBeGreaterThan(0);
    });
  });

  it('connection refused → connect_refused', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const s = await run('vllm', `http://127.0.0.1:${port}`);
    expect(s.error?.category).toBe('connect_refused');
    expect(s.error?.http_status).toBeNull();
  });

  it('sweep stop → cancelled', async () => {
    await withServer({ ttftMs: 10, itlMs: 50, tokens: 50 }, async (srv) => {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      const s = await run('triton', srv.url, { signal: ac.signal });
      expect(s.error?.category).toBe('cancelled');
    });
  });
});

describe('probeOneToken', () => {
  let srv: ScriptedServer;
  beforeAll(async () => {
    srv = await startScriptedServer({ script: { ttftMs: 0, itlMs: 0, tokens: 1 }, validate: validateBody });
  });
  afterAll(() => srv.close());
  it('succeeds with one token for each kind and asks for exactly one', async () => {
    for (const kind of SERVER_KINDS) {
      const s = await probeOneToken({ kind, url: srv.url, model: 'mistral', timeoutMs: 2000 });
      expect([kind, s.ok, s.output_tokens.requested, s.chunk_ms.length]).toEqual([kind, true, 1, 1]);
    }
    expect(srv.problems).toEqual([]);
  });
  it('reports a categorized failure instead of throwing', async () => {
    const s = await probeOneToken({ kind: 'triton', url: srv.url, model: 'not-served', timeoutMs: 2000 });
    expect(s.ok).toBe(false);
    expect(s.error?.category).toBe('http_4xx');
  });
  it('rejects an unknown kind and an api the adapter does not speak (exit 2)', async () => {
    expect(() => getAdapter('nope')).toThrow(/no protocol adapter/);
    await expect(
      probeOneToken({ kind: 'triton', url: srv.url, model: 'm', api: 'chat', timeoutMs: 100 }),
    ).rejects.toThrow(/not available/);
  });
});

describe('bounds on what a server can inflate', () => {
  it('keep-alive comments do not reset the stall timeout (a TGI stream silent but for `:` every 50 ms is stalled)', async () => {
    await withServer({ ttftMs: 0, itlMs: 1, tokens: 6, fault: 'keepalive_stall', dripMs: 50 }, async (srv) => {
      for (const k of SERVER_KINDS) {
        const s = await run(k, srv.url, { stallMs: 300, timeoutMs: 8000 });
        expect([k, s.error?.category]).toEqual([k, 'stalled']);
        expect(s.end_ms! - s.sent_ms).toBeLessThan(3000);
      }
    });
  });

  it('the wait before the first output event is the same TTFT deadline for every server (headers or not)', async () => {
    await withServer({ ttftMs: 3000, itlMs: 1, tokens: 6 }, async (srv) => {
      for (const p of PROTOCOLS) {
        const s = await run(p.kind, srv.url, { api: p.api, stallMs: 300, timeoutMs: 8000 });
        expect([p.kind, p.api, s.error?.category]).toEqual([p.kind, p.api, 'stalled']);
        expect(s.error?.message).toMatch(/TTFT deadline/);
        expect(s.end_ms! - s.sent_ms).toBeLessThan(2500);
      }
    });
  });

  it('a server that ignores max_tokens and streams forever is cut: output_overflow, stamps bounded', async () => {
    await withServer({ ttftMs: 0, itlMs: 0, tokens: 6, fault: 'flood' }, async (srv) => {
      for (const p of PROTOCOLS) {
        const s = await run(p.kind, srv.url, { api: p.api, maxTokens: 10, timeoutMs: 8000 });
        expect([p.kind, p.api, s.error?.category]).toEqual([p.kind, p.api, 'output_overflow']);
        expect(s.chunk_ms.length).toBeLessThanOrEqual(4 * 10 + 16);
        expect(validate('sample', s)).toEqual([]);
      }
    });
  });

  it('one 10 MB SSE line is malformed_chunk, cut at the bound without reading it all', async () => {
    await withServer(
      { ttftMs: 0, itlMs: 0, tokens: 6, fault: 'long_line', lineBytes: 10 * 1024 * 1024 },
      async (srv) => {
        const t0 = performance.now();
        const s = await run('vllm', srv.url, { timeoutMs: 8000 });
        expect(s.error?.category).toBe('malformed_chunk');
        expect(s.error?.message).toMatch(/exceeds 1048576 characters/);
        expect(performance.now() - t0).toBeLessThan(3000);
      },
    );
  });

  it('the request deadline covers the body: a slow drip ends as timeout at the deadline', async () => {
    await withServer({ ttftMs: 0, itlMs: 0, tokens: 6, fault: 'drip', dripMs: 5 }, async (srv) => {
      const s = await run('tgi', srv.url, { timeoutMs: 600, stallMs: 60_000 });
      expect(s.error?.category).toBe('timeout');
      // The deadline runs from the dispatch; sent_ms is stamped when the connection is ready, a little later.
      expect(s.end_ms! - s.sent_ms).toBeGreaterThanOrEqual(500);
      expect(s.end_ms! - s.sent_ms).toBeLessThan(2500);
    });
  });
});

describe('output token counting: the server first, the client tokenizer as a sampled cross-check', () => {
  it('tokenizes 1 request in clientCountEvery (by seq), and always when the server gives no count', async () => {
    await withServer({ ttftMs: 0, itlMs: 1, tokens: 5 }, async (srv) => {
      const adapter = getAdapter('vllm');
      const one = (seq: number, every: number) =>
        executeRequest({
          adapter,
          api: 'completions',
          url: srv.url,
          req: { model: 'mistral', prompt: 'Hi there', maxTokens: 5, ignoreEos: true, temperature: 0 },
          base: loneRequestBase('t', 'vllm', 3, { seq }),
          timeoutMs: 5000,
          tokenizer: tok,
          clientCountEvery: every,
        });
      const counted = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((q) => one(q, 4)));
      expect(counted.map((s) => s.output_tokens.client !== null)).toEqual([
        true,
        false,
        false,
        false,
        true,
        false,
        false,
        false,
      ]);
      for (const s of counted)
        expect([s.ok, s.output_tokens.server, s.chunk_tokens]).toEqual([true, 5, [1, 1, 1, 1, 1]]);
      expect(counted[0].output_tokens.client).toBe(5);
    });
  });
});
