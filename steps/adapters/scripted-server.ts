/**
 * A scripted loopback server speaking the exact streaming wire formats of vLLM's OpenAI server
 * (/v1/completions, /v1/chat/completions), TGI (/generate_stream, /info) and Triton's vLLM backend
 * (/v2/models/{m}/generate_stream). Not the simulator: it has no performance model. Each request follows a script
 * (first token after ttftMs, then one chunk every itlMs) or a scripted fault, and the server logs when it really
 * wrote each chunk, so the timing-truth bench can compare what the client measured with what the server did.
 * Used by the adapter tests and by `npm run bench:loadgen` (as a child process: `tsx scripted-server.ts '<json>'`).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { perfToMonotonicMs } from '../core/monoclock.js';
import { getTokenizer } from '../workload/tokenizer.js';

export type Fault =
  | 'none'
  | 'http_500'
  | 'http_400'
  | 'http_429'
  | 'error_event'
  | 'truncate'
  | 'end_early'
  | 'malformed'
  | 'stall'
  | 'reset'
  | 'no_output'
  // Hostile servers (bench:hostile, the client's bounds): tokens forever at full speed ignoring max_tokens; one
  // SSE line of `lineBytes` bytes; the stream one byte every `dripMs`; keep-alive comments only, no tokens.
  | 'flood'
  | 'long_line'
  | 'drip'
  | 'keepalive_stall';

export interface Script {
  ttftMs: number;
  itlMs: number;
  tokens: number;
  /** Tokens per chunk (vLLM can send several per chunk; TGI always one). */
  tokensPerChunk?: number;
  fault?: Fault;
  /** Tokens sent before the fault (error_event, truncate, end_early, malformed, stall). */
  faultAfter?: number;
  /** Write each SSE event in two halves (tests: events split across reads). */
  splitEvents?: boolean;
  /** Use CRLF line endings and interleave `: keep-alive` comments. */
  crlf?: boolean;
  /** long_line: the line's size in bytes. */
  lineBytes?: number;
  /** drip: ms between bytes; keepalive_stall: ms between keep-alive comments. */
  dripMs?: number;
  /** Report this prompt token count instead of tokenizing the prompt (the timing bench: tokenizing ~100 µs per
   * request would make the fixture, not the client, the bottleneck when hundreds of requests arrive at once). */
  promptTokens?: number;
}

export type Route = 'completions' | 'chat' | 'tgi' | 'triton';

export interface RequestLog {
  route: Route;
  body: unknown;
  /** Server monotonic ms when the request body was complete, and when each output chunk was written. */
  recvMs: number;
  writeMs: number[];
}

export interface ScriptedServerOptions {
  model?: string;
  script: Script | ((n: number, route: Route, body: Record<string, unknown>) => Script);
  /** Validates a request body; problems are answered with 400 and kept in `problems`. */
  validate?: (route: Route, body: unknown) => string[];
  /** Keep per-request logs (timing truth); off for the ceiling run. */
  log?: boolean;
}

export interface ScriptedServer {
  url: string;
  requests: RequestLog[];
  problems: { route: Route; problems: string[] }[];
  close(): Promise<void>;
}

const WORDS = [
  ' the',
  ' of',
  ' and',
  ' to',
  ' in',
  ' is',
  ' that',
  ' for',
  ' it',
  ' with',
  ' as',
  ' was',
  ' on',
  ' be',
  ' at',
  ' by',
];
const WORD_IDS = [272, 302, 304, 298, 297, 349, 369, 354, 378, 395, 390, 403, 356, 347, 438, 486];

/** One scripted server's state, shared by its request handlers. */
interface Scripted {
  readonly o: ScriptedServerOptions;
  readonly model: string;
  readonly requests: RequestLog[];
  readonly problems: { route: Route; problems: string[] }[];
  readonly sockets: Set<Socket>;
  readonly timers: Set<NodeJS.Timeout>;
  /** Requests scripted so far (the script function's `n`). */
  n: number;
  /** Requests being answered (the /metrics gauge). */
  active: number;
}

export async function startScriptedServer(o: ScriptedServerOptions): Promise<ScriptedServer> {
  const ctx: Scripted = {
    o,
    model: o.model ?? 'mistral',
    requests: [],
    problems: [],
    sockets: new Set(),
    timers: new Set(),
    n: 0,
    active: 0,
  };
  const server = http.createServer({ noDelay: true, keepAliveTimeout: 65_000 }, (req, res) => onRequest(ctx, req, res));
  server.on('connection', (s) => {
    ctx.sockets.add(s);
    s.on('close', () => ctx.sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A deep accept backlog: thousands of simultaneous connects must not overflow it (dropped SYNs retry after 1 s).
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => resolve());
  });
  server.maxConnections = 100_000;
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: ctx.requests,
    problems: ctx.problems,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of ctx.timers) clearTimeout(t);
        for (const s of ctx.sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function onRequest(ctx: Scripted, req: http.IncomingMessage, res: http.ServerResponse): void {
  // The script is anchored at the moment the request's headers were parsed (before its body is read).
  const arrivedMs = performance.now();
  const url = req.url ?? '/';
  if (req.method === 'GET') return answerGet(ctx, url, res);
  const route = routeOf(url, ctx.model);
  if (route === 'unknown-model')
    return json(res, 400, {
      error: `Request for unknown model: '${decodeURIComponent(url.split('/')[3])}' is not found`,
    });
  if (!route) return json(res, 404, { error: 'not found' });
  const chunks: Buffer[] = [];
  req.on('data', (d: Buffer) => chunks.push(d));
  req.on('end', () => onBody(ctx, route, Buffer.concat(chunks), arrivedMs, req, res));
}

function answerGet(ctx: Scripted, url: string, res: http.ServerResponse): void {
  const model = ctx.model;
  if (url === '/info')
    return json(res, 200, { model_id: model, max_input_tokens: 4096, max_total_tokens: 8192, version: '3.3.5' });
  if (url === '/v1/models')
    return json(res, 200, { object: 'list', data: [{ id: model, object: 'model', owned_by: 'scripted' }] });
  if (url === '/health' || url === '/v2/health/ready') return void res.writeHead(200).end();
  if (url === '/metrics') {
    // vLLM-style gauges, so the scraper has something real to parse.
    const active = ctx.active;
    const body = `# HELP vllm:num_requests_running Number of requests in model execution batches.\n# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running{model_name="${model}"} ${active}\n# TYPE vllm:num_requests_waiting gauge\nvllm:num_requests_waiting{model_name="${model}"} 0\n# TYPE vllm:kv_cache_usage_perc gauge\nvllm:kv_cache_usage_perc{model_name="${model}"} ${(active / 100).toFixed(3)}\n`;
    return void res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
  }
  return json(res, 404, { error: 'not found' });
}

/** The streaming route a POST path names; a Triton path naming another model is 'unknown-model'. */
function routeOf(url: string, model: string): Route | 'unknown-model' | null {
  if (url === '/v1/completions') return 'completions';
  if (url === '/v1/chat/completions') return 'chat';
  if (url === '/generate_stream') return 'tgi';
  if (url === `/v2/models/${model}/generate_stream`) return 'triton';
  if (/^\/v2\/models\/[^/]+\/generate_stream$/.test(url)) return 'unknown-model';
  return null;
}

function onBody(
  ctx: Scripted,
  route: Route,
  raw: Buffer,
  recvMs: number,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): void {
  const o = ctx.o;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return json(res, 400, { error: 'invalid JSON body' });
  }
  const bad = o.validate?.(route, body) ?? [];
  if (bad.length) {
    ctx.problems.push({ route, problems: bad });
    return json(res, 400, { error: bad.join('; ') });
  }
  const script = typeof o.script === 'function' ? o.script(ctx.n++, route, body) : o.script;
  const entry: RequestLog = { route, body, recvMs, writeMs: [] };
  ctx.active++;
  res.once('close', () => ctx.active--);
  if (o.log !== false) ctx.requests.push(entry);
  serve(ctx, route, body, script, req, res, entry);
}

function serve(
  ctx: Scripted,
  route: Route,
  body: Record<string, unknown>,
  sc: Script,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  entry: RequestLog,
): void {
  const fault = sc.fault ?? 'none';
  if (fault === 'reset') return void req.socket.resetAndDestroy();
  if (fault === 'flood' || fault === 'long_line' || fault === 'drip' || fault === 'keepalive_stall')
    return hostile(ctx, route, fault, sc, res);
  if (fault === 'http_500') return json(res, 500, errBody(route, 'internal error (scripted)'));
  if (fault === 'http_400') return json(res, 400, errBody(route, 'bad request (scripted)'));
  if (fault === 'http_429') return json(res, 429, errBody(route, 'Model is overloaded'));
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  new ScriptedStream(ctx, route, body, sc, res, entry).begin();
}

/** setTimeout kept in the server's set, so close() can clear what is pending. */
function later(ctx: Scripted, ms: number, fn: () => void): void {
  const t = setTimeout(() => {
    ctx.timers.delete(t);
    fn();
  }, ms);
  ctx.timers.add(t);
}

/** One scripted stream, its headers sent: first token after ttftMs, then a chunk every itlMs, or the script's fault. */
class ScriptedStream {
  private readonly fault: Fault;
  private readonly NL: string;
  private readonly sep: string;
  private readonly total: number;
  private readonly per: number;
  private readonly promptTokens: number;
  private readonly id: string;
  private readonly start: number;
  private readonly wantFinish: boolean;
  private sent = 0;
  private chunkNo = 0;

  constructor(
    private readonly ctx: Scripted,
    private readonly route: Route,
    private readonly body: Record<string, unknown>,
    private readonly sc: Script,
    private readonly res: http.ServerResponse,
    private readonly entry: RequestLog,
  ) {
    this.fault = sc.fault ?? 'none';
    this.NL = sc.crlf ? '\r\n' : '\n';
    this.sep = route === 'tgi' ? 'data:' : 'data: ';
    // Like a server with ignore_eos: exactly the requested tokens, capped by the script.
    this.total = this.fault === 'no_output' ? 0 : Math.min(sc.tokens, requestedTokens(body) ?? sc.tokens);
    this.per = Math.max(1, route === 'tgi' ? 1 : (sc.tokensPerChunk ?? 1));
    // Like the real servers: the prompt's tokens plus BOS (chat: the message content only; no template here).
    this.promptTokens = sc.promptTokens ?? getTokenizer().count(promptOf(body)) + 1;
    this.id = `cmpl-${entry.recvMs.toFixed(3)}`;
    this.start = entry.recvMs;
    this.wantFinish = body.return_finish_reason === true;
  }

  begin(): void {
    if (this.total === 0 && this.fault === 'no_output') return this.noOutput();
    if (this.sc.ttftMs <= 0) this.step();
    else this.schedule(this.start + this.sc.ttftMs);
  }

  private send(payload: string): void {
    const { NL, res, sc } = this;
    const ev = `${this.sep}${payload}${NL}${NL}`;
    if (sc.crlf) res.write(`: keep-alive${NL}${NL}`);
    if (sc.splitEvents) {
      const mid = Math.floor(ev.length / 2);
      res.write(ev.slice(0, mid));
      res.write(ev.slice(mid));
    } else res.write(ev);
  }

  /** One OpenAI stream chunk as vLLM writes it: the choice's fields after `index`, then any `tail` fields. */
  private openAiChunk(object: string, choice: Record<string, unknown>, tail: Record<string, unknown> = {}): void {
    const { id, ctx } = this;
    this.send(
      JSON.stringify({ id, object, created: 0, model: ctx.model, choices: [{ index: 0, ...choice }], ...tail }),
    );
  }

  private finishOk(): void {
    const { route, promptTokens, sent } = this;
    if (route === 'completions' || route === 'chat') {
      this.send(
        JSON.stringify({
          id: this.id,
          object: route === 'completions' ? 'text_completion' : 'chat.completion.chunk',
          created: 0,
          model: this.ctx.model,
          choices: [],
          usage: { prompt_tokens: promptTokens, completion_tokens: sent, total_tokens: promptTokens + sent },
        }),
      );
      this.send('[DONE]');
    }
    this.res.end();
  }

  /** A stream with no output: TGI's lone EOS event, the others' usage and [DONE]. */
  private noOutput(): void {
    if (this.route !== 'tgi') return this.finishOk();
    this.send(
      JSON.stringify({
        index: 0,
        token: { id: 2, text: '</s>', logprob: 0, special: true },
        generated_text: '',
        details: { finish_reason: 'eos_token', generated_tokens: 0, input_length: this.promptTokens, seed: null },
        top_tokens: null,
      }),
    );
    this.res.end();
  }

  private readonly step = (): void => {
    const { res, sc, fault } = this;
    if (res.destroyed) return;
    if (fault !== 'none' && fault !== 'no_output' && this.sent >= (sc.faultAfter ?? 0) && this.faultNow()) return;
    if (this.sent >= this.total) return this.finishOk();
    const k = Math.min(this.per, this.total - this.sent);
    const ids = Array.from({ length: k }, (_, i) => (this.sent + i) % WORDS.length);
    const text = ids.map((i) => WORDS[i]).join('');
    const last = this.sent + k >= this.total;
    this.sent += k;
    this.chunkNo++;
    this.entry.writeMs.push(performance.now());
    this.writeChunk(ids, text, k, last);
    if (last) return this.finishOk();
    this.schedule(this.start + sc.ttftMs + this.chunkNo * sc.itlMs);
  };

  /** The scripted fault, once its tokens are sent: true when it ends the stream (or stalls it for good). */
  private faultNow(): boolean {
    const { fault, res } = this;
    if (fault === 'error_event' || fault === 'malformed') {
      this.send(fault === 'malformed' ? '{"choices": [{"text": "x"' : this.errorEvent());
      res.end();
    } else if (fault === 'truncate') res.socket?.destroy();
    else if (fault === 'end_early') res.end();
    else return fault === 'stall'; // stall: keep the connection open, send nothing more
    return true;
  }

  private errorEvent(): string {
    if (this.route === 'tgi')
      return JSON.stringify({ error: 'Request failed during generation: scripted', error_type: 'generation' });
    if (this.route === 'triton') return JSON.stringify({ error: 'scripted engine failure' });
    // vLLM >= 0.10 create_streaming_error_response: json.dumps of ErrorResponse(error=ErrorInfo(...)).
    return '{"error": {"message": "scripted engine failure", "type": "BadRequestError", "param": null, "code": 400}}';
  }

  /** One output chunk of `k` tokens in the route's format. */
  private writeChunk(ids: number[], text: string, k: number, last: boolean): void {
    const { route } = this;
    // vLLM sends the chat role chunk when the first output arrives, right before the first token's chunk.
    if (route === 'chat' && this.chunkNo === 1)
      this.openAiChunk('chat.completion.chunk', {
        delta: { role: 'assistant', content: '' },
        logprobs: null,
        finish_reason: null,
      });
    const finish_reason = last ? 'length' : null;
    if (route === 'completions') {
      this.openAiChunk('text_completion', { text, logprobs: null, finish_reason, stop_reason: null }, { usage: null });
    } else if (route === 'chat') {
      this.openAiChunk('chat.completion.chunk', { delta: { content: text }, logprobs: null, finish_reason });
    } else if (route === 'tgi') this.tgiChunk(ids[0], text, last);
    else {
      // Triton writes outputs in name order; the vLLM backend's finish_reason is "None" until the last.
      this.send(
        JSON.stringify({
          ...(this.wantFinish ? { finish_reason: last ? 'length' : 'None' } : {}),
          model_name: this.ctx.model,
          model_version: '1',
          num_input_tokens: this.promptTokens,
          num_output_tokens: k,
          text_output: text,
        }),
      );
    }
  }

  private tgiChunk(first: number, text: string, last: boolean): void {
    const { total } = this;
    const tok = { id: WORD_IDS[first], text, logprob: -0.5, special: false };
    const fin = last
      ? {
          generated_text: genText(total),
          details: { finish_reason: 'length', generated_tokens: total, input_length: this.promptTokens, seed: null },
        }
      : { generated_text: null, details: null };
    this.send(JSON.stringify({ index: this.sent, token: tok, ...fin, top_tokens: null }));
  }

  /** Absolute deadlines, so one late timer does not shift every later token. */
  private schedule(at: number): void {
    later(this.ctx, Math.max(0, at - performance.now()), this.step);
  }
}

/** One hostile-stream event in the route's format (the i-th word). */
function hostileEvent(route: Route, model: string, i: number): string {
  const sep = route === 'tgi' ? 'data:' : 'data: ';
  const t = WORDS[i % WORDS.length];
  if (route === 'tgi')
    return `${sep}{"index":${i + 1},"token":{"id":${WORD_IDS[i % WORDS.length]},"text":${JSON.stringify(t)},"logprob":-0.5,"special":false},"generated_text":null,"details":null}\n\n`;
  if (route === 'triton')
    return `${sep}{"finish_reason":"None","model_name":"${model}","model_version":"1","num_input_tokens":5,"num_output_tokens":1,"text_output":${JSON.stringify(t)}}\n\n`;
  if (route === 'chat')
    return `${sep}{"id":"x","object":"chat.completion.chunk","created":0,"model":"${model}","choices":[{"index":0,"delta":{"content":${JSON.stringify(t)}},"logprobs":null,"finish_reason":null}]}\n\n`;
  return `${sep}{"id":"x","object":"text_completion","created":0,"model":"${model}","choices":[{"index":0,"text":${JSON.stringify(t)},"logprobs":null,"finish_reason":null,"stop_reason":null}],"usage":null}\n\n`;
}

/** A hostile stream; each loop is bounded by the client closing the connection (or the server closing). */
function hostile(ctx: Scripted, route: Route, fault: Fault, sc: Script, res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  if (fault === 'flood') return flood(ctx, route, res);
  if (fault === 'long_line') return longLine(route, sc, res);
  const every = sc.dripMs ?? 10;
  if (fault === 'keepalive_stall') {
    const tick = () => {
      if (res.destroyed) return;
      res.write(':\n\n');
      later(ctx, every, tick);
    };
    return later(ctx, every, tick);
  }
  // drip: one byte at a time, forever (the event never completes quickly).
  let i = 0;
  let cur = hostileEvent(route, ctx.model, 0);
  let pos = 0;
  const tick = () => {
    if (res.destroyed) return;
    if (pos >= cur.length) {
      cur = hostileEvent(route, ctx.model, ++i);
      pos = 0;
    }
    res.write(cur[pos++]);
    later(ctx, every, tick);
  };
  later(ctx, every, tick);
}

/** Tokens as fast as the socket drains: write a batch, continue when it is drained. */
function flood(ctx: Scripted, route: Route, res: http.ServerResponse): void {
  let i = 0;
  const pump = () => {
    while (!res.destroyed) {
      let batch = '';
      for (let k = 0; k < 256; k++) batch += hostileEvent(route, ctx.model, i++);
      if (!res.write(batch)) return void res.once('drain', pump);
    }
  };
  pump();
}

/** One `data:` line that never ends within the bound: 64 KiB writes of 'x' after a JSON-looking start. */
function longLine(route: Route, sc: Script, res: http.ServerResponse): void {
  let left = sc.lineBytes ?? 50 * 1024 * 1024;
  const block = Buffer.alloc(64 * 1024, 'x');
  res.write(`${route === 'tgi' ? 'data:' : 'data: '}{"text":"`);
  const pump = () => {
    while (!res.destroyed && left > 0) {
      const b = left >= block.length ? block : block.subarray(0, left);
      left -= b.length;
      if (!res.write(b)) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end('"}\n\n');
  };
  pump();
}

/** The prompt of any of the four routes (chat: the first message; no template here). */
function promptOf(b: Record<string, unknown>): string {
  return String(
    b.prompt ?? b.inputs ?? b.text_input ?? (b.messages as { content?: string }[] | undefined)?.[0]?.content ?? '',
  );
}

function requestedTokens(b: Record<string, unknown>): number | undefined {
  const params = b.parameters as { max_new_tokens?: number } | undefined;
  let sp: { max_tokens?: number } | undefined;
  try {
    sp = typeof b.sampling_parameters === 'string' ? JSON.parse(b.sampling_parameters) : undefined;
  } catch {
    sp = undefined;
  }
  const v = b.max_completion_tokens ?? b.max_tokens ?? params?.max_new_tokens ?? sp?.max_tokens;
  return typeof v === 'number' ? v : undefined;
}

function genText(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += WORDS[i % WORDS.length];
  return s;
}

function errBody(route: Route, message: string): unknown {
  if (route === 'tgi') return { error: message, error_type: 'validation' };
  if (route === 'triton') return { error: message };
  return { error: { message, type: 'BadRequestError', param: null, code: 400 } };
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const s = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s) }).end(s);
}

// Child-process mode for the bench: `tsx scripted-server.ts '{"script":{...},"log":true}'`. Prints
// `listening <url>`; on a line "dump" on stdin it prints one JSON line: the request logs since the last dump, the
// server's CPU time, and the offset that puts its times on CLOCK_MONOTONIC.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as { script: Script; log?: boolean; model?: string };
  const srv = await startScriptedServer({ script: cfg.script, log: cfg.log, model: cfg.model });
  process.stdout.write(`listening ${srv.url}\n`);
  let buf = '';
  let cpu0 = process.cpuUsage();
  process.stdin.on('data', (d) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (line === 'dump') {
        const cpu = process.cpuUsage(cpu0);
        cpu0 = process.cpuUsage();
        // One clock for every process on the machine: the bench puts the server's times on its own axis
        // (request transit and delivery, not just differences).
        const hrOffsetMs = perfToMonotonicMs();
        const logs = srv.requests.map((r) => {
          return { prompt: promptOf(r.body as Record<string, unknown>), recvMs: r.recvMs, writeMs: r.writeMs };
        });
        process.stdout.write(JSON.stringify({ hrOffsetMs, cpuUs: cpu.user + cpu.system, logs }) + '\n');
        srv.requests.length = 0;
      }
    }
  });
  process.stdin.on('end', () => void srv.close().then(() => process.exit(0)));
}
