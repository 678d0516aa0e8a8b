/**
 * The server registry: every inference server llmbench knows, under the word users type. Adding a server =
 * adding a folder steps/servers/<name>/ (index.ts exporting `defineServer('<name>', …)`) and one entry here; the
 * backend-kind union, CLI choices, config schema enum, render/wait/scrape and the generated docs all derive from this.
 *
 * Layers (imports go downward only; test/architecture/imports.test.ts checks them and that no folders form a cycle):
 *   1. core: errors, paths, schemas, generated types, the GPU catalogue (gpu-profiles.ts) and the registry's facts
 *      as generated data (server-catalogue.ts, `npm run gen:servers`); imports no other step folder.
 *   2. workload, metrics, stats: import core only.
 *   3. machinery the servers are built from, naming no server: adapters (wire contract, timed client, SSE, the
 *      OpenAI format) and sim (engine, clock, profiles, dialect contract, the OpenAI dialect).
 *   4. servers (here): the plugins, this registry, and the lookups by name (adapters.ts: getAdapter, resolveApi,
 *      probeOneToken; dialects.ts).
 *   5. everything that uses a server by name: cluster (profiles' image table, render), simulator (HTTP server,
 *      `llmbench sim`), sweep, wait, build, render, apply, teardown, run, and the CLI (steps/commands.ts).
 */
import { InvalidInputError } from '../core/errors.js';
import type { ServerKind } from '../core/server-catalogue.js';
import type { ServerDef } from './types.js';
import { vllm } from './vllm/index.js';
import { tgi } from './tgi/index.js';
import { triton } from './triton/index.js';
import { sglang } from './sglang/index.js';

/** Exactly the servers of the generated catalogue: after adding or removing one here, run `npm run gen:servers`. */
export const SERVERS = { vllm, tgi, triton, sglang } satisfies Record<ServerKind, ServerDef>;

/** The backend kind: one of the registered server names. */
export type ServerName = keyof typeof SERVERS;
export const SERVER_NAMES = Object.keys(SERVERS) as ServerName[];

export type { ServerDef } from './types.js';

export function isServerName(n: unknown): n is ServerName {
  return typeof n === 'string' && Object.prototype.hasOwnProperty.call(SERVERS, n);
}

/** The server for a name; an unknown name is bad input (exit 2) listing the known servers. */
export function getServer(name: string, where = '/backend'): ServerDef {
  if (!isServerName(name)) throw unknownServer(name, where);
  return SERVERS[name];
}

export function unknownServer(name: unknown, where = '/backend'): InvalidInputError {
  const known = SERVER_NAMES.join(', ');
  return new InvalidInputError('unknown-backend', `unknown server '${String(name)}' (known: ${known})`, {
    problems: [{ path: where, message: `must be one of ${known}` }],
    hint: `Use one of: ${known}.`,
  });
}

/** The URL the server's Prometheus metrics are scraped from, given its API URL. */
export function metricsUrl(name: ServerName, apiUrl: string): string {
  const m = SERVERS[name].metrics;
  const u = new URL(apiUrl.replace(/\/+$/, '') + m.path);
  if (m.port !== null) u.port = String(m.port);
  return u.toString();
}
