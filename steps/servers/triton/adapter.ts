/**
 * NVIDIA Triton with the vLLM backend: POST /v2/models/{model}/generate_stream. Inputs are the model's input
 * tensors by name; sampling_parameters is a JSON *string* (the backend fails a request on unknown sampling keys
 * and defaults max_tokens to 16). Streaming needs `stream: true` and `exclude_input_in_output: true`.
 * Each event: {model_name, model_version, text_output, num_output_tokens (tokens in THIS response),
 * num_input_tokens}. No [DONE]: the stream ends when the server closes the chunked body. Errors arrive as
 * `data: {"error": "..."}` under HTTP 200.
 */
import type { Adapter } from '../../adapters/types.js';

interface TritonEvent {
  text_output?: string;
  num_output_tokens?: number | number[];
  num_input_tokens?: number | number[];
  finish_reason?: string | string[];
  error?: string;
}

const scalar = <T>(v: T | T[] | undefined): T | undefined => (Array.isArray(v) ? v[0] : v);

export const tritonAdapter: Adapter = {
  kind: 'triton',
  apis: ['generate_stream'],
  build(req) {
    const sampling: Record<string, unknown> = { max_tokens: req.maxTokens, temperature: req.temperature };
    if (req.ignoreEos) {
      sampling.ignore_eos = true;
      sampling.min_tokens = req.maxTokens;
    }
    return {
      path: `/v2/models/${encodeURIComponent(req.model)}/generate_stream`,
      body: {
        text_input: req.prompt,
        stream: true,
        exclude_input_in_output: true,
        return_num_output_tokens: true,
        return_num_input_tokens: true,
        sampling_parameters: JSON.stringify(sampling),
      },
    };
  },
  decoder(_api, sink) {
    let sawInput = false;
    return {
      onEvent(data, event) {
        const j = JSON.parse(data) as TritonEvent;
        if (event === 'error' || j.error !== undefined) {
          sink.error(String(j.error ?? data));
          return;
        }
        const n = scalar(j.num_output_tokens);
        const text = j.text_output ?? '';
        // An event with text or with tokens carries output; an empty final response does not.
        if (text || (n ?? 0) > 0) sink.output(text, n ?? null);
        if (n != null) sink.addServerOutputTokens(n);
        const inp = scalar(j.num_input_tokens);
        if (inp != null && !sawInput) {
          sawInput = true;
          sink.serverInputTokens(inp);
        }
        const fr = scalar(j.finish_reason);
        if (fr) sink.finishReason(fr);
      },
      // Triton has no terminal event; a cleanly closed chunked body is the end (a cut is a transport error).
      truncation: () => null,
    };
  },
};
