/**
 * GPU profiles (the catalogue lives in core/gpu-profiles.ts, below every other step folder) and what the cluster
 * steps derive from the server registry: the backend kinds and each server's default images.
 */
import { SERVERS, SERVER_NAMES, type ServerName } from '../servers/index.js';
import type { GpuVendor } from '../core/gpu-profiles.js';

export * from '../core/gpu-profiles.js';

export type BackendKind = ServerName;
export const BACKENDS: readonly BackendKind[] = SERVER_NAMES;

/** Default upstream images per server and vendor (each server's pinned version); `null`: none published. */
export const DEFAULT_IMAGES = Object.fromEntries(SERVER_NAMES.map((n) => [n, SERVERS[n].container.images])) as Record<
  BackendKind,
  Readonly<Record<GpuVendor, string | null>>
>;
