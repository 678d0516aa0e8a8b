import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BackendKind } from '../profiles.js';
import type { SimContext } from '../shared.js';

/** One server's wire protocol over the shared engine. A fourth server is one more file like vllm.ts. */
export interface Dialect {
  kind: BackendKind;
  /** Default name the model is served under. */
  defaultServedModel: string;
  handle(req: IncomingMessage, res: ServerResponse, url: URL, ctx: SimContext): Promise<void>;
  /** Prometheus text for a server that serves metrics on a port of its own (registry metrics.port). */
  metricsPage?(ctx: SimContext): string;
}

/** The refusals every dialect must be able to give at the door (slow start, overload), in its own format. */
export function now(ctx: SimContext): number {
  return ctx.engine.clock.now();
}

const states = new WeakMap<SimContext, Map<string, unknown>>();
/** Per-server mutable state of a dialect (several simulators can share one process, e.g. in tests). */
export function serverState<T>(ctx: SimContext, key: string, init: () => T): T {
  let m = states.get(ctx);
  if (!m) states.set(ctx, (m = new Map()));
  if (!m.has(key)) m.set(key, init());
  return m.get(key) as T;
}
