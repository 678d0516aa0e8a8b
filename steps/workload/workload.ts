/**
 * The workload: which prompts, in which order, with which sampling parameters. Every backend gets the same
 * prompts in the same order (request seq → prompt_index is fixed), and a fingerprint over everything that
 * defines the work is stored with each run so analyze can refuse to compare different workloads.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InvalidInputError, type Problem } from '../core/errors.js';
import { BUILTIN_PROMPTS } from './builtin-prompts.js';
import { getTokenizer, type Tokenizer } from './tokenizer.js';

export interface WorkloadSpec {
  /** synthetic | builtin | path to .jsonl / ShareGPT .json */
  dataset: string;
  inputTokens: number;
  outputTokens: number;
  /** Number of distinct prompts (synthetic: generated; files and builtin: the first N, all when omitted). */
  prompts?: number;
  temperature: number;
  ignoreEos: boolean;
  seed: number;
  tokenizer?: string;
}

export interface Prompt {
  text: string;
  /** Client tokenizer count, without special tokens. */
  tokens: number;
}

export interface Workload {
  dataset: string;
  prompts: Prompt[];
  inputTokens: number | null;
  outputTokens: number;
  temperature: number;
  ignoreEos: boolean;
  tokenizer: string;
  fingerprint: string;
}

/** Deterministic PRNG: the same seed gives the same prompts and arrivals on every machine. */
import { rng } from '../core/rng.js';
export { rng };

const VOCAB =
  'time year people way day man thing woman life child world school state family student group country problem hand part place case week company system program question work government number night point home water room mother area money story fact month lot right study book eye job word business issue side kind head house service friend father power hour game line end member law car city community name president team minute idea kid body information back parent face others level office door health person art war history party result change morning reason research girl guy moment air teacher force education'.split(
    ' ',
  );

/** A prompt of exactly n tokens (client tokenizer, no special tokens), distinct per index. */
export function syntheticPrompt(n: number, index: number, rand: () => number, tok: Tokenizer): string {
  const words: string[] = [`Request ${index}:`];
  // Over-generate, cut at n token ids, decode; re-encode to confirm (SentencePiece can merge at the cut).
  let text = '';
  for (let guard = 0; guard < 4 * n + 16; guard++) {
    words.push(VOCAB[Math.floor(rand() * VOCAB.length)]);
    if (words.length > n + 2) break;
  }
  text = words.join(' ');
  let ids = tok.encode(text).slice(0, n);
  for (let attempt = 0; attempt < 8; attempt++) {
    const cand = tok.decode(ids).trim();
    const c = tok.count(cand);
    if (c === n) return cand;
    ids =
      c > n
        ? ids.slice(0, ids.length - (c - n))
        : tok.encode(cand + ' ' + VOCAB[Math.floor(rand() * VOCAB.length)]).slice(0, n);
  }
  throw new Error(`could not build a prompt of exactly ${n} tokens`);
}

/** Prompts from a JSONL file (`prompt`, `text` or `input` per line) or a ShareGPT JSON (first human turn). */
export function parseDataset(text: string, file: string): string[] {
  const problems: Problem[] = [];
  const out: string[] = [];
  const trimmed = text.trimStart();
  if (file.endsWith('.json') || trimmed.startsWith('[')) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new InvalidInputError('dataset-invalid', `${file}: not valid JSON: ${(e as Error).message}`, {
        problems: [{ path: '', message: 'malformed JSON', file }],
        hint: 'A ShareGPT file is a JSON array of {conversations: [{from, value}]}.',
      });
    }
    if (!Array.isArray(doc))
      throw new InvalidInputError('dataset-invalid', `${file}: expected a JSON array`, {
        problems: [{ path: '', message: 'must be an array', file }],
      });
    doc.forEach((d, i) => {
      const conv = (d as { conversations?: { from?: string; value?: string }[] })?.conversations;
      const human = Array.isArray(conv) ? conv.find((t) => t?.from === 'human' || t?.from === 'user') : undefined;
      if (typeof human?.value === 'string' && human.value.trim()) out.push(human.value);
      else problems.push({ path: `/${i}/conversations`, message: 'no human turn with a non-empty value', file });
    });
  } else {
    text.split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      try {
        const j = JSON.parse(line) as Record<string, unknown>;
        const p = j.prompt ?? j.text ?? j.input;
        if (typeof p === 'string' && p.trim()) out.push(p);
        else
          problems.push({
            path: `/${i}`,
            line: i + 1,
            message: 'needs a non-empty string field prompt, text or input',
            file,
          });
      } catch {
        problems.push({ path: `/${i}`, line: i + 1, message: 'not valid JSON', file });
      }
    });
  }
  if (problems.length) {
    throw new InvalidInputError(
      'dataset-invalid',
      `${file}: ${problems.length} invalid record${problems.length > 1 ? 's' : ''}`,
      {
        problems: problems.slice(0, 50),
        hint: 'JSONL: one {"prompt": "..."} per line. ShareGPT: [{"conversations": [{"from": "human", "value": "..."}]}].',
      },
    );
  }
  if (!out.length)
    throw new InvalidInputError('dataset-empty', `${file}: no prompts`, {
      problems: [{ path: '', message: 'no prompts found', file }],
    });
  return out;
}

export async function buildWorkload(spec: WorkloadSpec, cwd = process.cwd()): Promise<Workload> {
  const tok = getTokenizer(spec.tokenizer ?? 'mistral');
  let texts: string[];
  let dataset = spec.dataset;
  let inputTokens: number | null = null;
  if (spec.dataset === 'synthetic') {
    const rand = rng(spec.seed);
    const n = spec.prompts ?? 64;
    texts = Array.from({ length: n }, (_, i) => syntheticPrompt(spec.inputTokens, i, rand, tok));
    inputTokens = spec.inputTokens;
  } else if (spec.dataset === 'builtin') {
    texts = BUILTIN_PROMPTS.slice(0, spec.prompts ?? BUILTIN_PROMPTS.length);
  } else {
    const file = path.resolve(cwd, spec.dataset);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (e) {
      throw new InvalidInputError(
        'dataset-unreadable',
        `cannot read dataset ${spec.dataset}: ${(e as Error).message}`,
        {
          problems: [{ path: '/workload/dataset', message: 'file not readable' }],
          hint: 'Give a .jsonl or ShareGPT .json file, or synthetic / builtin.',
        },
      );
    }
    texts = parseDataset(text, spec.dataset);
    if (spec.prompts) texts = texts.slice(0, spec.prompts);
    dataset = path.basename(spec.dataset);
  }
  const prompts = texts.map((t) => ({ text: t, tokens: tok.count(t) }));
  const h = createHash('sha256');
  h.update(
    JSON.stringify({
      tokenizer: tok.name,
      outputTokens: spec.outputTokens,
      temperature: spec.temperature,
      ignoreEos: spec.ignoreEos,
    }),
  );
  for (const p of prompts) h.update('\0' + p.tokens + '\0' + p.text);
  return {
    dataset,
    prompts,
    inputTokens,
    outputTokens: spec.outputTokens,
    temperature: spec.temperature,
    ignoreEos: spec.ignoreEos,
    tokenizer: tok.name,
    fingerprint: `sha256:${h.digest('hex')}`,
  };
}

/** The prompt for the seq-th request of a trial: the same for every backend, cycling through the set. */
export const promptIndexFor = (seq: number, trial: number, count: number): number => (seq + trial * 7919) % count;
