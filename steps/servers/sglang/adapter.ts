/**
 * SGLang (sgl-project/sglang): its OpenAI-compatible routes (/v1/completions default, /v1/chat/completions;
 * python/sglang/srt/entrypoints/openai/serving_completions.py, serving_chat.py — `data: ` chunks and [DONE]
 * like vLLM's, with SGLang's own chat finish chunk and "abort" finish reason (below); `ignore_eos` accepted as
 * an extra sampling field) or its native POST /generate with `stream: true`
 * (python/sglang/srt/entrypoints/http_server.py generate_request). The native stream writes
 * `data: {text, output_ids, meta_info}` per step, where `text` is the WHOLE text so far (tokenizer_manager.py
 * _handle_batch_output: `state.text += ...; out = {"text": state.text, ...}`) and meta_info.completion_tokens is
 * cumulative (output_ids too, without --stream-output); meta_info.finish_reason is null until the last event,
 * then {"type": "length"|"stop"|"abort", …}. Several tokens can arrive in one event (outputs merge when the
 * reader lags): the completion_tokens step says how many. Wire transcripts: test/fixtures/wire/sglang.
 * It ends with `data: [DONE]`; an error is `data: {"error": {"message": ...}}` (still HTTP 200) before [DONE].
 * A scheduler abort (FINISH_ABORT in managers/schedule_batch.py: {type: "abort", message, status_code, err_type})
 * is not raised in stream mode: tokenizer_manager._wait_one_response yields it as the last event, then [DONE] —
 * so it is an error event, not a finish reason.
 */
import { buildOpenAi, openAiDecoder } from '../../adapters/openai.js';
import type { Adapter, StreamDecoder, StreamSink } from '../../adapters/types.js';

interface SglangEvent {
  text?: string;
  meta_info?: {
    prompt_tokens?: number;
    completion_tokens?: number;
    finish_reason?: { type?: string; message?: string } | string | null;
  };
  error?: { message?: string } | string;
}

interface SglangChunk {
  choices?: { finish_reason?: string | null; text?: string; delta?: { content?: string | null } }[];
}

/**
 * The OpenAI routes pass a scheduler abort through as a chunk with finish_reason "abort" and no text
 * (serving_completions.py / serving_chat.py: `finish_reason=finish_reason["type"]`), then usage and [DONE]: an
 * error, not a finish. Chat (serving_chat.py _generate_chat_stream) writes a content chunk only for a non-empty
 * delta and, after the last output, one finish chunk with an empty delta: that chunk carries the EOS token when the
 * request stopped (the EOS output has no text, so no chunk of its own), but no token when it hit the length limit
 * (the last token had its content chunk) — then it is no output event.
 */
function sglangOpenAiDecoder(sink: StreamSink): StreamDecoder {
  const inner = openAiDecoder(sink);
  return {
    onEvent(data, event) {
      if (data !== '[DONE]' && data.includes('"finish_reason":"')) {
        const c = (JSON.parse(data) as SglangChunk).choices?.[0];
        if (c?.finish_reason === 'abort') return sink.error('request aborted by the server (finish_reason "abort")');
        if (c?.finish_reason === 'length' && c.delta && !c.delta.content) return sink.finishReason('length');
      }
      inner.onEvent(data, event);
    },
    truncation: inner.truncation,
  };
}

export const sglangAdapter: Adapter = {
  kind: 'sglang',
  apis: ['completions', 'chat', 'generate'],
  build(req, api) {
    if (api !== 'generate')
      return buildOpenAi(req, api === 'chat' ? 'chat' : 'completions', { ignore_eos: req.ignoreEos }, 'max_tokens');
    // SamplingParams (python/sglang/srt/sampling/sampling_params.py): max_new_tokens, temperature, ignore_eos.
    const sampling_params = { max_new_tokens: req.maxTokens, temperature: req.temperature, ignore_eos: req.ignoreEos };
    return { path: '/generate', body: { text: req.prompt, sampling_params, stream: true } };
  },
  decoder(api, sink) {
    if (api !== 'generate') return sglangOpenAiDecoder(sink);
    let textSoFar = 0;
    let tokensSoFar = 0;
    let sawInput = false;
    return {
      onEvent(data) {
        if (data === '[DONE]') {
          sink.done();
          return;
        }
        const j = JSON.parse(data) as SglangEvent;
        if (j.error !== undefined) {
          sink.error(typeof j.error === 'string' ? j.error : (j.error.message ?? data));
          return;
        }
        const text = j.text ?? '';
        const m = j.meta_info ?? {};
        const total = m.completion_tokens ?? null;
        // Cumulative text and token count: this event's output is what is new since the last one.
        const piece = text.length > textSoFar ? text.slice(textSoFar) : '';
        const tokens = total === null ? null : Math.max(0, total - tokensSoFar);
        if (piece || (tokens ?? 0) > 0) sink.output(piece, tokens);
        textSoFar = Math.max(textSoFar, text.length);
        if (total !== null) {
          tokensSoFar = Math.max(tokensSoFar, total);
          sink.serverOutputTokens(tokensSoFar);
        }
        if (m.prompt_tokens != null && !sawInput) {
          sawInput = true;
          sink.serverInputTokens(m.prompt_tokens);
        }
        const fr = m.finish_reason;
        if (fr && typeof fr !== 'string' && fr.type === 'abort') sink.error(fr.message ?? 'aborted');
        else if (fr) sink.finishReason(typeof fr === 'string' ? fr : (fr.type ?? 'unknown'));
      },
      truncation: (sawDone) => (sawDone ? null : 'stream ended without data: [DONE]'),
    };
  },
};
