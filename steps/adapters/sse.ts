/**
 * SSE framing via eventsource-parser@3 (maintained, spec-conformant: `data:` with or without the space, comment
 * and keep-alive lines, CRLF / CR / LF, events split across reads, multi-line data). Bytes are decoded with Node's
 * StringDecoder (native; a UTF-8 character split across two reads is kept for the next read, not mangled), which
 * costs about half of a streaming TextDecoder per read.
 *
 * A hostile server can send one endless line: the parser would buffer all of it. So the size of the line being
 * received and of the event being assembled is checked per network read, before the read reaches the parser,
 * and an oversized one throws SseTooLarge (the client records malformed_chunk and closes the connection). The
 * check costs two native string scans per read, nothing per byte in JS.
 */
import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';

export interface SseStream {
  /** Feed raw bytes from the network. Throws SseTooLarge when a line or an event exceeds the bound. */
  feed(bytes: Uint8Array): void;
  /** The body ended: flush the byte decoder. An event without its terminating blank line is dropped, as the
   * SSE spec says; a cut stream then fails as truncated instead of half-parsed. */
  end(): void;
}

/** Default bound on one SSE line and on one event, in UTF-16 code units (≈ bytes for JSON): 1 MiB. A TGI final
 * event repeats the whole generated text (≈ 10 bytes a token), so 1 MiB holds ~100k tokens of output. */
export const MAX_EVENT_CHARS = 1 << 20;

export class SseTooLarge extends Error {
  constructor(
    readonly what: 'line' | 'event',
    readonly limit: number,
  ) {
    super(`one SSE ${what} exceeds ${limit} characters: cut without reading the rest`);
  }
}

/** Last line break (LF, or CR for CR-only streams: only searched when there is no LF). */
function lastBreak(s: string): number {
  const n = s.lastIndexOf('\n');
  return n >= 0 ? n : s.lastIndexOf('\r');
}

export function createSseStream(
  onEvent: (data: string, event: string | undefined) => void,
  onComment?: (c: string) => void,
  maxChars: number = MAX_EVENT_CHARS,
): SseStream {
  const decoder = new StringDecoder('utf8');
  /** Characters of the line not yet ended, and of the event since the parser last emitted something. */
  let lineChars = 0;
  let eventChars = 0;
  let emitted = false;
  const parser = createParser({
    onEvent: (e) => {
      emitted = true;
      onEvent(e.data, e.event);
    },
    onComment: (c) => {
      emitted = true;
      onComment?.(c);
    },
  });
  const push = (text: string) => {
    // The line check runs before the parser sees the read, so it never holds more than the bound of one line.
    // (Only a read that would take the unfinished line past the bound needs the position of its first break.)
    if (lineChars + text.length > maxChars) {
      const n = text.indexOf('\n');
      const r = text.indexOf('\r');
      const first = n < 0 ? r : r < 0 ? n : Math.min(n, r);
      if (lineChars + (first < 0 ? text.length : first) > maxChars) throw new SseTooLarge('line', maxChars);
    }
    emitted = false;
    parser.feed(text);
    const last = lastBreak(text);
    lineChars = last < 0 ? lineChars + text.length : text.length - last - 1;
    // Characters since the parser last emitted (approximately: after an emission, the unfinished line). The
    // parser then holds at most the bound plus one network read of an unfinished event.
    eventChars = emitted ? lineChars : eventChars + text.length;
    if (eventChars > maxChars) throw new SseTooLarge('event', maxChars);
  };
  return {
    feed(bytes) {
      push(decoder.write(bytes as Buffer));
    },
    end() {
      const rest = decoder.end();
      if (rest) push(rest);
    },
  };
}
