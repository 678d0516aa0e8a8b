/**
 * What every dialect shares: request bodies, SSE writing, and `generate()`, which turns one request into an
 * engine sequence plus its output tokens and applies the per-request faults (error, cut, stall).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine, FinishReason, Seq } from './engine.js';
import type { ResolvedProfile } from './profiles.js';
import type { Tokenizer } from '../workload/tokenizer.js';
import { naturalLength, outputFor } from './textgen.js';
import type { FaultState } from './faults.js';

export interface SimContext {
  engine: Engine;
  profile: ResolvedProfile;
  tok: Tokenizer;
  /** Name the model is served under (vLLM --served-model-name, Triton model directory). */
  servedModel: string;
  seed: number;
  timeScale: number;
  faults: FaultState;
  startedAt: number;
  /** Counts inference requests (crash_after_requests). */
  onInferenceRequest(): void;
}

class BodyError extends Error {}

const MAX_BODY = 16 * 1024 * 1024;

/** A request body: its JSON, or why there is none (`badJson`: not JSON or too large; else the read failed). */
export type BodyRead = { ok: true; body: unknown } | { ok: false; message: string; badJson: boolean };

/** Reads a JSON body; a failure is returned, for the dialect to answer in its own error format. */
export async function readBody(req: IncomingMessage): Promise<BodyRead> {
  try {
    return { ok: true, body: await readJson(req) };
  } catch (e) {
    return { ok: false, message: e instanceof BodyError ? e.message : String(e), badJson: e instanceof BodyError };
  }
}

/** Reads a JSON body. Throws BodyError when it is not JSON or too large. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new BodyError('request body too large');
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BodyError(`invalid JSON: ${(e as Error).message}`);
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const s = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s), ...headers });
  res.end(s);
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export interface SseOptions {
  /** `data: ` (vLLM's `f"data: {...}\n\n"`, Triton's http_server.cc) or `data:` (axum, TGI: no space). */
  prefix?: string;
  headers?: Record<string, string>;
  /** axum's KeepAlive (TGI): after this long without an event, write the comment `:\n\n` (wall ms). */
  keepAliveMs?: number;
}

/** Server-sent events, framed as each server frames them (SseOptions). */
export class Sse {
  private readonly prefix: string;
  private lastWrite = 0;
  private keepAlive: NodeJS.Timeout | undefined;
  constructor(
    readonly res: ServerResponse,
    private readonly o: SseOptions = {},
  ) {
    this.prefix = o.prefix ?? 'data: ';
  }
  open(status = 200): void {
    if (this.res.headersSent) return;
    this.res.writeHead(status, this.o.headers ?? { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    this.res.flushHeaders();
    this.direct = (this.res as unknown as { chunkedEncoding?: boolean }).chunkedEncoding === true;
    const ka = this.o.keepAliveMs;
    if (ka !== undefined && ka > 0) {
      this.lastWrite = performance.now();
      // One timer per interval (not one per event): it re-arms for what is left since the last event.
      const tick = () => {
        if (this.res.writableEnded || this.res.destroyed) return;
        const idle = performance.now() - this.lastWrite;
        if (idle >= ka) {
          this.write(':\n\n');
          this.lastWrite = performance.now();
          this.keepAlive = setTimeout(tick, ka);
        } else this.keepAlive = setTimeout(tick, ka - idle);
      };
      this.keepAlive = setTimeout(tick, ka);
      this.keepAlive.unref();
      this.res.once('close', () => clearTimeout(this.keepAlive));
    }
  }
  private corked = false;
  /** Chunked framing written directly (set once headers are out with chunked transfer encoding). */
  private direct = false;
  send(data: unknown): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    if (!this.res.headersSent) this.open();
    // Events written in the same tick (a catch-up burst of engine steps) leave in one write.
    if (!this.corked) {
      this.corked = true;
      const sock = this.res.socket;
      sock?.cork();
      process.nextTick(() => {
        this.corked = false;
        sock?.uncork();
      });
    }
    this.write(this.prefix + (typeof data === 'string' ? data : JSON.stringify(data)) + '\n\n');
    if (this.keepAlive) this.lastWrite = performance.now();
  }
  private write(payload: string): void {
    const sock = this.res.socket;
    // Hot path: frame the HTTP/1.1 chunk ourselves on the socket (res.write's chunked path costs ~2x more CPU
    // per event); res.end() still writes the terminating chunk.
    if (sock && this.direct) sock.write(Buffer.byteLength(payload).toString(16) + '\r\n' + payload + '\r\n');
    else this.res.write(payload);
  }
  end(): void {
    clearTimeout(this.keepAlive);
    if (!this.res.writableEnded) this.res.end();
  }
}

export interface GenerateRequest {
  /** Prompt text (chooses the output text and natural length deterministically). */
  prompt: string;
  promptTokens: number;
  maxTokens: number;
  minTokens?: number;
  ignoreEos: boolean;
  /** Fault: fail with an engine error instead of emitting this output token (0-based). */
  errorAt?: number;
}

/** Mistral's `</s>`: the token a request that stops by itself ends with. */
export const EOS_ID = 2;

export interface GenerateHandlers {
  /** Output token `index` (0-based) with its id, decoded text and that text as a JSON string literal. `special`:
   * the end-of-sequence token a naturally stopping request ends with (text ''), counted as a generated token as
   * every real server counts it (vLLM completion_tokens, TGI generated_tokens, Triton num_output_tokens). */
  onToken(index: number, id: number, piece: string, seq: Seq, pieceJson: string, special: boolean): void;
  onFinish(reason: FinishReason, generated: number, seq: Seq): void;
  /** A mid-stream engine error (fault) replaced output token `index`. */
  onError?(index: number, seq: Seq): void;
}

/**
 * Starts a generation. Faults decided up front from the seeded fault RNG: a cut destroys the socket after some
 * tokens, a stall stops sending (socket left open). The engine sequence is aborted when the client goes away.
 */
export function generate(
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  g: GenerateRequest,
  h: GenerateHandlers,
): Seq {
  const m = ctx.profile.model;
  let n = g.maxTokens;
  let reason: FinishReason = 'length';
  if (!g.ignoreEos) {
    const nat = Math.max(
      g.minTokens ?? 0,
      naturalLength(g.prompt, ctx.seed, m.natural_output.median_tokens, m.natural_output.sigma),
    );
    if (nat < n) {
      n = nat;
      reason = 'stop';
    }
  }
  // A natural stop ends with the EOS token: n − 1 text tokens, then EOS (empty text).
  const eos = reason === 'stop';
  const out = outputFor(g.prompt, eos ? n - 1 : n, ctx.seed);
  const fault = ctx.faults.streamFault(n);
  const seq = ctx.engine.submit({
    promptTokens: g.promptTokens,
    outputTokens: n,
    finishReason: reason,
    sink: {
      onToken: (s) => {
        const i = s.generated - 1;
        if (g.errorAt !== undefined && i >= g.errorAt) {
          ctx.engine.abort(s);
          h.onError?.(i, s);
          return;
        }
        if (fault && i >= fault.afterTokens) {
          ctx.engine.abort(s);
          // Cut after what was already written has left (events of this tick are corked).
          if (fault.kind === 'cut') {
            res.socket?.uncork();
            setImmediate(() => res.destroy());
          }
          // stall: keep the socket open, send nothing more.
          return;
        }
        if (eos && i === n - 1) h.onToken(i, EOS_ID, '', s, '""', true);
        else h.onToken(i, out.ids[i], out.pieces[i], s, out.json[i], false);
      },
      onFinish: (s, r) => h.onFinish(r, s.generated, s),
    },
  });
  const gone = () => ctx.engine.abort(seq);
  res.once('close', gone);
  req.once('aborted', gone);
  return seq;
}
