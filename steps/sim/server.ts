/**
 * THIN simulator (foundation issue): one OpenAI-compatible streaming endpoint with a fixed latency model, enough
 * for `llmbench run` to measure real streamed TTFT/ITL on loopback. The simulator issue replaces this file's
 * internals with the three dialects and the performance model; keep `startSimulator`'s shape.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SimOptions {
  backend: 'vllm' | 'tgi' | 'triton';
  host?: string;
  port?: number;
  /** Served model name (requests for another model are rejected like the real server does). */
  model?: string;
  gpu?: string;
  modelProfile?: string;
  seed?: number;
  /** Simulated time runs this many times faster than real time. */
  timeScale?: number;
}

export interface RunningSim {
  url: string;
  backend: SimOptions['backend'];
  model: string;
  close(): Promise<void>;
}

export async function startSimulator(opts: SimOptions): Promise<RunningSim> {
  const model = opts.model ?? 'mistral';
  const scale = opts.timeScale ?? 1;
  let active = 0;
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: model, object: 'model', owned_by: 'llmbench-sim' }] }));
      return;
    }
    if (req.method === 'GET' && req.url === '/health') {
      res.writeHead(200).end();
      return;
    }
    if (req.method !== 'POST' || req.url !== '/v1/completions') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: 'Not Found' }));
      return;
    }
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      let r: { model?: string; max_tokens?: number; stream?: boolean; stream_options?: { include_usage?: boolean }; prompt?: string };
      try {
        r = JSON.parse(body);
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'error', message: 'invalid JSON', type: 'BadRequestError', code: 400 }));
        return;
      }
      if (r.model !== model) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(
          JSON.stringify({ object: 'error', message: `The model \`${r.model}\` does not exist.`, type: 'NotFoundError', param: null, code: 404 }),
        );
        return;
      }
      const n = r.max_tokens ?? 16;
      const promptTokens = (r.prompt ?? '').split(/\s+/).filter(Boolean).length;
      active++;
      const id = `cmpl-${Math.random().toString(36).slice(2)}`;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      let i = 0;
      const send = () => {
        if (res.destroyed) return;
        if (i < n) {
          res.write(`data: ${JSON.stringify({ id, object: 'text_completion', created: 0, model, choices: [{ index: 0, text: ' tok', logprobs: null, finish_reason: i === n - 1 ? 'length' : null }] })}\n\n`);
          i++;
          // ~25 ms per decode step, slower as the batch grows (a stand-in for the real engine model).
          setTimeout(send, (25 * (1 + 0.015 * (active - 1))) / scale);
          return;
        }
        if (r.stream_options?.include_usage) {
          res.write(`data: ${JSON.stringify({ id, object: 'text_completion', created: 0, model, choices: [], usage: { prompt_tokens: promptTokens, completion_tokens: n, total_tokens: promptTokens + n } })}\n\n`);
        }
        res.end('data: [DONE]\n\n');
        active--;
      };
      setTimeout(send, (40 + 2 * active) / scale);
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    backend: opts.backend,
    model,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
