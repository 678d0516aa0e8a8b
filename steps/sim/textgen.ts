/**
 * Output text as token ids of the client's tokenizer (steps/workload/tokenizer.ts), so that the server's token
 * count, the streamed pieces and a client re-tokenizing the joined text all agree. Output is a window of a fixed
 * English passage, chosen from the prompt and seed (same prompt → same text, like greedy decoding), starting at
 * a word boundary; each token streams as its own decoded piece (SentencePiece pieces carry their leading space,
 * so concatenating the pieces gives exactly the decoded window). A window whose re-tokenization differs at its
 * cut end is skipped for the next word start, so the count always agrees.
 */
import { getTokenizer, type Tokenizer } from '../workload/tokenizer.js';
import { gauss, hash32, rng } from './clock.js';

// Plain ASCII prose written for this simulator (no byte-fallback tokens, so every piece decodes on its own).
const PASSAGE = [
  'The river starts as a thin line of water high in the hills, where snow melts slowly through the spring.',
  'By the time it reaches the valley it has gathered the streams of a hundred small farms, and it moves with a patient strength that people have trusted for centuries.',
  'Mills were built along its banks, then bridges, then a railway that followed its curves because the engineers could find no better path.',
  'In the town, the market opens early on Saturday mornings. Farmers bring apples, cheese, bread and honey, and the square fills with voices before the church bell rings eight.',
  'Children run between the stalls while their parents compare prices and trade news about the weather, the harvest and the new school being built near the station.',
  'A careful observer would notice that nothing here happens quickly, yet everything happens on time.',
  'The baker has opened his shop at the same hour for thirty years, and the ferry leaves the dock whether or not anyone is waiting for it.',
  'Scientists who study such places describe them as systems in balance: energy arrives from the sun, water arrives from the mountains, and the people in between learn to use both without wasting either.',
  'When a storm comes, the river rises, the fields flood for a few days, and the soil is richer afterwards.',
  'Good planning means leaving room for the water instead of fighting it.',
  'Engineers today measure flow rates, model the rainfall of the last century and publish maps that show which streets may be under water once in a hundred years.',
  'Those maps are useful, but the older residents still read the colour of the sky and the smell of the air, and they are rarely wrong.',
  'At night the town is quiet. Lights go out one by one, the last train crosses the bridge, and the river keeps moving toward the sea, carrying small stones and stories that nobody will ever write down.',
].join(' ');

interface Corpus {
  tok: Tokenizer;
  ids: number[];
  pieces: string[];
  /** JSON string literal of each piece (the hot streaming path concatenates these instead of stringifying). */
  json: string[];
  /** Indices of tokens that start a word (piece begins with a space). */
  wordStarts: number[];
}

let corpus: Corpus | undefined;
const verified = new Map<number, boolean>();
function getCorpus(): Corpus {
  if (corpus) return corpus;
  const tok = getTokenizer('mistral');
  // Encoded with a leading space so the passage repeats seamlessly (" ... down." + " The ...").
  const ids = tok.encode(' ' + PASSAGE);
  const pieces = ids.map((i) => tok.decode([i]));
  const json = pieces.map((p) => JSON.stringify(p));
  const wordStarts = pieces.map((p, i) => (p.startsWith(' ') ? i : -1)).filter((i) => i >= 0);
  corpus = { tok, ids, pieces, json, wordStarts };
  return corpus;
}

export interface OutputText {
  ids: number[];
  /** Decoded text of each token; joined they equal the whole output. */
  pieces: string[];
  /** JSON.stringify of each piece. */
  json: string[];
}

/** `n` output tokens for a prompt (deterministic in prompt and seed). */
export function outputFor(prompt: string, n: number, seed = 0): OutputText {
  const c = getCorpus();
  let w = hash32(prompt, seed) % c.wordStarts.length;
  for (let attempt = 0; attempt < 64; attempt++, w = (w + 1) % c.wordStarts.length) {
    const ids: number[] = new Array(n);
    const pieces: string[] = new Array(n);
    const json: string[] = new Array(n);
    for (let k = 0, i = c.wordStarts[w]; k < n; k++, i = (i + 1) % c.ids.length) {
      ids[k] = c.ids[i];
      pieces[k] = c.pieces[i];
      json[k] = c.json[i];
    }
    // Whether a window round-trips depends only on (start, length): remember it, tokenizing is ~1 ms.
    const key = w * 100_003 + n;
    let ok = verified.get(key);
    if (ok === undefined) {
      ok = n === 0 || c.tok.count(pieces.join('')) === n;
      if (verified.size > 200_000) verified.clear();
      verified.set(key, ok);
    }
    if (ok) return { ids, pieces, json };
  }
  throw new Error(`no round-tripping output window of ${n} tokens`);
}

/** Where a request without ignore_eos would naturally stop: log-normal around the model's median. */
export function naturalLength(prompt: string, seed: number, median: number, sigma: number): number {
  const r = rng(hash32(prompt, seed ^ 0x5bd1e995));
  return Math.max(1, Math.round(median * Math.exp(sigma * gauss(r))));
}

/** Prompt token count as the server counts it: BOS + SentencePiece with its dummy-prefix space. */
export function promptTokenCount(tok: Tokenizer, text: string): number {
  return 1 + tok.count(' ' + text);
}
