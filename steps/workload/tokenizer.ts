/**
 * The client tokenizer, shared by the load generator (prompt construction, client-side counts) and the
 * simulator (so server and client counts agree). Mistral-7B's SentencePiece vocabulary (32,000 tokens, same for
 * v0.1 and v0.2) from the npm package mistral-tokenizer-js; no model hub needed.
 */
import mistral from 'mistral-tokenizer-js';

export interface Tokenizer {
  name: string;
  /** Token ids of `text`, without BOS/EOS (special tokens are never counted as output). */
  encode(text: string): number[];
  decode(ids: number[]): string;
  count(text: string): number;
}

export const mistralTokenizer: Tokenizer = {
  name: 'mistral',
  encode: (text) => (text ? mistral.encode(text, false, false) : []),
  decode: (ids) => mistral.decode(ids, false, false),
  count: (text) => (text ? mistral.encode(text, false, false).length : 0),
};

const TOKENIZERS: Record<string, Tokenizer> = { mistral: mistralTokenizer };

export function getTokenizer(name = 'mistral'): Tokenizer {
  const t = TOKENIZERS[name];
  if (!t) throw new Error(`unknown tokenizer ${name}`);
  return t;
}
