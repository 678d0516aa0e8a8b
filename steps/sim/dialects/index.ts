import type { BackendKind } from '../profiles.js';
import type { Dialect } from './types.js';
import { vllm } from '../../servers/vllm/dialect.js';
import { tgi } from '../../servers/tgi/dialect.js';
import { triton } from '../../servers/triton/dialect.js';

/** Dialects registered under the word users type (`--backend`). */
export const DIALECTS: Record<BackendKind, Dialect> = { vllm, tgi, triton };
export type { Dialect };
