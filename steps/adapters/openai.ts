/**
 * OpenAI-compatible streaming (completions and chat), shared by the vLLM adapter and TGI's OpenAI route.
 * Terminal event: `data: [DONE]`. Usage comes in a final chunk with `choices: []` when
 * `stream_options.include_usage` is set (always set explicitly: its default changed across vLLM releases).
 */
import type { GenRequest, StreamDecoder, StreamSink, WireRequest } from './types.js';

/** `maxField` for chat: OpenAI/vLLM take max_completion_tokens; TGI's Messages API only knows max_tokens. */
export function buildOpenAi(
  req: GenRequest,
  api: 'completions' | 'chat',
  extra: Record<string, unknown> = {},
  maxField: 'max_tokens' | 'max_completion_tokens' = 'max_completion_tokens',
): WireRequest {
  const common = {
    model: req.model,
    stream: true,
    stream_options: { include_usage: true },
    temperature: req.temperature,
    ...extra,
  };
  if (api === 'chat') {
    return {
      path: '/v1/chat/completions',
      body: { ...common, messages: [{ role: 'user', content: req.prompt }], [maxField]: req.maxTokens },
    };
  }
  return { path: '/v1/completions', body: { ...common, prompt: req.prompt, max_tokens: req.maxTokens } };
}

interface OpenAiChunk {
  choices?: {
    text?: string | null;
    delta?: { content?: string | null; role?: string };
    finish_reason?: string | null;
  }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: unknown;
  object?: string;
  message?: string;
}

/**
 * Output event, from the servers' stream code: vLLM (serving_completion.py / serving_chat.py) writes one chunk per
 * engine output that carries token ids, even when their text is empty (the EOS token, whose text is skipped, comes
 * as `text: ""` / `content: ""` with `finish_reason: "stop"`, and completion_tokens counts it); TGI's Messages API
 * (router/src/chat.rs) writes one chunk per token, a special token as `content: ""`. The one chunk with a choice
 * that carries no token is vLLM's chat role announcement (`delta: {role, content: ""}`, finish_reason null), sent
 * right before the first token's chunk: it is not an output event, so TTFT is the first token's chunk.
 */
export function openAiDecoder(sink: StreamSink): StreamDecoder {
  let outputs = 0;
  return {
    onEvent(data, event) {
      if (data === '[DONE]') {
        sink.done();
        return;
      }
      const j = JSON.parse(data) as OpenAiChunk;
      // vLLM >= 0.10 streams errors as `{"error": {message, type, param, code}}`, older ones as
      // `{"object":"error", "message": ...}`; TGI's Messages API as `{"error": {message, http_status_code}}`.
      if (event === 'error' || j.error !== undefined || j.object === 'error') {
        const e = j.error as { message?: string } | string | undefined;
        sink.error(typeof e === 'string' ? e : (e?.message ?? j.message ?? data));
        return;
      }
      const c = j.choices?.[0];
      if (c) {
        const text = c.text ?? c.delta?.content ?? '';
        const roleOnly = outputs === 0 && text === '' && !c.finish_reason && c.delta?.role !== undefined;
        if (!roleOnly) {
          outputs++;
          sink.output(text, null);
        }
        if (c.finish_reason) sink.finishReason(c.finish_reason);
      }
      if (j.usage) {
        if (j.usage.completion_tokens != null) sink.serverOutputTokens(j.usage.completion_tokens);
        if (j.usage.prompt_tokens != null) sink.serverInputTokens(j.usage.prompt_tokens);
      }
    },
    truncation: (sawDone) => (sawDone ? null : 'stream ended without data: [DONE]'),
  };
}
