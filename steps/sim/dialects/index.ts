import type { BackendKind } from '../profiles.js';
import { SERVERS, SERVER_NAMES } from '../../servers/index.js';
import type { Dialect } from './types.js';

/** Dialects registered under the word users type (`--backend`): each server's steps/servers/<name>/dialect.ts. */
export const DIALECTS = Object.fromEntries(SERVER_NAMES.map((n) => [n, SERVERS[n].dialect])) as Record<
  BackendKind,
  Dialect
>;
export type { Dialect };
