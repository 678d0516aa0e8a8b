/**
 * Real server transcripts (test/fixtures/wire, provenance in its SOURCES.md) and a loopback server that replays
 * them byte for byte: status, headers, and each recorded write at its recorded delay (scaled), on absolute
 * deadlines so one late timer does not shift the rest. Shared by the adapter replay suite and the simulator's
 * conformance tests.
 */
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AdapterKind } from '../../steps/adapters/index.js';

export const WIRE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'wire');

export interface WireFixture {
  /** `<server>/<case>`, e.g. tgi/generate-stream-eos. */
  name: string;
  adapter: AdapterKind;
  api: string;
  sources: string[];
  note: string;
  request: { maxTokens: number };
  response: { status: number; headers: Record<string, string>; writes: { delayMs: number; data: string }[] };
  expect: {
    ok: boolean;
    category: string | null;
    outputEvents: number;
    serverOutputTokens: number | null;
    finishReason: string | null;
    httpStatus: number | null;
    chunkTokens?: number[];
  };
  replay?: { stallTimeoutMs?: number; timeoutMs?: number };
}

export function loadWireFixtures(): WireFixture[] {
  const out: WireFixture[] = [];
  for (const server of readdirSync(WIRE_DIR, { withFileTypes: true })) {
    if (!server.isDirectory()) continue;
    for (const f of readdirSync(path.join(WIRE_DIR, server.name)).sort()) {
      if (!f.endsWith('.json')) continue;
      const fx = JSON.parse(readFileSync(path.join(WIRE_DIR, server.name, f), 'utf8')) as Omit<WireFixture, 'name'>;
      out.push({ name: `${server.name}/${f.slice(0, -5)}`, ...fx });
    }
  }
  return out;
}

/** The SSE `data:` payloads of a write (comments and other fields skipped). */
export function dataLines(write: string): string[] {
  return write
    .split(/\n\n/)
    .flatMap((ev) => ev.split('\n'))
    .filter((l) => l.startsWith('data:'))
    .map((l) => l.slice(5).replace(/^ /, ''));
}

export interface ReplayServer {
  url: string;
  /** performance.timeOrigin + now() of each write of the last replay (the client's clock). */
  writeMs: number[];
  close(): Promise<void>;
}

/** Serves `fx` to every POST; `scale` multiplies the recorded delays. */
export async function startReplayServer(get: () => { fx: WireFixture; scale: number }): Promise<ReplayServer> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const state: ReplayServer = { url: '', writeMs: [], close: async () => {} };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const { fx, scale } = get();
      state.writeMs = [];
      res.writeHead(fx.response.status, fx.response.headers);
      res.flushHeaders();
      const t0 = performance.now();
      let at = 0;
      fx.response.writes.forEach((w, i) => {
        at += w.delayMs * scale;
        const t = setTimeout(
          () => {
            timers.delete(t);
            if (res.destroyed) return;
            state.writeMs.push(performance.timeOrigin + performance.now());
            res.write(w.data);
            if (i === fx.response.writes.length - 1) res.end();
          },
          Math.max(0, t0 + at - performance.now()),
        );
        timers.add(t);
      });
      if (fx.response.writes.length === 0) res.end();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return state;
}
