/**
 * THIN load generator (foundation issue): fixed-concurrency points, OpenAI /v1/completions streaming only,
 * raw timestamps appended to samples.ndjson as each request completes, metrics from steps/metrics. The
 * load-generator issue replaces the internals (adapters per protocol, rate modes, faults, resume); keep
 * `runSweep`'s shape so `llmbench run` keeps working.
 */
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { createParser } from 'eventsource-parser';
import { NdjsonAppender, writeJsonAtomic } from '../core/atomic.js';
import type { Logger } from '../core/log.js';
import type { Sample } from '../core/types/sample.js';
import type { SweepSummary } from '../core/types/sweep-summary.js';
import { summarizePoints, type SloSpec } from '../metrics/derive.js';
import { EnvironmentError } from '../core/errors.js';

export interface SweepOptions {
  backend: string;
  kind: 'vllm' | 'tgi' | 'triton';
  url: string;
  model: string;
  outDir: string;
  concurrency: number[];
  requests: number;
  trials: number;
  warmup: number;
  inputTokens: number;
  outputTokens: number;
  timeoutS: number;
  seed: number;
  minSamples?: number;
  slo?: SloSpec;
  log: Logger;
  signal?: AbortSignal;
}

const now = () => performance.timeOrigin + performance.now();

export async function runSweep(o: SweepOptions): Promise<SweepSummary> {
  if (o.kind !== 'vllm') throw new EnvironmentError('adapter-missing', `no protocol adapter for '${o.kind}' yet`, { hint: 'The thin sweep speaks the OpenAI API only.' });
  const runId = randomUUID();
  const startedAt = new Date().toISOString();
  const samplesFile = path.join(o.outDir, 'samples.ndjson');
  const out = new NdjsonAppender(samplesFile);
  await out.open();
  const all: Sample[] = [];
  const prompt = Array.from({ length: o.inputTokens }, (_, i) => `w${i % 97}`).join(' ');
  try {
    for (const c of o.concurrency) {
      for (let trial = 0; trial < o.trials; trial++) {
        const total = o.warmup + o.requests;
        let next = 0;
        const worker = async () => {
          while (next < total && !o.signal?.aborted) {
            const seq = next++;
            const s = await oneRequest(o, runId, c, trial, seq, seq < o.warmup, prompt);
            all.push(s);
            await out.append(s);
          }
        };
        await Promise.all(Array.from({ length: Math.min(c, total) }, worker));
        o.log.event('progress', { backend: o.backend, concurrency: c, trial, done: total });
      }
    }
  } finally {
    await out.close();
  }
  const summary: SweepSummary = {
    schema_version: 1,
    backend: o.backend,
    adapter: o.kind,
    api: 'completions',
    model: o.model,
    endpoint: o.url,
    run_id: runId,
    started_at: startedAt,
    finished_at: new Date().toISOString(),
    plan: { mode: 'concurrency', trials: o.trials, warmup: o.warmup, requests: o.requests, duration_s: null, seed: o.seed, timeout_s: o.timeoutS, min_samples: o.minSamples },
    workload: { fingerprint: `thin:${o.inputTokens}:${o.outputTokens}`, dataset: 'synthetic', prompts: 1, input_tokens: o.inputTokens, output_tokens: o.outputTokens },
    points: summarizePoints(all, { slo: o.slo, minSamples: o.minSamples }),
  };
  await writeJsonAtomic(path.join(o.outDir, 'summary.json'), summary);
  return summary;
}

async function oneRequest(o: SweepOptions, runId: string, c: number, trial: number, seq: number, warmup: boolean, prompt: string): Promise<Sample> {
  const s: Sample = {
    v: 1, run_id: runId, backend: o.backend, concurrency: c, rate: null, trial, seq, prompt_index: 0, warmup,
    intended_send_ms: now(), sent_ms: now(), headers_ms: null, chunk_ms: [], chunk_tokens: [], end_ms: null,
    input_tokens: { requested: o.inputTokens, client: null, server: null },
    output_tokens: { requested: o.outputTokens, server: null, client: null },
    finish_reason: null, ok: false, error: null,
  };
  try {
    s.sent_ms = now();
    const res = await request(`${o.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: o.model, prompt, max_tokens: o.outputTokens, ignore_eos: true, stream: true, stream_options: { include_usage: true } }),
      headersTimeout: o.timeoutS * 1000,
      bodyTimeout: o.timeoutS * 1000,
    });
    s.headers_ms = now();
    if (res.statusCode >= 400) {
      const text = await res.body.text();
      s.error = { category: res.statusCode >= 500 ? 'http_5xx' : 'http_4xx', message: text.slice(0, 500), http_status: res.statusCode };
      s.end_ms = now();
      return s;
    }
    let done = false;
    const parser = createParser({
      onEvent: (ev) => {
        const t = now();
        if (ev.data === '[DONE]') {
          done = true;
          return;
        }
        const j = JSON.parse(ev.data) as { choices?: { text?: string; finish_reason?: string | null }[]; usage?: { prompt_tokens: number; completion_tokens: number } };
        const text = j.choices?.[0]?.text;
        if (text) {
          s.chunk_ms.push(t);
          s.chunk_tokens.push(1);
        }
        if (j.choices?.[0]?.finish_reason) s.finish_reason = j.choices[0].finish_reason;
        if (j.usage) {
          s.output_tokens.server = j.usage.completion_tokens;
          s.input_tokens.server = j.usage.prompt_tokens;
        }
      },
    });
    for await (const chunk of res.body) parser.feed(chunk.toString());
    s.end_ms = now();
    if (!done) s.error = { category: 'stream_truncated', message: 'stream ended without [DONE]', http_status: res.statusCode };
    else s.ok = true;
  } catch (e) {
    s.end_ms = now();
    const err = e as NodeJS.ErrnoException;
    s.error = { category: err.code === 'ECONNREFUSED' ? 'connect_refused' : err.code === 'UND_ERR_HEADERS_TIMEOUT' || err.code === 'UND_ERR_BODY_TIMEOUT' ? 'timeout' : 'other', message: String(err.message).slice(0, 500), http_status: null };
  }
  return s;
}
