/**
 * SSE framing via eventsource-parser@3 (maintained, spec-conformant: `data:` with or without the space, comment
 * and keep-alive lines, CRLF / CR / LF, events split across reads, multi-line data). Bytes are decoded with a
 * streaming TextDecoder so a UTF-8 character split across two reads is not mangled.
 */
import { createParser } from 'eventsource-parser';

export interface SseStream {
  /** Feed raw bytes from the network. */
  feed(bytes: Uint8Array): void;
  /** The body ended: flush the byte decoder. An event without its terminating blank line is dropped, as the
   * SSE spec says; a cut stream then fails as truncated instead of half-parsed. */
  end(): void;
}

export function createSseStream(
  onEvent: (data: string, event: string | undefined) => void,
  onComment?: (c: string) => void,
): SseStream {
  const decoder = new TextDecoder();
  const parser = createParser({ onEvent: (e) => onEvent(e.data, e.event), onComment });
  return {
    feed(bytes) {
      parser.feed(decoder.decode(bytes, { stream: true }));
    },
    end() {
      const rest = decoder.decode();
      if (rest) parser.feed(rest);
    },
  };
}
