/**
 * Client-side output token counting off the timing thread. Tokenizing a response costs ~3.6 µs per token
 * (230 µs for 64 tokens, ms for long outputs) — done on the event loop that timestamps every other stream's
 * chunks, it would delay them. A worker thread does it instead; the sweep's event loop only posts the texts.
 * Falls back to counting inline when a worker cannot start.
 */
import { Worker } from 'node:worker_threads';
import type { Tokenizer } from './tokenizer.js';

export interface TokenCount {
  total: number;
  /** Tokens per chunk (client tokenizer on each chunk's text, at least 1), when asked for. */
  per: number[] | null;
}

export interface TokenCounter {
  name: string;
  count(texts: string[], perChunk: boolean): Promise<TokenCount>;
  close(): Promise<void>;
}

/** Counts on the calling thread (probes, tests, fallback). */
export function inlineCounter(tok: Tokenizer): TokenCounter {
  return {
    name: tok.name,
    count: async (texts, perChunk) => ({
      total: tok.count(texts.join('')),
      per: perChunk ? texts.map((t) => Math.max(1, tok.count(t))) : null,
    }),
    close: async () => {},
  };
}

/** Counts in a worker thread (mistral only: the worker loads the same npm tokenizer). */
export function workerCounter(tok: Tokenizer): TokenCounter {
  if (tok.name !== 'mistral') return inlineCounter(tok);
  let worker: Worker | undefined;
  let failed = false;
  let nextId = 0;
  const pending = new Map<number, { resolve: (c: TokenCount) => void; reject: (e: Error) => void }>();
  const inline = inlineCounter(tok);
  const start = () => {
    try {
      const w = new Worker(new URL('./tokenizer-worker.mjs', import.meta.url));
      w.unref();
      w.on('message', (m: { id: number; total?: number; per?: number[] | null; error?: string }) => {
        const p = pending.get(m.id);
        if (!p) return;
        pending.delete(m.id);
        if (m.error !== undefined) p.reject(new Error(m.error));
        else p.resolve({ total: m.total as number, per: m.per ?? null });
      });
      w.on('error', (e) => {
        failed = true;
        worker = undefined;
        for (const p of pending.values()) p.reject(e);
        pending.clear();
      });
      return w;
    } catch {
      failed = true;
      return undefined;
    }
  };
  return {
    name: tok.name,
    count(texts, perChunk) {
      if (!worker && !failed) worker = start();
      const w = worker;
      if (!w) return inline.count(texts, perChunk);
      const id = nextId++;
      return new Promise<TokenCount>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        w.postMessage({ id, texts, perChunk });
      }).catch(() => inline.count(texts, perChunk));
    },
    async close() {
      const w = worker;
      worker = undefined;
      if (w) await w.terminate();
    },
  };
}
