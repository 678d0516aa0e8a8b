import type { BackendKind } from '../sim/profiles.js';
import { SERVERS, SERVER_NAMES } from './index.js';
import type { Dialect } from '../sim/dialects/types.js';

/** Dialects registered under the word users type (`--backend`): each server's steps/servers/<name>/dialect.ts. */
export const DIALECTS = Object.fromEntries(SERVER_NAMES.map((n) => [n, SERVERS[n].dialect])) as Record<
  BackendKind,
  Dialect
>;
export type { Dialect };
