/**
 * SGLang, specifically: its native /generate stream decoded from frames written the way the real server writes
 * them (python/sglang/srt/entrypoints/http_server.py generate_request: `b"data: " + orjson.dumps(out) + b"\n\n"`
 * per output, cumulative `text`, then `data: [DONE]`; a ValueError becomes `data: {"error": {"message": …}}`
 * before [DONE], under HTTP 200), the simulated server's wire format, and its container spec.
 * The registry-wide conformance, sweep and wait tests (test/sim/servers.test.ts, test/loadgen, test/cluster)
 * cover it like every other server.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { executeRequest, getAdapter, loneRequestBase, resolveApi } from '../adapters.js';
import { getTokenizer } from '../../workload/tokenizer.js';
import { startSimulator, type RunningSim } from '../../simulator/server.js';
import { renderObjects } from '../../render/render.js';
import { withDefaults } from '../../cluster/render.js';
import { assertMatches } from '../../../test/sim/openapi.js';
import { get, post } from '../../../test/sim/client.js';

const tok = getTokenizer('mistral');
const PROMPT = 'Write a short paragraph about rivers and towns.';

/** A loopback server that writes the given SSE body verbatim (the frames a real SGLang writes). */
async function frames(body: string): Promise<{ url: string; close(): Promise<void> }> {
  const srv = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(body);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`,
    close: () => new Promise((r) => srv.close(() => r())),
  };
}

function run(url: string, api: string, maxTokens = 3) {
  const adapter = getAdapter('sglang');
  return executeRequest({
    adapter,
    api: resolveApi(adapter, api),
    url,
    req: { model: 'mistral', prompt: PROMPT, maxTokens, ignoreEos: true, temperature: 0 },
    base: loneRequestBase('t', 'sglang', tok.count(PROMPT)),
    timeoutMs: 5000,
    stallTimeoutMs: 5000,
    tokenizer: tok,
  });
}

const meta = (n: number, finish: unknown) =>
  `"meta_info":{"id":"a1","finish_reason":${JSON.stringify(finish)},"prompt_tokens":13,"completion_tokens":${n},"cached_tokens":0}`;

describe('native /generate stream, decoded', () => {
  test('cumulative text: each event carries only what is new; tokens from completion_tokens; [DONE] ends it', async () => {
    const body =
      `data: {"text":" The","output_ids":[415],${meta(1, null)}}\n\n` +
      `data: {"text":" The river","output_ids":[5564],${meta(2, null)}}\n\n` +
      `data: {"text":" The river runs","output_ids":[8473],${meta(3, { type: 'length', length: 3 })}}\n\n` +
      'data: [DONE]\n\n';
    const f = await frames(body);
    try {
      const s = await run(f.url, 'generate');
      expect(s.ok).toBe(true);
      expect(s.chunk_ms).toHaveLength(3);
      expect(s.output_tokens).toMatchObject({ server: 3, client: tok.count(' The river runs') });
      expect(s.input_tokens.server).toBe(13);
      expect(s.finish_reason).toBe('length');
    } finally {
      await f.close();
    }
  });

  test('an error frame under HTTP 200 is a stream error event; a stream without [DONE] is truncated', async () => {
    const err = await frames(
      `data: {"text":" The","output_ids":[415],${meta(1, null)}}\n\n` +
        'data: {"error":{"message":"The input (4000 tokens) is longer than the model\'s context length (2048 tokens)."}}\n\n' +
        'data: [DONE]\n\n',
    );
    const cut = await frames(`data: {"text":" The","output_ids":[415],${meta(1, null)}}\n\n`);
    try {
      const e = await run(err.url, 'generate');
      expect(e.ok).toBe(false);
      expect(e.error?.category).toBe('stream_error_event');
      expect(e.error?.message).toContain("model's context length");
      const c = await run(cut.url, 'generate');
      expect(c.error?.category).toBe('stream_truncated');
    } finally {
      await err.close();
      await cut.close();
    }
  });

  test('a scheduler abort (meta_info.finish_reason {type: "abort"}) was taken as a clean finish: it is a stream error', async () => {
    // tokenizer_manager._wait_one_response yields the aborted output in stream mode; FINISH_ABORT.to_json().
    const abort = {
      type: 'abort',
      message: 'aborted by the scheduler',
      status_code: 500,
      err_type: 'InternalServerError',
    };
    const f = await frames(
      `data: {"text":" The","output_ids":[415],${meta(1, null)}}\n\n` +
        `data: {"text":" The","output_ids":[415],${meta(1, abort)}}\n\n` +
        'data: [DONE]\n\n',
    );
    try {
      const s = await run(f.url, 'generate');
      expect(s.ok).toBe(false);
      expect(s.error?.category).toBe('stream_error_event');
      expect(s.error?.message).toContain('aborted by the scheduler');
      expect(s.chunk_ms).toHaveLength(1);
    } finally {
      await f.close();
    }
  });

  test('OpenAI route: a finish_reason "abort" chunk was counted as an output event and a clean finish', async () => {
    const chunk = (text: string, fin: string | null) =>
      `data: {"id":"a1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":${JSON.stringify(text)},"logprobs":null,"finish_reason":${JSON.stringify(fin)},"matched_stop":null}],"usage":null}\n\n`;
    const f = await frames(chunk(' The', null) + chunk('', 'abort') + 'data: [DONE]\n\n');
    try {
      const s = await run(f.url, 'completions');
      expect([s.ok, s.error?.category, s.chunk_ms.length, s.finish_reason]).toEqual([
        false,
        'stream_error_event',
        1,
        null,
      ]);
    } finally {
      await f.close();
    }
  });

  test('chat: the token-less finish chunk after a length stop was counted as an output event (3 events for 2 tokens)', async () => {
    // serving_chat.py: content chunks for non-empty deltas, then one finish chunk with an empty DeltaMessage.
    const chunk = (delta: object, fin: string | null) =>
      `data: {"id":"a1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":${JSON.stringify({ role: null, content: null, reasoning_content: null, tool_calls: null, ...delta })},"logprobs":null,"finish_reason":${JSON.stringify(fin)},"matched_stop":null}],"usage":null}\n\n`;
    const body =
      chunk({ role: 'assistant', content: '' }, null) +
      chunk({ content: ' The' }, null) +
      chunk({ content: ' river' }, null) +
      chunk({}, 'length') +
      'data: {"id":"a1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":13,"total_tokens":15,"completion_tokens":2,"prompt_tokens_details":null,"reasoning_tokens":0}}\n\n' +
      'data: [DONE]\n\n';
    const f = await frames(body);
    try {
      const s = await run(f.url, 'chat', 2);
      expect([s.ok, s.chunk_ms.length, s.output_tokens.server, s.finish_reason]).toEqual([true, 2, 2, 'length']);
    } finally {
      await f.close();
    }
  });

  test('request body: text, sampling_params (max_new_tokens, temperature, ignore_eos), stream', () => {
    const w = getAdapter('sglang').build(
      { model: 'm', prompt: 'p', maxTokens: 7, ignoreEos: true, temperature: 0 },
      'generate',
    );
    expect(w).toEqual({
      path: '/generate',
      body: { text: 'p', sampling_params: { max_new_tokens: 7, temperature: 0, ignore_eos: true }, stream: true },
    });
    const c = getAdapter('sglang').build(
      { model: 'm', prompt: 'p', maxTokens: 7, ignoreEos: true, temperature: 0 },
      'chat',
    );
    expect(c.path).toBe('/v1/chat/completions');
    expect(c.body).toMatchObject({ max_tokens: 7, ignore_eos: true, stream_options: { include_usage: true } });
  });
});

describe('simulated SGLang', () => {
  let sim: RunningSim;
  beforeAll(async () => {
    sim = await startSimulator({ backend: 'sglang', timeScale: 50, seed: 1 });
  });
  afterAll(() => sim.close());

  test('native stream: cumulative text and output_ids, meta_info, finish_reason object on the last, [DONE]', async () => {
    const r = await post(`${sim.url}/generate`, {
      text: PROMPT,
      sampling_params: { max_new_tokens: 9, temperature: 0, ignore_eos: true },
      stream: true,
    });
    expect(r.status).toBe(200);
    expect(r.events.at(-1)).toBe('[DONE]');
    const ev = r.events.slice(0, -1).map((e) => JSON.parse(e));
    expect(ev).toHaveLength(9);
    for (let i = 1; i < ev.length; i++) expect(ev[i].text.startsWith(ev[i - 1].text)).toBe(true);
    expect(ev.map((e) => e.meta_info.completion_tokens)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(ev.slice(0, -1).every((e) => e.meta_info.finish_reason === null)).toBe(true);
    expect(ev.at(-1).meta_info.finish_reason).toEqual({ type: 'length', length: 9 });
    expect(tok.count(ev.at(-1).text)).toBe(9);
    expect(ev.at(-1).output_ids).toHaveLength(9);
  });

  test('native non-stream and errors: {text, output_ids, meta_info}; 400 {error: {message}} for bad input', async () => {
    const r = await post(`${sim.url}/generate`, {
      text: PROMPT,
      sampling_params: { max_new_tokens: 5, ignore_eos: true },
    });
    const b = JSON.parse(r.body);
    expect(b.output_ids).toHaveLength(5);
    expect(b.meta_info).toMatchObject({ completion_tokens: 5, finish_reason: { type: 'length', length: 5 } });
    const bad = await post(`${sim.url}/generate`, { sampling_params: {} });
    expect(bad.status).toBe(400);
    // http_server.py _create_error_response: {"error": {"message": str(e)}}, 400 (not the OpenAI routes' ErrorResponse).
    expect(JSON.parse(bad.body)).toEqual({
      error: { message: 'Either text, input_ids or input_embeds should be provided.' },
    });
    const long = await post(`${sim.url}/generate`, { text: 'word '.repeat(3000) });
    expect(JSON.parse(long.body).error.message).toMatch(/longer than the model's context length \(2048 tokens\)/);
  });

  test('OpenAI routes match the published OpenAI schema; health, model info, server info', async () => {
    const r = await post(`${sim.url}/v1/completions`, { model: 'x', prompt: PROMPT, max_tokens: 6, ignore_eos: true });
    assertMatches('openai-openapi.yaml', 'CreateCompletionResponse', JSON.parse(r.body));
    const c = await post(`${sim.url}/v1/chat/completions`, {
      model: 'mistral',
      messages: [{ role: 'user', content: PROMPT }],
      max_tokens: 6,
      ignore_eos: true,
      stream: true,
      stream_options: { include_usage: true },
    });
    // SGLang's chat chunks dump unset fields as null (protocol.py DeltaMessage and the usage chunk's
    // prompt_tokens_details, model_dump_json()), which the published schema does not allow there: like the real
    // server's, they are valid once those nulls are dropped.
    const dropNulls = (o: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null));
    for (const e of c.events.slice(0, -1)) {
      const j = JSON.parse(e) as {
        choices: { delta: Record<string, unknown> }[];
        usage: Record<string, unknown> | null;
      };
      for (const ch of j.choices) ch.delta = dropNulls(ch.delta);
      if (j.usage) j.usage = dropNulls(j.usage);
      assertMatches('openai-openapi.yaml', 'CreateChatCompletionStreamResponse', j);
    }
    expect((await get(`${sim.url}/health`)).status).toBe(200);
    expect(JSON.parse((await get(`${sim.url}/get_model_info`)).body)).toMatchObject({ is_generation: true });
    expect(JSON.parse((await get(`${sim.url}/get_server_info`)).body).version).toBe('0.5.2');
    const m = (await get(sim.metricsUrl)).body;
    for (const n of ['sglang:num_running_reqs{', 'sglang:num_queue_reqs{', 'sglang:token_usage{'])
      expect(m).toContain(n);
  });
});

describe('SGLang container', () => {
  test('python3 -m sglang.launch_server with its real flags, metrics enabled, /health probes, no config files', () => {
    const objs = renderObjects(withDefaults({ backend: 'sglang' }), { mode: 'direct' });
    const dep = objs.find((o) => o.kind === 'Deployment') as unknown as {
      spec: { template: { spec: { containers: Record<string, unknown>[] } } };
    };
    const c = dep.spec.template.spec.containers[0] as {
      command: string[];
      args: string[];
      image: string;
      readinessProbe: { httpGet: { path: string } };
      ports: { containerPort: number }[];
    };
    expect(c.command).toEqual(['python3', '-m', 'sglang.launch_server']);
    expect(c.image).toBe('docker.io/lmsysorg/sglang:v0.5.2-cu126');
    expect(c.args.join(' ')).toBe(
      '--model-path mistralai/Mistral-7B-Instruct-v0.2 --served-model-name mistral --host 0.0.0.0 --port 30000 ' +
        '--context-length 2048 --mem-fraction-static 0.85 --dtype half --enable-metrics --disable-cuda-graph',
    );
    expect(c.readinessProbe.httpGet.path).toBe('/health');
    expect(c.ports[0].containerPort).toBe(30000);
    expect(objs.some((o) => o.kind === 'ConfigMap')).toBe(false);
  });
});
