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

/** What every dialect's router looks at first: the path, the method, and whether the server is ready yet on the
 * simulated clock (the slow_start_s fault: each dialect refuses in its own format until then). */
export function door(req: IncomingMessage, url: URL, ctx: SimContext): { p: string; m?: string; ready: boolean } {
  return { p: url.pathname, m: req.method, ready: ctx.faults.ready(ctx.engine.clock.now()) };
}

const states = new WeakMap<SimContext, Map<string, unknown>>();
/** Per-server mutable state of a dialect (several simulators can share one process, e.g. in tests). */
export function serverState<T>(ctx: SimContext, key: string, init: () => T): T {
  let m = states.get(ctx);
  if (!m) states.set(ctx, (m = new Map()));
  if (!m.has(key)) m.set(key, init());
  return m.get(key) as T;
}
