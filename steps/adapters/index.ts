/**
 * The adapter machinery: the protocol contract (types.ts), the one timed HTTP/SSE client (client.ts, sse.ts) and
 * the OpenAI wire format the servers share (openai.ts). It names no server: each server's adapter lives in
 * steps/servers/<name>/, and the lookup by name (getAdapter, resolveApi, probeOneToken) in steps/servers/adapters.ts.
 */
export type { Adapter, AdapterKind, GenRequest, StreamSink, StreamDecoder, WireRequest } from './types.js';
export { executeRequest, loneRequestBase, nowMs, type ExecOptions, type SampleBase } from './client.js';
