import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildWorkload, parseDataset } from './workload.js';
import { getTokenizer } from './tokenizer.js';

const spec = {
  dataset: 'synthetic',
  inputTokens: 64,
  outputTokens: 32,
  prompts: 12,
  temperature: 0,
  ignoreEos: true,
  seed: 3,
};

describe('workload', () => {
  it('synthetic prompts have exactly the requested token length (client tokenizer, no special tokens)', async () => {
    for (const n of [1, 5, 64, 300]) {
      const w = await buildWorkload({ ...spec, inputTokens: n });
      expect(w.prompts.map((p) => getTokenizer().count(p.text))).toEqual(new Array(12).fill(n));
    }
  });

  it('is deterministic per seed; the fingerprint covers prompts, lengths and sampling parameters', async () => {
    const a = await buildWorkload(spec);
    const b = await buildWorkload(spec);
    expect(a.prompts).toEqual(b.prompts);
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(new Set(a.prompts.map((p) => p.text)).size).toBe(12);
    expect((await buildWorkload({ ...spec, seed: 4 })).fingerprint).not.toBe(a.fingerprint);
    expect((await buildWorkload({ ...spec, outputTokens: 33 })).fingerprint).not.toBe(a.fingerprint);
    expect((await buildWorkload({ ...spec, temperature: 0.7 })).fingerprint).not.toBe(a.fingerprint);
  });

  it('builtin: the fixed prompt set', async () => {
    const w = await buildWorkload({ ...spec, dataset: 'builtin', prompts: undefined });
    expect(w.prompts.length).toBe(24);
    expect(w.inputTokens).toBeNull();
  });

  it('reads JSONL and ShareGPT files', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wl-'));
    writeFileSync(path.join(dir, 'p.jsonl'), '{"prompt":"Hello there"}\n\n{"text":"Second"}\n');
    writeFileSync(
      path.join(dir, 's.json'),
      JSON.stringify([
        {
          conversations: [
            { from: 'human', value: 'Q1' },
            { from: 'gpt', value: 'A1' },
          ],
        },
        { conversations: [{ from: 'human', value: 'Q2' }] },
      ]),
    );
    expect(
      (await buildWorkload({ ...spec, dataset: 'p.jsonl', prompts: undefined }, dir)).prompts.map((p) => p.text),
    ).toEqual(['Hello there', 'Second']);
    const sg = await buildWorkload({ ...spec, dataset: path.join(dir, 's.json'), prompts: undefined });
    expect(sg.prompts.map((p) => p.text)).toEqual(['Q1', 'Q2']);
    expect(sg.dataset).toBe('s.json');
  });

  it('reports every bad dataset record with its line', () => {
    let err: { problems: { line?: number; message: string }[] } | undefined;
    try {
      parseDataset('{"prompt":"ok"}\nnot json\n{"foo":1}\n', 'bad.jsonl');
    } catch (e) {
      err = e as typeof err;
    }
    expect(err?.problems.map((p) => p.line)).toEqual([2, 3]);
    expect(() => parseDataset('[{"conversations":[]}]', 'x.json')).toThrow(/invalid record/);
  });
});
