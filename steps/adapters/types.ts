/**
 * Protocol adapter contract: one file per server protocol, registered in index.ts under the word users type.
 * An adapter only knows its wire format (request body, SSE payloads); timing, transport and fault handling
 * live once, in client.ts, so every protocol is measured by the same code.
 */
export type { ServerKind as AdapterKind } from '../core/server-catalogue.js';
import type { ServerKind as AdapterKind } from '../core/server-catalogue.js';

/** What the workload asks for, protocol-neutral. */
export interface GenRequest {
  model: string;
  prompt: string;
  maxTokens: number;
  /** Ask the server to ignore EOS (vLLM, Triton); TGI cannot, its shortfall is flagged by metrics. */
  ignoreEos: boolean;
  temperature: number;
}

export interface WireRequest {
  path: string;
  body: Record<string, unknown>;
}

/**
 * Receives what a decoder understood from one SSE event. Timestamps are taken by the caller once per network
 * read, so the decoder never touches the clock.
 */
export interface StreamSink {
  /** An output event — a chunk carrying at least one generated token, a special/EOS token with empty text
   * included: its text (special tokens' text excluded) and the tokens in it when the server says. */
  output(text: string, tokens: number | null): void;
  serverOutputTokens(n: number): void;
  /** Triton reports per-response deltas: these add up. */
  addServerOutputTokens(n: number): void;
  serverInputTokens(n: number): void;
  finishReason(r: string): void;
  /** The protocol's terminal event ([DONE], TGI's final details event). */
  done(): void;
  /** An error event (possibly under HTTP 200). */
  error(message: string): void;
}

export interface StreamDecoder {
  /** One SSE event's data (and event name, if any). Throws SyntaxError on malformed JSON. */
  onEvent(data: string, event: string | undefined): void;
  /** After the body ended cleanly: null if the stream is complete, else why it is truncated. */
  truncation(sawDone: boolean): string | null;
}

export interface Adapter {
  kind: AdapterKind;
  /** Wire APIs this adapter speaks; the first is the default. */
  apis: readonly string[];
  build(req: GenRequest, api: string): WireRequest;
  decoder(api: string, sink: StreamSink): StreamDecoder;
}
