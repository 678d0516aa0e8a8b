import type { BackendKind } from '../profiles.js';
import type { Dialect } from './types.js';
import { vllm } from './vllm.js';
import { tgi } from './tgi.js';
import { triton } from './triton.js';

/** Dialects registered under the word users type (`--backend`). */
export const DIALECTS: Record<BackendKind, Dialect> = { vllm, tgi, triton };
export type { Dialect };
