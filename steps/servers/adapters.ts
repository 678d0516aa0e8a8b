/**
 * Protocol adapters, one per registered server (steps/servers/<name>/adapter.ts), under the word users type: the
 * registry lookups above the adapter machinery (steps/adapters, which knows no server), re-exported with it so
 * callers above the registry import one module.
 */
import { randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { InvalidInputError } from '../core/errors.js';
import type { Sample } from '../core/types/sample.js';
import { getTokenizer } from '../workload/tokenizer.js';
import { executeRequest, loneRequestBase } from '../adapters/client.js';
import { SERVERS, SERVER_NAMES, isServerName } from './index.js';
import type { Adapter, AdapterKind } from '../adapters/types.js';

export * from '../adapters/index.js';

export const ADAPTERS = Object.fromEntries(SERVER_NAMES.map((n) => [n, SERVERS[n].adapter])) as Readonly<
  Record<AdapterKind, Adapter>
>;

export const ADAPTER_KINDS = SERVER_NAMES;

export const isAdapterKind = isServerName;

export function getAdapter(kind: AdapterKind | string): Adapter {
  if (!isAdapterKind(kind)) {
    throw new InvalidInputError(
      'unknown-backend',
      `no protocol adapter for '${kind}' (known: ${ADAPTER_KINDS.join(', ')})`,
      {
        problems: [{ path: '/backend', message: `must be one of ${ADAPTER_KINDS.join(', ')}` }],
        hint: `Use one of: ${ADAPTER_KINDS.join(', ')}.`,
      },
    );
  }
  return ADAPTERS[kind];
}

/** The adapter's API for a user choice (undefined = the adapter's default); throws on an API it does not speak. */
export function resolveApi(adapter: Adapter, api?: string): string {
  if (api === undefined) return adapter.apis[0];
  if (!adapter.apis.includes(api)) {
    throw new InvalidInputError('unknown-api', `api '${api}' is not available for ${adapter.kind}`, {
      problems: [{ path: '/api', message: `must be one of ${adapter.apis.join(', ')}` }],
      hint: `${adapter.kind} speaks ${adapter.apis.join(' or ')}.`,
    });
  }
  return api;
}

export interface ProbeOptions {
  kind: AdapterKind;
  url: string;
  model: string;
  api?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  dispatcher?: Dispatcher;
}

/**
 * One 1-token streaming request with the real adapter (readiness check for `llmbench wait`). Returns the sample:
 * ok, or failed with an error category; never throws for a server-side failure.
 */
export async function probeOneToken(o: ProbeOptions): Promise<Sample> {
  const adapter = getAdapter(o.kind);
  const api = resolveApi(adapter, o.api);
  const prompt = 'Hello';
  return executeRequest({
    adapter,
    api,
    url: o.url,
    req: { model: o.model, prompt, maxTokens: 1, ignoreEos: true, temperature: 0 },
    base: loneRequestBase(`probe-${randomUUID()}`, o.kind, getTokenizer().count(prompt), { warmup: true }),
    headers: o.headers,
    dispatcher: o.dispatcher,
    timeoutMs: o.timeoutMs,
    stallTimeoutMs: o.timeoutMs,
    signal: o.signal,
    tokenizer: getTokenizer(),
  });
}
