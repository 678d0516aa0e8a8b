import type { Format, Parser } from './common.js';
import { parseSeed } from './seed.js';
import { parseVllm } from './vllm.js';
import { parseGuidellm } from './guidellm.js';
import { parseAiperf } from './aiperf.js';
import { parseGenaiPerf } from './genai-perf.js';

export * from './common.js';

export const PARSERS: Record<Format, Parser> = {
  seed: parseSeed,
  vllm: parseVllm,
  guidellm: parseGuidellm,
  aiperf: parseAiperf,
  'genai-perf': parseGenaiPerf,
};

/** File kinds each tool writes that we read; anything else is refused with this advice. */
export const ACCEPTS: Record<Format, { yaml: boolean; jsonl: boolean; advice: string }> = {
  seed: { yaml: false, jsonl: false, advice: 'pass the seed result JSON' },
  vllm: { yaml: false, jsonl: true, advice: 'pass the --save-result JSON (or --append-result JSON lines)' },
  guidellm: { yaml: true, jsonl: false, advice: 'use the JSON (or YAML) export, e.g. --output-path benchmarks.json' },
  aiperf: {
    yaml: false,
    jsonl: false,
    advice: 'use the JSON export (profile_export_aiperf.json): the CSV has no load point or model',
  },
  'genai-perf': { yaml: false, jsonl: false, advice: 'use the JSON export (profile_export_genai_perf.json)' },
};
