/**
 * The one timing code for every protocol: sends a request with undici, reads the SSE body, timestamps every
 * network read with a monotonic clock, lets the adapter's decoder say which events carry output, and turns every
 * failure into a categorized sample (never an exception).
 */
import { getGlobalDispatcher, type Dispatcher } from 'undici';
import type { Sample } from '../core/types/sample.js';
import type { Tokenizer } from '../workload/tokenizer.js';
import type { TokenCount, TokenCounter } from '../workload/token-counter.js';
import { createSseStream } from './sse.js';
import type { Adapter, GenRequest, StreamSink } from './types.js';

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
  /** No bytes for this long after the headers = stalled, ms. */
  stallTimeoutMs?: number;
  /** Sweep stop: in-flight requests end as category cancelled. */
  signal?: AbortSignal;
  /** Client tokenizer for per-chunk and total output counts; null skips client counting. */
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

export async function executeRequest(o: ExecOptions): Promise<Sample> {
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
  const texts: string[] = [];
  const knownTokens: (number | null)[] = [];
  let readAt = 0;
  let sawDone = false;
  let streamError: string | null = null;
  let serverOut: number | null = null;
  const sink: StreamSink = {
    output(text, tokens) {
      s.chunk_ms.push(readAt);
      texts.push(text);
      knownTokens.push(tokens);
    },
    serverOutputTokens: (n) => (serverOut = n),
    addServerOutputTokens: (n) => (serverOut = (serverOut ?? 0) + n),
    serverInputTokens: (n) => (s.input_tokens = { ...s.input_tokens, server: n }),
    finishReason: (r) => (s.finish_reason = r),
    done: () => (sawDone = true),
    error: (m) => {
      if (streamError === null) streamError = m;
    },
  };
  const decoder = o.adapter.decoder(o.api, sink);
  const wire = o.adapter.build(o.req, o.api);

  const ac = new AbortController();
  let abortCategory: ErrorCategory | null = null;
  const onAbort = () => {
    abortCategory ??= 'cancelled';
    ac.abort();
  };
  if (o.signal?.aborted) onAbort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const deadline = setTimeout(() => {
    abortCategory ??= 'timeout';
    ac.abort();
  }, o.timeoutMs);

  let status: number | null = null;
  try {
    s.sent_ms = nowMs();
    if (ac.signal.aborted) throw new StreamFailure(abortCategory ?? 'cancelled', 'not sent: sweep stopped');
    const sse = createSseStream((data, event) => {
      if (streamError !== null) return;
      try {
        decoder.onEvent(data, event);
      } catch (e) {
        throw new StreamFailure(
          'malformed_chunk',
          `unparseable event data: ${(e as Error).message}: ${data.slice(0, 200)}`,
        );
      }
    });
    const target = new URL(o.url.replace(/\/+$/, '') + wire.path);
    // undici's dispatch API with a handler: each network read reaches us directly, without a Readable stream
    // in between (the per-chunk cost is what limits how many streams one process can time honestly).
    await new Promise<void>((resolve, reject) => {
      let ctrl: Dispatcher.DispatchController | undefined;
      let settled = false;
      let errorBody = '';
      // Raw reads with their arrival times, parsed later in the same turn (deferParse) or before any ending.
      const reads: { t: number; chunk: Buffer }[] = [];
      let parseQueued = false;
      // Runs from a setImmediate, outside undici's callbacks: it must settle on any failure, never throw.
      const parsePending = () => {
        parseQueued = false;
        try {
          for (let i = 0; i < reads.length && !settled; i++) {
            readAt = reads[i].t;
            try {
              sse.feed(reads[i].chunk);
            } catch (e) {
              stop(e);
              break;
            }
            // An error event ends the request: stop reading.
            if (streamError !== null) stop();
          }
        } catch (e) {
          settle(e);
        } finally {
          reads.length = 0;
        }
      };
      const settle = (e?: unknown) => {
        if (settled) return;
        settled = true;
        ac.signal.removeEventListener('abort', onAbortCtl);
        if (e === undefined) resolve();
        else reject(e);
      };
      const stop = (e?: unknown) => {
        settle(e);
        // Close this connection: it still carries the rest of a response nobody will read.
        try {
          ctrl?.abort(new StreamFailure('client_error', 'closed by client'));
        } catch {
          // already closed: nothing left to stop
        }
      };
      const onAbortCtl = () => {
        parsePending(); // a stop in mid-turn (sweep stop) keeps reads not yet parsed
        const e = new StreamFailure(abortCategory ?? 'cancelled', '');
        if (ctrl) ctrl.abort(e);
        settle(e);
      };
      ac.signal.addEventListener('abort', onAbortCtl, { once: true });
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(c) {
          // undici calls this right before writing the request onto a connected socket: the actual send.
          // Waiting for a connection (pool, TCP connect) before it is client-side queueing, seen in queue_ms.
          s.sent_ms = nowMs();
          ctrl = c;
          if (ac.signal.aborted) c.abort(new StreamFailure(abortCategory ?? 'cancelled', ''));
        },
        onResponseStart(_c, code) {
          s.headers_ms = nowMs();
          status = code;
        },
        onResponseData(_c, chunk) {
          if (settled) return;
          if (status !== null && status >= 400) {
            if (errorBody.length < 2000) errorBody += chunk.toString('utf8');
            return;
          }
          reads.push({ t: nowMs(), chunk });
          if (!parseQueued) {
            parseQueued = true;
            deferParse(parsePending);
          }
        },
        onResponseEnd() {
          if (settled) return;
          parsePending();
          if (settled) return;
          if (status !== null && status >= 400) {
            settle(new StreamFailure(status >= 500 ? 'http_5xx' : 'http_4xx', `HTTP ${status}: ${errorBody}`));
            return;
          }
          readAt = nowMs();
          try {
            sse.end();
          } catch (e) {
            settle(e);
            return;
          }
          settle();
        },
        onResponseError(_c, err) {
          parsePending(); // a socket error in mid-turn keeps the chunks that did arrive
          settle(err);
        },
      };
      (o.dispatcher ?? getGlobalDispatcher()).dispatch(
        {
          origin: target.origin,
          path: target.pathname + target.search,
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...o.headers },
          body: JSON.stringify(wire.body),
          headersTimeout: o.timeoutMs,
          bodyTimeout: o.stallTimeoutMs ?? o.timeoutMs,
        },
        handler,
      );
    });
    s.end_ms = nowMs();
    if (streamError !== null)
      throw new StreamFailure('stream_error_event', `error event under HTTP ${status}: ${streamError}`);
    const trunc = decoder.truncation(sawDone);
    if (trunc) throw new StreamFailure('stream_truncated', trunc);
    s.ok = true;
  } catch (e) {
    s.end_ms = nowMs();
    s.ok = false;
    const cat = e instanceof StreamFailure ? e.category : categorize(e, abortCategory, s.headers_ms !== null);
    const msg = e instanceof StreamFailure && e.message ? e.message : describe(e, cat, o);
    s.error = { category: cat, message: trim(msg), http_status: status };
  } finally {
    clearTimeout(deadline);
    o.signal?.removeEventListener('abort', onAbort);
  }
  s.output_tokens.server = serverOut;
  await countTokens(s, texts, knownTokens, o.tokenizer ?? null, o.counter);
  if (s.ok && (s.chunk_ms.length === 0 || s.output_tokens.server === 0)) {
    s.ok = false;
    s.error = {
      category: 'no_output',
      message: `the request completed with no output (${s.chunk_ms.length} output chunks, server count ${s.output_tokens.server})`,
      http_status: status,
    };
  }
  return s;
}

/**
 * Tokens per chunk: the server's own number when it gives one (TGI one per event, Triton num_output_tokens);
 * when the server only gives a total that equals the chunk count, every chunk carried one token; otherwise the
 * client tokenizer on the chunk's text (never re-tokenized to count totals: a per-chunk BOS inflates counts).
 * The client total is the tokenizer on the joined text, without special tokens.
 */
async function countTokens(
  s: Sample,
  texts: string[],
  known: (number | null)[],
  tok: Tokenizer | null,
  counter?: TokenCounter,
): Promise<void> {
  const n = texts.length;
  const allKnown = known.every((k) => k !== null);
  const oneEach = !allKnown && s.output_tokens.server !== null && s.output_tokens.server === n;
  const needPer = !allKnown && !oneEach;
  let c: TokenCount | null = null;
  if (n > 0 && counter) c = await counter.count(texts, needPer);
  else if (n > 0 && tok)
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
  if (code === 'UND_ERR_BODY_TIMEOUT') return 'stalled';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'timeout';
  if (abortCategory) return abortCategory;
  if (code === 'ECONNREFUSED') return 'connect_refused';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'connect_reset';
  // undici: the socket closed before the response (or its chunked body) was complete.
  if (code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') return gotHeaders ? 'stream_truncated' : 'connect_reset';
  if (code === 'EMFILE' || code === 'EADDRNOTAVAIL' || code === 'ENFILE') return 'client_error';
  return 'other';
}

function describe(e: unknown, cat: ErrorCategory, o: ExecOptions): string {
  const err = e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  if (cat === 'timeout') return `no complete response within the ${o.timeoutMs} ms deadline`;
  if (cat === 'stalled') return `no bytes for ${o.stallTimeoutMs ?? o.timeoutMs} ms (stall timeout)`;
  if (cat === 'cancelled') return 'sweep stopped while the request was in flight';
  const code = err?.code ?? err?.cause?.code;
  return `${code ? code + ': ' : ''}${err?.message ?? String(e)}`;
}
