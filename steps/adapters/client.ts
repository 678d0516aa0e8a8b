/**
 * The one timing code for every protocol: sends a request with undici, reads the SSE body, timestamps every
 * network read with a monotonic clock, lets the adapter's decoder say which events are output events (an event
 * that carries at least one generated token, an EOS or other special token with empty text included: the same
 * tokens the server counts), and turns every failure into a categorized sample (never an exception).
 *
 * Everything a server can inflate is bounded: the deadline covers the whole response (headers and body), output
 * beyond a multiple of the requested tokens is cut (output_overflow), one SSE line or event over a size bound is
 * malformed_chunk (sse.ts), and so chunk stamps per request are bounded too. The stall timeout counts only output
 * events: keep-alive comments (TGI writes one every 15 s) and other bytes do not reset it, and before the first
 * event it is the TTFT deadline, measured from the send for every server alike (whether or not headers came).
 */
import { getGlobalDispatcher, type Dispatcher } from 'undici';
import type { Sample } from '../core/types/sample.js';
import type { Tokenizer } from '../workload/tokenizer.js';
import type { TokenCount, TokenCounter } from '../workload/token-counter.js';
import { createSseStream, MAX_EVENT_CHARS, SseTooLarge, type SseStream } from './sse.js';
import type { Adapter, GenRequest, StreamDecoder, StreamSink, WireRequest } from './types.js';

/** Epoch ms from the monotonic clock (the sample schema's clock). */
export const nowMs = (): number => performance.timeOrigin + performance.now();

type ErrorCategory = NonNullable<Sample['error']>['category'];

/** What the scheduler knows about a request before it is sent (the rest of the Sample is measured). */
export type SampleBase = Pick<
  Sample,
  | 'run_id'
  | 'backend'
  | 'arm'
  | 'concurrency'
  | 'rate'
  | 'trial'
  | 'seq'
  | 'prompt_index'
  | 'warmup'
  | 'time_scale'
  | 'intended_send_ms'
  | 'input_tokens'
>;

/**
 * The base of one request outside a sweep's schedule (probes, benches, tests): concurrency 1, trial 0, seq 0,
 * measured, sent now; `clientTokens` is the client tokenizer's prompt count. `over` replaces fields in place.
 */
export function loneRequestBase(
  run_id: string,
  backend: string,
  clientTokens: number | null,
  over: Partial<SampleBase> = {},
): SampleBase {
  return {
    run_id,
    backend,
    concurrency: 1,
    rate: null,
    trial: 0,
    seq: 0,
    prompt_index: 0,
    warmup: false,
    intended_send_ms: nowMs(),
    input_tokens: { requested: null, client: clientTokens, server: null },
    ...over,
  };
}

export interface ExecOptions {
  adapter: Adapter;
  api: string;
  /** Base URL, e.g. http://127.0.0.1:8000 (a trailing slash is fine). */
  url: string;
  req: GenRequest;
  base: SampleBase;
  headers?: Record<string, string>;
  dispatcher?: Dispatcher;
  /** Per-request deadline, ms (category timeout). */
  timeoutMs: number;
  /** No output event for this long = stalled, ms; before the first event, from the send (the TTFT deadline).
   * Bytes that are not output events (keep-alive comments, role or usage chunks) do not reset it. */
  stallTimeoutMs?: number;
  /** Output bound: more than maxTokens × this factor + 16 tokens (or output events) is output_overflow. */
  outputFactor?: number;
  /** Bound on one SSE line or event, characters (default MAX_EVENT_CHARS). */
  maxEventChars?: number;
  /** Cross-check the server's output count with the client tokenizer on 1 request in this many (by seq); the
   * tokenizer also runs whenever the server gives no count or its count differs from the output events. */
  clientCountEvery?: number;
  /** Sweep stop: in-flight requests end as category cancelled. */
  signal?: AbortSignal;
  /** Client tokenizer for per-chunk and (sampled) total output counts; null skips client counting. */
  tokenizer?: Tokenizer | null;
  /** Or: counts off the timing thread (the sweep's worker-thread counter); preferred over `tokenizer`. */
  counter?: TokenCounter;
}

/**
 * Reads wait here to be parsed; the queue is drained once per event-loop turn by setImmediate, which runs after
 * the poll phase. So when many streams' chunks arrive together (a batch server's decode step), the ready reads are
 * timestamped before they are parsed: the n-th stream's stamp is not late by n − 1 parses. (A stream whose last
 * chunk and end arrive in one read is parsed at once, in onResponseEnd; that one parse can still precede others.)
 */
const parseQueue: (() => void)[] = [];
let drainScheduled = false;
function drainParseQueue(): void {
  drainScheduled = false;
  const batch = parseQueue.splice(0);
  for (const fn of batch) {
    try {
      fn();
    } catch {
      // Each closure settles its own request on failure; one must never cost the others their parse.
    }
  }
}
function deferParse(fn: () => void): void {
  parseQueue.push(fn);
  if (!drainScheduled) {
    drainScheduled = true;
    setImmediate(drainParseQueue);
  }
}

class StreamFailure extends Error {
  constructor(
    readonly category: ErrorCategory,
    message: string,
  ) {
    super(message);
  }
}

const trim = (s: string) => (s.length > 500 ? s.slice(0, 497) + '...' : s);

/** Default output bound factor: a server may send up to 4× the requested tokens (+16) before being cut. */
export const OUTPUT_FACTOR = 4;
/** Default: the client tokenizer cross-checks the server's count on one request in 16. */
export const CLIENT_COUNT_EVERY = 16;

/** One request being measured: the sample being filled and what the stream has said so far. */
interface Exchange {
  readonly o: ExecOptions;
  readonly s: Sample;
  /** Per output event: its text, and its tokens when the server says (null: unknown). */
  readonly texts: string[];
  readonly knownTokens: (number | null)[];
  /** Receive stamp of the network read being parsed. */
  readAt: number;
  sawDone: boolean;
  streamError: string | null;
  serverOut: number | null;
  readonly outputBound: number;
  tokensSeen: number;
  /** Receive stamp of the last output event (0: none yet). */
  lastOutputAt: number;
  readonly ac: AbortController;
  abortCategory: ErrorCategory | null;
  status: number | null;
  /** The sweep's stop signal's listener. */
  readonly onAbort: () => void;
  deadline?: NodeJS.Timeout;
  stallTimer?: NodeJS.Timeout;
}

export async function executeRequest(o: ExecOptions): Promise<Sample> {
  const x = newExchange(o);
  const decoder = o.adapter.decoder(o.api, outputSink(x));
  const wire = o.adapter.build(o.req, o.api);
  armDeadlines(x);
  try {
    x.s.sent_ms = nowMs();
    if (x.ac.signal.aborted) throw new StreamFailure(x.abortCategory ?? 'cancelled', 'not sent: sweep stopped');
    await readResponse(x, eventStream(x, decoder), wire);
    x.s.end_ms = nowMs();
    if (x.streamError !== null)
      throw new StreamFailure('stream_error_event', `error event under HTTP ${x.status}: ${x.streamError}`);
    const trunc = decoder.truncation(x.sawDone);
    if (trunc) throw new StreamFailure('stream_truncated', trunc);
    x.s.ok = true;
  } catch (e) {
    recordFailure(x, e);
  } finally {
    disarmDeadlines(x);
  }
  x.s.output_tokens.server = x.serverOut;
  const every = Math.max(1, o.clientCountEvery ?? CLIENT_COUNT_EVERY);
  await countTokens(x.s, x.texts, x.knownTokens, o.tokenizer ?? null, o.counter, o.base.seq % every === 0);
  flagNoOutput(x);
  return x.s;
}

function newExchange(o: ExecOptions): Exchange {
  const s: Sample = {
    v: 1,
    ...o.base,
    api: o.api,
    sent_ms: 0,
    headers_ms: null,
    chunk_ms: [],
    chunk_tokens: [],
    end_ms: null,
    output_tokens: { requested: o.req.maxTokens, server: null, client: null },
    finish_reason: null,
    ok: false,
    error: null,
  };
  if (s.time_scale === undefined) delete s.time_scale;
  if (s.arm === undefined) delete s.arm;
  const x: Exchange = {
    o,
    s,
    texts: [],
    knownTokens: [],
    readAt: 0,
    sawDone: false,
    streamError: null,
    serverOut: null,
    outputBound: Math.floor(o.req.maxTokens * (o.outputFactor ?? OUTPUT_FACTOR)) + 16,
    tokensSeen: 0,
    lastOutputAt: 0,
    ac: new AbortController(),
    abortCategory: null,
    status: null,
    onAbort: () => abort(x, 'cancelled'),
  };
  return x;
}

/** Ends the request; the first reason given is the one recorded. */
function abort(x: Exchange, category: ErrorCategory): void {
  x.abortCategory ??= category;
  x.ac.abort();
}

/** What the decoder understood lands in the exchange; an output event gets its network read's stamp. */
function outputSink(x: Exchange): StreamSink {
  const { o, s } = x;
  return {
    output(text, tokens) {
      x.tokensSeen += tokens ?? 1;
      if (s.chunk_ms.length >= x.outputBound || x.tokensSeen > x.outputBound)
        throw new StreamFailure(
          'output_overflow',
          `more than ${x.outputBound} output tokens for max ${o.req.maxTokens} (${o.outputFactor ?? OUTPUT_FACTOR}× + 16): cut`,
        );
      s.chunk_ms.push(x.readAt);
      x.lastOutputAt = x.readAt;
      x.texts.push(text);
      x.knownTokens.push(tokens);
    },
    serverOutputTokens: (n) => (x.serverOut = n),
    addServerOutputTokens: (n) => (x.serverOut = (x.serverOut ?? 0) + n),
    serverInputTokens: (n) => (s.input_tokens = { ...s.input_tokens, server: n }),
    finishReason: (r) => (s.finish_reason = r),
    done: () => (x.sawDone = true),
    error: (m) => {
      if (x.streamError === null) x.streamError = m;
    },
  };
}

/** The sweep's stop signal, the whole-response deadline and the stall timer, each ending the request its way. */
function armDeadlines(x: Exchange): void {
  const { o } = x;
  if (o.signal?.aborted) x.onAbort();
  o.signal?.addEventListener('abort', x.onAbort, { once: true });
  x.deadline = setTimeout(() => abort(x, 'timeout'), o.timeoutMs);
  // One timer per stall period, not one per chunk: when it fires it re-arms for what is left since the last event.
  const stallMs = o.stallTimeoutMs ?? o.timeoutMs;
  const checkStall = () => {
    const idle = nowMs() - (x.lastOutputAt || x.s.sent_ms);
    if (idle >= stallMs) abort(x, 'stalled');
    else x.stallTimer = setTimeout(checkStall, stallMs - idle);
  };
  if (stallMs < o.timeoutMs) x.stallTimer = setTimeout(checkStall, stallMs);
}

function disarmDeadlines(x: Exchange): void {
  clearTimeout(x.deadline);
  clearTimeout(x.stallTimer);
  x.o.signal?.removeEventListener('abort', x.onAbort);
}

/** SSE framing into the adapter's decoder; an event the decoder cannot parse is malformed_chunk. */
function eventStream(x: Exchange, decoder: StreamDecoder): SseStream {
  return createSseStream(
    (data, event) => {
      if (x.streamError !== null) return;
      try {
        decoder.onEvent(data, event);
      } catch (e) {
        if (e instanceof StreamFailure) throw e;
        throw new StreamFailure(
          'malformed_chunk',
          `unparseable event data: ${(e as Error).message}: ${data.slice(0, 200)}`,
        );
      }
    },
    undefined,
    x.o.maxEventChars ?? MAX_EVENT_CHARS,
  );
}

/**
 * Sends the request with undici's dispatch API and a handler: each network read reaches us directly, without a
 * Readable stream in between (the per-chunk cost is what limits how many streams one process can time honestly).
 */
function readResponse(x: Exchange, sse: SseStream, wire: WireRequest): Promise<void> {
  const { o } = x;
  const target = new URL(o.url.replace(/\/+$/, '') + wire.path);
  return new Promise<void>((resolve, reject) => {
    (o.dispatcher ?? getGlobalDispatcher()).dispatch(
      {
        origin: target.origin,
        path: target.pathname + target.search,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...o.headers },
        body: JSON.stringify(wire.body),
        // Our deadline and stall timers decide; undici's are a backstop only (its bodyTimeout is reset by any
        // byte, so a keep-alive comment every 15 s would hide a stall).
        headersTimeout: o.timeoutMs + 5000,
        bodyTimeout: o.timeoutMs + 5000,
      },
      new BodyReader(x, sse, resolve, reject),
    );
  });
}

/**
 * undici's handler for one response: raw reads and their arrival times (parallel arrays: no object per read),
 * parsed later in the same turn (deferParse) or before any ending. Settles the request's promise once.
 */
class BodyReader implements Dispatcher.DispatchHandler {
  private ctrl: Dispatcher.DispatchController | undefined;
  private settled = false;
  private errorBody = '';
  private readonly reads: Buffer[] = [];
  private readonly readTimes: number[] = [];
  private parseQueued = false;

  constructor(
    private readonly x: Exchange,
    private readonly sse: SseStream,
    private readonly resolve: () => void,
    private readonly reject: (e: unknown) => void,
  ) {
    x.ac.signal.addEventListener('abort', this.onAbortCtl, { once: true });
  }

  onRequestStart(c: Dispatcher.DispatchController): void {
    // undici calls this right before writing the request onto a connected socket: the actual send.
    // Waiting for a connection (pool, TCP connect) before it is client-side queueing, seen in queue_ms.
    this.x.s.sent_ms = nowMs();
    this.ctrl = c;
    if (this.x.ac.signal.aborted) c.abort(new StreamFailure(this.x.abortCategory ?? 'cancelled', ''));
  }

  onResponseStart(_c: Dispatcher.DispatchController, code: number): void {
    this.x.s.headers_ms = nowMs();
    this.x.status = code;
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    const status = this.x.status;
    if (status !== null && status >= 400) {
      if (this.errorBody.length < 2000) this.errorBody += chunk.toString('utf8');
      return;
    }
    this.readTimes.push(nowMs());
    this.reads.push(chunk);
    if (!this.parseQueued) {
      this.parseQueued = true;
      deferParse(this.parsePending);
    }
  }

  onResponseEnd(): void {
    if (this.settled) return;
    this.parsePending();
    if (this.settled) return;
    const status = this.x.status;
    if (status !== null && status >= 400) {
      this.settle(new StreamFailure(status >= 500 ? 'http_5xx' : 'http_4xx', `HTTP ${status}: ${this.errorBody}`));
      return;
    }
    this.x.readAt = nowMs();
    try {
      this.sse.end();
    } catch (e) {
      this.settle(e instanceof SseTooLarge ? new StreamFailure('malformed_chunk', e.message) : e);
      return;
    }
    this.settle();
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.parsePending(); // a socket error in mid-turn keeps the chunks that did arrive
    this.settle(err);
  }

  /** Runs from a setImmediate, outside undici's callbacks: it must settle on any failure, never throw. */
  private readonly parsePending = (): void => {
    this.parseQueued = false;
    try {
      for (let i = 0; i < this.reads.length && !this.settled; i++) {
        this.x.readAt = this.readTimes[i];
        try {
          this.sse.feed(this.reads[i]);
        } catch (e) {
          this.stop(e instanceof SseTooLarge ? new StreamFailure('malformed_chunk', e.message) : e);
          break;
        }
        // An error event ends the request: stop reading.
        if (this.x.streamError !== null) this.stop();
      }
    } catch (e) {
      this.settle(e);
    } finally {
      this.reads.length = 0;
      this.readTimes.length = 0;
    }
  };

  private settle(e?: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.x.ac.signal.removeEventListener('abort', this.onAbortCtl);
    if (e === undefined) this.resolve();
    else this.reject(e);
  }

  private stop(e?: unknown): void {
    this.settle(e);
    // Close this connection: it still carries the rest of a response nobody will read.
    try {
      this.ctrl?.abort(new StreamFailure('client_error', 'closed by client'));
    } catch {
      // already closed: nothing left to stop
    }
  }

  private readonly onAbortCtl = (): void => {
    this.parsePending(); // a stop in mid-turn (sweep stop) keeps reads not yet parsed
    const e = new StreamFailure(this.x.abortCategory ?? 'cancelled', '');
    if (this.ctrl) this.ctrl.abort(e);
    this.settle(e);
  };
}

function recordFailure(x: Exchange, e: unknown): void {
  const { o, s } = x;
  s.end_ms = nowMs();
  s.ok = false;
  const cat = e instanceof StreamFailure ? e.category : categorize(e, x.abortCategory, s.headers_ms !== null);
  const msg = e instanceof StreamFailure && e.message ? e.message : describe(e, cat, o, s.chunk_ms[0] ?? null);
  s.error = { category: cat, message: trim(msg), http_status: x.status };
}

/** A request that completed without a single output event (or that the server counts as 0 tokens) failed. */
function flagNoOutput(x: Exchange): void {
  const s = x.s;
  if (s.ok && (s.chunk_ms.length === 0 || s.output_tokens.server === 0)) {
    s.ok = false;
    s.error = {
      category: 'no_output',
      message: `the request completed with no output (${s.chunk_ms.length} output chunks, server count ${s.output_tokens.server})`,
      http_status: x.status,
    };
  }
}

/**
 * Tokens per output event: the server's own number when it gives one (TGI one per event, Triton
 * num_output_tokens); when the server only gives a total that equals the event count, every event carried one
 * token; otherwise (several tokens in some chunks) the client tokenizer on each event's text.
 * The server's total is primary. The client tokenizer's total (the joined text, without special tokens, so an
 * EOS makes it one less) is computed when the server gives none, when per-event counts are needed, and on a
 * sample of requests (`crossCheck`) so a server whose counts disagree with its text is still caught
 * (derive.ts counts mismatches) without tokenizing every chunk of every request.
 */
async function countTokens(
  s: Sample,
  texts: string[],
  known: (number | null)[],
  tok: Tokenizer | null,
  counter: TokenCounter | undefined,
  crossCheck: boolean,
): Promise<void> {
  const n = texts.length;
  let allKnown = true;
  for (const k of known) if (k === null) allKnown = false;
  const server = s.output_tokens.server;
  const oneEach = !allKnown && server !== null && server === n;
  const needPer = !allKnown && !oneEach;
  const wantTotal = needPer || server === null || crossCheck;
  let c: TokenCount | null = null;
  if (n > 0 && wantTotal && counter) c = await counter.count(texts, needPer);
  else if (n > 0 && wantTotal && tok)
    c = { total: tok.count(texts.join('')), per: needPer ? texts.map((t) => Math.max(1, tok.count(t))) : null };
  if (allKnown) s.chunk_tokens = known as number[];
  else if (oneEach) s.chunk_tokens = new Array<number>(n).fill(1);
  else if (c?.per) s.chunk_tokens = texts.map((_, i) => known[i] ?? c!.per![i]);
  else s.chunk_tokens = known.map((k) => k ?? 1);
  if (c) s.output_tokens.client = c.total;
}

function categorize(e: unknown, abortCategory: ErrorCategory | null, gotHeaders: boolean): ErrorCategory {
  const err = e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = err?.code ?? err?.cause?.code;
  if (abortCategory) return abortCategory;
  if (code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'timeout';
  if (code === 'ECONNREFUSED') return 'connect_refused';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'connect_reset';
  // undici: the socket closed before the response (or its chunked body) was complete.
  if (code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') return gotHeaders ? 'stream_truncated' : 'connect_reset';
  if (code === 'EMFILE' || code === 'EADDRNOTAVAIL' || code === 'ENFILE') return 'client_error';
  return 'other';
}

function describe(e: unknown, cat: ErrorCategory, o: ExecOptions, first: number | null): string {
  const err = e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  if (cat === 'timeout') return `no complete response within the ${o.timeoutMs} ms deadline`;
  if (cat === 'stalled' && first === null)
    return `no output event within ${o.stallTimeoutMs ?? o.timeoutMs} ms of sending (TTFT deadline)`;
  if (cat === 'stalled')
    return `no output event for ${o.stallTimeoutMs ?? o.timeoutMs} ms (stall timeout; keep-alive comments do not count)`;
  if (cat === 'cancelled') return 'sweep stopped while the request was in flight';
  const code = err?.code ?? err?.cause?.code;
  return `${code ? code + ': ' : ''}${err?.message ?? String(e)}`;
}
