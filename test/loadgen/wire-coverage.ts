/**
 * The replay suite's coverage matrix (issue 13): for every server and every API in test/fixtures/wire, each of the
 * six cases has a fixture named `<api-prefix>-<case>.json` that shows the case, or a `notApplicable` entry in
 * coverage.json with a reason and the SOURCES.md key of the source that shows the server cannot produce it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { WIRE_DIR, dataLines, type WireFixture } from './wire-fixtures.js';

export interface NotApplicable {
  server: string;
  api: string;
  case: string;
  reason: string;
  source: string;
}
export interface Coverage {
  cases: string[];
  apis: Record<string, string[]>;
  notApplicable: NotApplicable[];
}

export function loadCoverage(): Coverage {
  return JSON.parse(readFileSync(path.join(WIRE_DIR, 'coverage.json'), 'utf8')) as Coverage;
}

export function sourceKeys(): Set<string> {
  const md = readFileSync(path.join(WIRE_DIR, 'SOURCES.md'), 'utf8');
  return new Set([...md.matchAll(/^\| ([a-z0-9-]+) \|/gm)].map((m) => m[1]));
}

/** Output-carrying SSE events per write (no [DONE], errors, usage-only chunks or comments). */
function eventsPerWrite(fx: WireFixture): number[] {
  return fx.response.writes.map(
    (w) =>
      dataLines(w.data).filter((d) => {
        if (d === '[DONE]') return false;
        const j = JSON.parse(d) as { choices?: unknown[]; error?: unknown };
        return j.error === undefined && !(Array.isArray(j.choices) && j.choices.length === 0);
      }).length,
  );
}

/** Whether a fixture's expectation actually shows the case its name claims. */
function shows(c: string, fx: WireFixture): boolean {
  const e = fx.expect;
  switch (c) {
    case 'normal':
      return e.ok && e.finishReason === 'length';
    case 'eos':
      return e.ok && (e.finishReason === 'stop' || e.finishReason === 'eos_token');
    case 'multi-token':
      // Several tokens in one event (vLLM, Triton, SGLang), or several one-token events in one write (TGI).
      return e.ok && ((e.serverOutputTokens ?? 0) > e.outputEvents || eventsPerWrite(fx).some((n) => n > 1));
    case 'error-mid':
      return !e.ok && e.category !== 'stalled' && e.outputEvents > 0;
    case 'error-first':
      return !e.ok && e.category !== 'stalled' && e.outputEvents === 0;
    case 'stall':
      return e.category === 'stalled';
    default:
      return false;
  }
}

function apiGaps(server: string, api: string, fxs: WireFixture[], cov: Coverage, keys: Set<string>): string[] {
  const out: string[] = [];
  for (const c of cov.cases) {
    const na = cov.notApplicable.find((n) => n.server === server && n.api === api && n.case === c);
    const fx = fxs.find((f) => f.name.endsWith(`-${c}`));
    const at = `${server} ${api} ${c}`;
    if (fx && na) out.push(`${at}: both a fixture (${fx.name}) and an n/a entry`);
    else if (fx && !shows(c, fx)) out.push(`${at}: ${fx.name} does not show the case`);
    else if (na && (na.reason.trim() === '' || !keys.has(na.source)))
      out.push(`${at}: n/a entry needs a reason and a SOURCES.md key`);
    else if (!fx && !na) out.push(`${at}: no fixture and no n/a entry`);
  }
  return out;
}

/** Every gap in the matrix, as readable lines (empty when complete). */
export function coverageGaps(fixtures: WireFixture[], cov: Coverage, keys = sourceKeys()): string[] {
  const out: string[] = [];
  const servers = [...new Set([...Object.keys(cov.apis), ...fixtures.map((f) => f.name.split('/')[0])])].sort();
  for (const server of servers) {
    const mine = fixtures.filter((f) => f.name.startsWith(`${server}/`));
    const present = [...new Set(mine.map((f) => f.api))].sort();
    const declared = [...(cov.apis[server] ?? [])].sort();
    if (present.join() !== declared.join())
      out.push(`${server} apis: ${declared.join()} declared, ${present.join()} present`);
    for (const api of new Set([...present, ...declared]))
      out.push(
        ...apiGaps(
          server,
          api,
          mine.filter((f) => f.api === api),
          cov,
          keys,
        ),
      );
  }
  return out;
}
