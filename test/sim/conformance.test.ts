/**
 * Wire conformance of the three simulated servers against the published specs in test/fixtures/specs:
 * OpenAI (vLLM and TGI's Messages API), TGI's router OpenAPI, and KServe's open-inference REST + generate
 * extension (Triton, where it applies). Token counts must agree with the client tokenizer.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startSimulator, TIME_SCALE_HEADER, type RunningSim } from '../../steps/simulator/server.js';
import { getTokenizer } from '../../steps/workload/tokenizer.js';
import { assertMatches } from './openapi.js';
import { get, post } from './client.js';

const OA = 'openai-openapi.yaml';
const TGI = 'tgi-openapi.json';
const KS = 'kserve-open-inference-rest.yaml';
const KG = 'kserve-open-inference-generate-rest.yaml';
const tok = getTokenizer('mistral');
const PROMPT = 'Write a short paragraph about rivers and towns.';

describe('vLLM dialect', () => {
  let sim: RunningSim;
  beforeAll(async () => {
    sim = await startSimulator({ backend: 'vllm', timeScale: 50, seed: 1 });
  });
  afterAll(() => sim.close());

  test('models, health, version and metrics', async () => {
    const m = await get(`${sim.url}/v1/models`);
    expect(m.status).toBe(200);
    expect(m.headers[TIME_SCALE_HEADER]).toBe('50');
    const list = JSON.parse(m.body);
    expect(list.object).toBe('list');
    expect(list.data.map((d: { id: string }) => d.id)).toEqual(['mistral']);
    expect(list.data[0].max_model_len).toBe(2048);
    expect((await get(`${sim.url}/health`)).status).toBe(200);
    const met = await get(`${sim.url}/metrics`);
    for (const name of [
      'vllm:num_requests_running{',
      'vllm:num_requests_waiting{',
      'vllm:kv_cache_usage_perc{',
      'vllm:gpu_cache_usage_perc{',
      'vllm:time_to_first_token_seconds_bucket{',
      'vllm:e2e_request_latency_seconds_count{',
      'vllm:generation_tokens_total{',
    ]) {
      expect(met.body).toContain(name);
    }
    expect(met.body).toMatch(/# TYPE vllm:inter_token_latency_seconds histogram/);
  });

  test('completion, not streamed: schema, usage and the client tokenizer agree', async () => {
    const r = await post(`${sim.url}/v1/completions`, {
      model: 'mistral',
      prompt: PROMPT,
      max_tokens: 40,
      ignore_eos: true,
      temperature: 0,
    });
    expect(r.status).toBe(200);
    const b = JSON.parse(r.body);
    assertMatches(OA, 'CreateCompletionResponse', b);
    assertMatches(OA, 'CompletionUsage', b.usage);
    expect(b.usage.completion_tokens).toBe(40);
    expect(tok.count(b.choices[0].text)).toBe(40);
    expect(b.usage.prompt_tokens).toBe(1 + tok.count(' ' + PROMPT));
    expect(b.choices[0].finish_reason).toBe('length');
  });

  test('completion stream with include_usage: every chunk valid, usage last, then [DONE]', async () => {
    const r = await post(`${sim.url}/v1/completions`, {
      model: 'mistral',
      prompt: PROMPT,
      max_tokens: 25,
      ignore_eos: true,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/event-stream/);
    expect(r.events.at(-1)).toBe('[DONE]');
    const chunks = r.events.slice(0, -1).map((e) => JSON.parse(e));
    // The spec has no stream schema for completions; stream chunks reuse CreateCompletionResponse except that
    // unfinished choices carry finish_reason null (as OpenAI's and vLLM's streams do). Only that is relaxed.
    const relaxed = (c: { choices: { finish_reason: unknown }[] }) => ({
      ...c,
      choices: c.choices.map((ch) => (ch.finish_reason === null ? { ...ch, finish_reason: 'length' } : ch)),
    });
    for (const c of chunks) assertMatches(OA, 'CreateCompletionResponse', relaxed(c));
    expect(chunks.slice(0, -2).every((c) => c.choices[0].finish_reason === null)).toBe(true);
    const usage = chunks.at(-1);
    expect(usage.choices).toEqual([]);
    assertMatches(OA, 'CompletionUsage', usage.usage);
    const texts = chunks.slice(0, -1).map((c) => c.choices[0].text as string);
    expect(texts).toHaveLength(25);
    expect(tok.count(texts.join(''))).toBe(usage.usage.completion_tokens);
    expect(chunks.at(-2).choices[0].finish_reason).toBe('length');
  });

  test('chat stream: role chunk first, content chunks, usage, [DONE]; chat non-stream valid', async () => {
    const r = await post(`${sim.url}/v1/chat/completions`, {
      model: 'mistral',
      messages: [{ role: 'user', content: PROMPT }],
      max_tokens: 12,
      ignore_eos: true,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(r.status).toBe(200);
    expect(r.events.at(-1)).toBe('[DONE]');
    const chunks = r.events.slice(0, -1).map((e) => JSON.parse(e));
    for (const c of chunks) assertMatches(OA, 'CreateChatCompletionStreamResponse', c);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    const content = chunks
      .slice(1, -1)
      .map((c) => c.choices[0].delta.content)
      .join('');
    expect(tok.count(content)).toBe(12);
    expect(chunks.at(-1).usage.completion_tokens).toBe(12);
    const n = await post(`${sim.url}/v1/chat/completions`, {
      model: 'mistral',
      messages: [{ role: 'user', content: PROMPT }],
      max_tokens: 5,
    });
    assertMatches(OA, 'CreateChatCompletionResponse', JSON.parse(n.body));
  });

  test('without ignore_eos a request stops at its natural end, never before min_tokens', async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        post(`${sim.url}/v1/completions`, {
          model: 'mistral',
          prompt: `${PROMPT} ${i}`,
          max_tokens: 200,
          min_tokens: 30,
        }).then((r) => JSON.parse(r.body)),
      ),
    );
    const stopped = results.filter((b) => b.choices[0].finish_reason === 'stop');
    expect(stopped.length).toBeGreaterThan(6);
    for (const b of results) {
      expect(b.usage.completion_tokens).toBeGreaterThanOrEqual(30);
      expect(tok.count(b.choices[0].text)).toBe(b.usage.completion_tokens);
      if (b.choices[0].finish_reason === 'stop') expect(b.usage.completion_tokens).toBeLessThan(200);
    }
  });

  test('rejections look like vLLM: unknown model 404, context too long 400, stream_options without stream 400', async () => {
    const nf = await post(`${sim.url}/v1/completions`, { model: 'gpt-4', prompt: 'hi' });
    expect(nf.status).toBe(404);
    expect(JSON.parse(nf.body)).toEqual({
      object: 'error',
      message: 'The model `gpt-4` does not exist.',
      type: 'NotFoundError',
      param: null,
      code: 404,
    });
    const long = await post(`${sim.url}/v1/completions`, {
      model: 'mistral',
      prompt: 'word '.repeat(2000),
      max_tokens: 100,
    });
    expect(long.status).toBe(400);
    const lb = JSON.parse(long.body);
    expect(lb.type).toBe('BadRequestError');
    expect(lb.message).toMatch(
      /^This model's maximum context length is 2048 tokens\. However, you requested \d+ tokens \(\d+ in the messages, 100 in the completion\)/,
    );
    const so = await post(`${sim.url}/v1/completions`, {
      model: 'mistral',
      prompt: 'hi',
      stream_options: { include_usage: true },
    });
    expect(so.status).toBe(400);
    expect(JSON.parse(so.body).message).toBe('Stream options can only be defined when `stream=True`.');
    expect((await post(`${sim.url}/v1/completions`, '{not json')).status).toBe(400);
  });
});

describe('TGI dialect', () => {
  let sim: RunningSim;
  beforeAll(async () => {
    sim = await startSimulator({ backend: 'tgi', timeScale: 50, seed: 1 });
  });
  afterAll(() => sim.close());

  test('info, health, metrics', async () => {
    const i = await get(`${sim.url}/info`);
    const info = JSON.parse(i.body);
    assertMatches(TGI, 'Info', info);
    expect(info.max_total_tokens).toBe(2048);
    expect(info.model_id).toBe('mistralai/Mistral-7B-Instruct-v0.2');
    expect((await get(`${sim.url}/health`)).status).toBe(200);
    await post(`${sim.url}/generate`, { inputs: PROMPT, parameters: { max_new_tokens: 3 } });
    const m = await get(`${sim.url}/metrics`);
    for (const n of [
      'tgi_request_count ',
      'tgi_queue_size ',
      'tgi_batch_current_size ',
      'tgi_request_duration_bucket{',
      'tgi_request_generated_tokens_count ',
    ])
      expect(m.body).toContain(n);
  });

  test('generate with details matches GenerateResponse; counts agree with the client tokenizer', async () => {
    const r = await post(`${sim.url}/generate`, { inputs: PROMPT, parameters: { max_new_tokens: 20, details: true } });
    expect(r.status).toBe(200);
    const b = JSON.parse(r.body);
    assertMatches(TGI, 'GenerateResponse', b);
    expect(b.details.generated_tokens).toBe(b.details.tokens.length);
    expect(tok.count(b.generated_text)).toBe(b.details.generated_tokens);
  });

  test('generate_stream: StreamResponse events, details on the last, no [DONE]', async () => {
    const r = await post(`${sim.url}/generate_stream`, {
      inputs: PROMPT,
      parameters: { max_new_tokens: 30, details: true },
    });
    expect(r.status).toBe(200);
    expect(r.body.startsWith('data:{')).toBe(true);
    expect(r.events).not.toContain('[DONE]');
    const ev = r.events.map((e) => JSON.parse(e));
    for (const e of ev) assertMatches(TGI, 'StreamResponse', e);
    ev.forEach((e, i) => expect(e.index).toBe(i + 1));
    const last = ev.at(-1);
    expect(last.details.generated_tokens).toBe(ev.length);
    expect(last.generated_text).toBe(ev.map((e) => e.token.text).join(''));
    expect(tok.count(last.generated_text)).toBe(last.details.generated_tokens);
    expect(ev.slice(0, -1).every((e) => e.details === null && e.generated_text === null)).toBe(true);
  });

  test('TGI has no ignore_eos: long requests stop at the natural end (eos_token) — the original ~67-token shortfall', async () => {
    const rs = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        post(`${sim.url}/generate`, {
          inputs: `${PROMPT} ${i}`,
          parameters: { max_new_tokens: 100, details: true, ignore_eos_token: true },
        }),
      ),
    );
    const gen = rs.map((r) => JSON.parse(r.body).details);
    expect(gen.filter((d) => d.finish_reason === 'eos_token').length).toBeGreaterThan(5);
    const mean = gen.reduce((a, d) => a + d.generated_tokens, 0) / gen.length;
    expect(mean).toBeGreaterThan(50);
    expect(mean).toBeLessThan(95);
  });

  test('validation errors are 422 ErrorResponse; Messages API streams OpenAI chunks', async () => {
    const long = await post(`${sim.url}/generate`, {
      inputs: 'word '.repeat(1990),
      parameters: { max_new_tokens: 100 },
    });
    expect(long.status).toBe(422);
    const e = JSON.parse(long.body);
    assertMatches(TGI, 'ErrorResponse', e);
    expect(e.error_type).toBe('validation');
    expect(e.error).toMatch(
      /^Input validation error: `inputs` tokens \+ `max_new_tokens` must be <= 2048\. Given: \d+ `inputs` tokens and 100 `max_new_tokens`$/,
    );
    const t0 = await post(`${sim.url}/generate`, { inputs: 'hi', parameters: { temperature: 0 } });
    expect(t0.status).toBe(422);
    expect(JSON.parse(t0.body).error).toBe('Input validation error: `temperature` must be strictly positive');
    const tooLong = await post(`${sim.url}/generate`, { inputs: 'word '.repeat(2100) });
    expect(JSON.parse(tooLong.body).error).toMatch(/must have less than 2047 tokens/);
    const chat = await post(`${sim.url}/v1/chat/completions`, {
      model: 'anything',
      messages: [{ role: 'user', content: PROMPT }],
      max_tokens: 8,
      stream: true,
    });
    expect(chat.status).toBe(200);
    expect(chat.events.at(-1)).toBe('[DONE]');
    for (const c of chat.events.slice(0, -1)) assertMatches(OA, 'CreateChatCompletionStreamResponse', JSON.parse(c));
  });
});

describe('Triton dialect (vLLM backend)', () => {
  let sim: RunningSim;
  beforeAll(async () => {
    sim = await startSimulator({ backend: 'triton', timeScale: 50, seed: 1 });
  });
  afterAll(() => sim.close());
  const gen = (s: string) => `${sim.url}/v2/models/mistral/${s}`;

  test('health, readiness, metadata, repository index and nv_* metrics', async () => {
    expect((await get(`${sim.url}/v2/health/ready`)).status).toBe(200);
    expect((await get(`${sim.url}/v2/health/live`)).status).toBe(200);
    expect((await get(`${sim.url}/v2/models/mistral/ready`)).status).toBe(200);
    expect((await get(`${sim.url}/v2/models/llama/ready`)).status).toBe(400);
    assertMatches(KS, 'metadata_server_response', JSON.parse((await get(`${sim.url}/v2`)).body));
    assertMatches(KS, 'metadata_model_response', JSON.parse((await get(`${sim.url}/v2/models/mistral`)).body));
    const unknown = await get(`${sim.url}/v2/models/llama`);
    expect(unknown.status).toBe(400);
    assertMatches(KS, 'metadata_model_error_response', JSON.parse(unknown.body));
    expect(JSON.parse((await post(`${sim.url}/v2/repository/index`, {})).body)).toEqual([
      { name: 'mistral', version: '1', state: 'READY' },
    ]);
    // Metrics are on a port of their own (the real server's --metrics-port 8002); the HTTP port has none.
    expect((await get(`${sim.url}/metrics`)).status).toBe(404);
    const m = await get(sim.metricsUrl);
    // Only the vLLM backend's families (REPORT_CUSTOM_METRICS): it exports gpu_cache_usage_perc, not kv_cache_usage_perc.
    expect(m.body).toContain('vllm:gpu_cache_usage_perc{');
    expect(m.body).not.toContain('vllm:kv_cache_usage_perc');
    for (const n of [
      'nv_inference_request_success{',
      'nv_inference_pending_request_count{',
      'nv_gpu_utilization{',
      'vllm:num_requests_running{',
    ])
      expect(m.body).toContain(n);
  });

  test('generate: default max_tokens 16, prompt echoed unless excluded, num_output_tokens', async () => {
    const r = await post(gen('generate'), { text_input: PROMPT, return_num_output_tokens: true });
    expect(r.status).toBe(200);
    const b = JSON.parse(r.body);
    assertMatches(KG, 'GenerateResponse', b);
    expect(b.num_output_tokens).toBe(16);
    expect(b.text_output.startsWith(PROMPT)).toBe(true);
    const x = JSON.parse(
      (
        await post(gen('generate'), {
          text_input: PROMPT,
          exclude_input_in_output: true,
          sampling_parameters: JSON.stringify({ max_tokens: 20, ignore_eos: true }),
        })
      ).body,
    );
    expect(tok.count(x.text_output)).toBe(20);
  });

  test('generate_stream with stream: true streams deltas; without it, one event; no [DONE]', async () => {
    const r = await post(gen('generate_stream'), {
      text_input: PROMPT,
      stream: true,
      exclude_input_in_output: true,
      return_num_output_tokens: true,
      sampling_parameters: JSON.stringify({ max_tokens: 30, min_tokens: 30, ignore_eos: true }),
    });
    expect(r.status).toBe(200);
    expect(r.events).not.toContain('[DONE]');
    const ev = r.events.map((e) => JSON.parse(e));
    for (const e of ev) assertMatches(KG, 'GenerateStreamResponse', e);
    expect(ev).toHaveLength(30);
    expect(ev.reduce((a, e) => a + e.num_output_tokens, 0)).toBe(30);
    expect(tok.count(ev.map((e) => e.text_output).join(''))).toBe(30);
    const one = await post(gen('generate_stream'), {
      text_input: PROMPT,
      exclude_input_in_output: true,
      sampling_parameters: JSON.stringify({ max_tokens: 10 }),
    });
    expect(one.events).toHaveLength(1);
    expect(tok.count(JSON.parse(one.events[0]).text_output)).toBe(10);
  });

  test('errors: unknown sampling key and too-long prompt are error events under 200; unknown model/input are 400', async () => {
    const bad = await post(gen('generate_stream'), {
      text_input: PROMPT,
      stream: true,
      sampling_parameters: JSON.stringify({ max_tokens: 5, maxTokens: 5 }),
    });
    expect(bad.status).toBe(200);
    expect(bad.events).toHaveLength(1);
    const err = JSON.parse(bad.events[0]);
    assertMatches(KG, 'GenerateErrorResponse', err);
    expect(err.error).toMatch(/maxTokens/);
    const badNs = await post(gen('generate'), { text_input: PROMPT, sampling_parameters: JSON.stringify({ foo: 1 }) });
    expect(badNs.status).toBe(400);
    const long = await post(gen('generate_stream'), { text_input: 'word '.repeat(2100), stream: true });
    expect(long.status).toBe(200);
    expect(JSON.parse(long.events[0]).error).toMatch(/longer than the maximum model length of 2048/);
    const nm = await post(`${sim.url}/v2/models/llama/generate`, { text_input: 'hi' });
    expect(nm.status).toBe(400);
    expect(JSON.parse(nm.body)).toEqual({ error: "Request for unknown model: 'llama' is not found" });
    const ui = await post(gen('generate'), { text_input: 'hi', max_tokens: 5 });
    expect(ui.status).toBe(400);
    expect(JSON.parse(ui.body).error).toBe("unexpected inference input 'max_tokens' for model 'mistral'");
  });
});
