// Worker thread for client-side token counting (steps/workload/token-counter.ts). Plain JS so it loads without a
// TypeScript loader. Same calls as tokenizer.ts's mistralTokenizer: encode(text, addBos=false,
// addPrecedingSpace=false) — special tokens are never counted.
import { parentPort } from 'node:worker_threads';
import mistral from 'mistral-tokenizer-js';

const count = (t) => (t ? mistral.encode(t, false, false).length : 0);

parentPort.on('message', (m) => {
  try {
    const total = count(m.texts.join(''));
    const per = m.perChunk ? m.texts.map((t) => Math.max(1, count(t))) : null;
    parentPort.postMessage({ id: m.id, total, per });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String(e && e.message ? e.message : e) });
  }
});
