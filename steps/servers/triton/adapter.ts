/**
 * NVIDIA Triton with the vLLM backend: POST /v2/models/{model}/generate_stream. Inputs are the model's input
 * tensors by name; sampling_parameters is a JSON *string* (the backend fails a request on unknown sampling keys
 * and defaults max_tokens to 16). Streaming needs `stream: true` and `exclude_input_in_output: true`.
 * Each event (Triton's http_server.cc FinalizeResponse: outputs in name order, one-element tensors as scalars):
 * {finish_reason, model_name, model_version, num_input_tokens, num_output_tokens (tokens in THIS response: the
 * backend sends deltas, several tokens when vLLM merged steps under load), text_output}. The vLLM backend's
 * model.py writes finish_reason as str(output.finish_reason) in every response: the string "None" until the last.
 * No [DONE]: the stream ends when the server closes the chunked body, so the final finish_reason is the only way
 * to tell a complete stream from an early clean close. Errors: `data: {"error":"..."}`, under HTTP 200 after the
 * first response, and under the first response's status (500 for a backend error) when the first response fails.
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
        return_finish_reason: true,
        return_num_output_tokens: true,
        return_num_input_tokens: true,
        sampling_parameters: JSON.stringify(sampling),
      },
    };
  },
  decoder(_api, sink) {
    let sawInput = false;
    let final = false;
    return {
      onEvent(data, event) {
        const j = JSON.parse(data) as TritonEvent;
        if (event === 'error' || j.error !== undefined) {
          sink.error(String(j.error ?? data));
          return;
        }
        const n = scalar(j.num_output_tokens);
        const text = j.text_output ?? '';
        // An output event: text or tokens (the EOS token comes as text "" with num_output_tokens 1).
        if (text || (n ?? 0) > 0) sink.output(text, n ?? null);
        if (n != null) sink.addServerOutputTokens(n);
        const inp = scalar(j.num_input_tokens);
        if (inp != null && !sawInput) {
          sawInput = true;
          sink.serverInputTokens(inp);
        }
        const fr = scalar(j.finish_reason);
        if (fr && fr !== 'None') {
          final = true;
          sink.finishReason(fr);
        }
      },
      // Triton has no terminal event: without a final finish_reason, a cleanly closed body is a truncation.
      truncation: () => (final ? null : 'stream ended without a final response (finish_reason still "None")'),
    };
  },
};
