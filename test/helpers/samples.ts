/** Sample fixtures shared by unit tests: one successful streamed request, every field as the schema has it. */
import { loneRequestBase } from '../../steps/adapters/client.js';
import type { Sample } from '../../steps/core/types/sample.js';

/**
 * A successful request on vLLM whose chunks of one token each arrive at `chunks` (ms), ending 1 ms after the last;
 * sent at 0, headers at 5 ms. `over` replaces any field.
 */
export function streamedSample(chunks: number[], over: Partial<Sample> = {}): Sample {
  const n = chunks.length;
  return {
    v: 1,
    ...loneRequestBase('r', 'vllm', null, { intended_send_ms: 0 }),
    sent_ms: 0,
    headers_ms: 5,
    chunk_ms: chunks,
    chunk_tokens: chunks.map(() => 1),
    end_ms: chunks[n - 1] + 1,
    output_tokens: { requested: n, server: n, client: n },
    finish_reason: 'length',
    ok: true,
    error: null,
    ...over,
  };
}
