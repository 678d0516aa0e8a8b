/**
 * HuggingFace TGI: native /generate_stream (default) or its OpenAI Messages route (/v1/chat/completions).
 * Native stream: one token per event (`token.special` marks EOS and friends), the last event carries
 * `generated_text` and `details` {finish_reason, generated_tokens, input_length}; no [DONE]. Errors arrive as
 * `data:{"error": "...", "error_type": "..."}` under HTTP 200. TGI has no ignore_eos (its router drops it), so we
 * ask for max_new_tokens and let the metrics flag the shortfall.
 */
import { buildOpenAi, openAiDecoder } from '../../adapters/openai.js';
import type { Adapter } from '../../adapters/types.js';

interface TgiEvent {
  token?: { text?: string; special?: boolean };
  generated_text?: string | null;
  details?: { finish_reason?: string; generated_tokens?: number; input_length?: number } | null;
  error?: string;
  error_type?: string;
}

export const tgiAdapter: Adapter = {
  kind: 'tgi',
  apis: ['generate_stream', 'openai'],
  build(req, api) {
    if (api === 'openai') return buildOpenAi(req, 'chat', {}, 'max_tokens');
    const parameters: Record<string, unknown> = {
      max_new_tokens: req.maxTokens,
      details: true,
      do_sample: req.temperature > 0,
    };
    // TGI rejects temperature 0 (exclusiveMinimum): greedy decoding is do_sample=false instead.
    if (req.temperature > 0) parameters.temperature = req.temperature;
    return { path: '/generate_stream', body: { inputs: req.prompt, parameters } };
  },
  decoder(api, sink) {
    if (api === 'openai') return openAiDecoder(sink);
    let final = false;
    return {
      onEvent(data, event) {
        const j = JSON.parse(data) as TgiEvent;
        if (event === 'error' || j.error !== undefined) {
          sink.error(j.error_type ? `${j.error_type}: ${j.error}` : String(j.error ?? data));
          return;
        }
        if (j.token) sink.output(j.token.special ? '' : (j.token.text ?? ''), 1);
        if (j.details) {
          if (j.details.generated_tokens != null) sink.serverOutputTokens(j.details.generated_tokens);
          if (j.details.input_length != null) sink.serverInputTokens(j.details.input_length);
          if (j.details.finish_reason) sink.finishReason(j.details.finish_reason);
        }
        if (j.generated_text != null || j.details) {
          final = true;
          sink.done();
        }
      },
      truncation: () => (final ? null : 'stream ended without the final event (generated_text/details)'),
    };
  },
};
