/**
 * The embedded simulator: one HTTP server on 127.0.0.1 speaking one dialect (vLLM, TGI or Triton) over the shared
 * engine. `startSimulator` is what `llmbench run`, `llmbench sim` and the tests use. It looks the server up by name,
 * so it sits above the registry (steps/servers); the engine and dialect contract below it are in steps/sim.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { InvalidInputError, type Problem } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { getTokenizer } from '../workload/tokenizer.js';
import { ScaledClock } from '../sim/clock.js';
import { DIALECTS } from '../servers/dialects.js';
import { SERVERS, SERVER_NAMES, isServerName } from '../servers/index.js';
import { Engine } from '../sim/engine.js';
import { FaultState, faultProblems, type Faults } from '../sim/faults.js';
import { resolveProfile, type BackendKind, type EngineOverrides, type ResolvedProfile } from '../sim/profiles.js';
import type { SimContext } from '../sim/shared.js';

export type { Faults } from '../sim/faults.js';

export interface SimOptions {
  backend: BackendKind;
  host?: string;
  port?: number;
  /** Served model name (requests for another model are rejected like the real server does; TGI ignores names). */
  model?: string;
  /** GPU profile id (steps/sim/profiles/gpu). Default a100-mig-3g.20gb. */
  gpu?: string;
  /** Model profile id (steps/sim/profiles/model). Default: the backend's (vLLM/Triton fp16, TGI bnb-nf4). */
  modelProfile?: string;
  seed?: number;
  /** Simulated time runs this many times faster than real time. */
  timeScale?: number;
  faults?: Faults;
  /** Engine setting overrides (max_num_seqs, max_model_len, …). */
  engine?: EngineOverrides;
  log?: Logger;
}

export interface RunningSim {
  url: string;
  /** Prometheus metrics: `<url>/metrics`, or a listener of its own where the real server has a metrics port. */
  metricsUrl: string;
  backend: SimOptions['backend'];
  model: string;
  timeScale: number;
  profile: ResolvedProfile;
  /** The current engine (replaced after a simulated crash). */
  readonly engine: Engine;
  /** Number of simulated crashes so far. */
  readonly crashes: number;
  close(): Promise<void>;
}

export const TIME_SCALE_HEADER = 'x-llmbench-sim-time-scale';

/** Checks every option at once; throws InvalidInputError listing all problems. Returns the resolved profile. */
export function validateSimOptions(opts: SimOptions): ResolvedProfile {
  const problems: Problem[] = [];
  if (!isServerName(opts.backend))
    problems.push({
      path: '/backend',
      message: `unknown backend '${String(opts.backend)}' (known: ${SERVER_NAMES.join(', ')})`,
    });
  if (opts.port !== undefined && !(Number.isInteger(opts.port) && opts.port >= 0 && opts.port <= 65535))
    problems.push({ path: '/port', message: `port must be an integer in 0..65535, got ${opts.port}` });
  if (
    opts.timeScale !== undefined &&
    !(typeof opts.timeScale === 'number' && opts.timeScale > 0 && Number.isFinite(opts.timeScale))
  )
    problems.push({ path: '/time_scale', message: `time scale must be a positive number, got ${opts.timeScale}` });
  if (opts.seed !== undefined && !Number.isInteger(opts.seed))
    problems.push({ path: '/seed', message: `seed must be an integer, got ${opts.seed}` });
  if (opts.model !== undefined && (typeof opts.model !== 'string' || !opts.model || opts.model.includes('/v2/')))
    problems.push({ path: '/model', message: 'served model name must be a non-empty string' });
  problems.push(...faultProblems(opts.faults ?? {}));
  let profile: ResolvedProfile | undefined;
  try {
    // With an unknown backend the GPU/model ids are still checked (against vLLM's defaults).
    profile = resolveProfile(
      isServerName(opts.backend) ? opts.backend : 'vllm',
      opts.gpu,
      opts.modelProfile,
      opts.engine,
    );
  } catch (e) {
    if (e instanceof InvalidInputError) problems.push(...e.problems);
    else throw e;
  }
  if (problems.length || !profile)
    throw new InvalidInputError('sim-options', 'invalid simulator options', {
      problems,
      hint: 'See `llmbench sim --help`.',
    });
  return profile;
}

/** The parts of a SimContext that survive a simulated crash; engine and fault state are rebuilt per restart. */
type StableContext = Pick<SimContext, 'profile' | 'tok' | 'servedModel' | 'seed' | 'timeScale'>;

/** A fresh engine and fault state for the `crashes`-th (re)start; `crash` is scheduled when a fault fires. */
function newContext(base: StableContext, faults: Faults, clock: ScaledClock, crashes: number, crash: () => void) {
  const fs = new FaultState(faults, base.seed + crashes);
  fs.startSlow(clock.now());
  const ctx: SimContext = {
    ...base,
    engine: new Engine(base.profile, clock, { seed: base.seed + crashes, slowdown: faults.slowdown }),
    faults: fs,
    startedAt: Date.now(),
    onInferenceRequest: () => {
      if (fs.countRequest()) setImmediate(crash);
    },
  };
  return ctx;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<void>;

/** The HTTP server: stamps the time scale on every answer, turns a handler failure into a 500, tracks sockets. */
function createSimServer(scale: number, handle: Handler, log: Logger | undefined) {
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    res.setHeader(TIME_SCALE_HEADER, String(scale));
    const url = new URL(req.url ?? '/', 'http://sim');
    handle(req, res, url).catch((e: unknown) => {
      log?.error('simulator handler failed', { error: String((e as Error)?.stack ?? e) });
      if (!res.headersSent)
        res
          .writeHead(500, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: 'internal simulator error' }));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 70_000;
  server.requestTimeout = 0;
  server.maxHeadersCount = 200;
  server.on('connection', (s) => {
    sockets.add(s);
    s.setNoDelay(true);
    s.once('close', () => sockets.delete(s));
  });
  const dropAll = () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  return { server, dropAll };
}

function listenOn(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const onErr = (e: Error) => reject(e);
    server.once('error', onErr);
    server.listen({ port, host, backlog: 4096 }, () => {
      server.off('error', onErr);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startSimulator(opts: SimOptions): Promise<RunningSim> {
  const profile = validateSimOptions(opts);
  const dialect = DIALECTS[opts.backend];
  const scale = opts.timeScale ?? 1;
  const faults = opts.faults ?? {};
  const clock = new ScaledClock(scale);
  const base: StableContext = {
    profile,
    tok: getTokenizer(profile.model.tokenizer),
    servedModel: opts.model ?? dialect.defaultServedModel,
    seed: opts.seed ?? 42,
    timeScale: scale,
  };
  const host = opts.host ?? '127.0.0.1';
  let crashes = 0;
  let closed = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let ctx = newContext(base, faults, clock, crashes, crash);
  const { server, dropAll } = createSimServer(scale, (req, res, url) => dialect.handle(req, res, url, ctx), opts.log);

  // A crash drops every connection and stops listening; the process "restarts" after restart_s (then slow start again).
  function crash() {
    if (closed) return;
    crashes++;
    opts.log?.warn('simulated crash', { backend: opts.backend, crashes });
    ctx.engine.close();
    server.close();
    dropAll();
    restartTimer = setTimeout(
      async () => {
        restartTimer = undefined;
        if (closed) return;
        ctx = newContext(base, faults, clock, crashes, crash);
        try {
          await listenOn(server, port, host);
        } catch (e) {
          opts.log?.error('simulator restart failed', { error: String(e) });
        }
      },
      clock.realMs(faults.restart_s ?? 1),
    );
  }

  const port = await listenOn(server, opts.port ?? 0, host);
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const url = `http://${hostPart}:${port}`;
  const metricsServer = await startMetricsListener(opts.backend, host, () => ctx);
  const metricsUrl = metricsServer ? `http://${hostPart}:${metricsServer.port}/metrics` : `${url}/metrics`;
  return {
    url,
    metricsUrl,
    backend: opts.backend,
    model: base.servedModel,
    timeScale: scale,
    profile,
    get engine() {
      return ctx.engine;
    },
    get crashes() {
      return crashes;
    },
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        metricsServer?.close();
        if (restartTimer) clearTimeout(restartTimer);
        ctx.engine.close();
        dropAll();
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Where the real server serves Prometheus on a port of its own (Triton's --metrics-port), the simulator does too:
 * an ephemeral port on the same host, GET /metrics only.
 */
async function startMetricsListener(
  backend: SimOptions['backend'],
  host: string,
  ctx: () => SimContext,
): Promise<{ port: number; close(): void } | undefined> {
  const page = DIALECTS[backend].metricsPage;
  if (SERVERS[backend].metrics.port === null || !page) return undefined;
  const path = SERVERS[backend].metrics.path;
  const srv = http.createServer((req, res) => {
    if (req.method === 'GET' && new URL(req.url ?? '/', 'http://sim').pathname === path) {
      const body = page(ctx());
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    } else res.writeHead(404).end();
  });
  const port = await new Promise<number>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen({ port: 0, host }, () => resolve((srv.address() as AddressInfo).port));
  });
  return {
    port,
    close: () => {
      srv.close();
      srv.closeAllConnections();
    },
  };
}
