/** vLLM's OpenAI-compatible server: /v1/completions (default) or /v1/chat/completions. */
import { buildOpenAi, openAiDecoder } from '../../adapters/openai.js';
import type { Adapter } from '../../adapters/types.js';

export const vllmAdapter: Adapter = {
  kind: 'vllm',
  apis: ['completions', 'chat'],
  // ignore_eos is a vLLM extension (OpenAI's schema ignores unknown fields): equal work across servers.
  build: (req, api) => buildOpenAi(req, api === 'chat' ? 'chat' : 'completions', { ignore_eos: req.ignoreEos }),
  decoder: (_api, sink) => openAiDecoder(sink),
};
