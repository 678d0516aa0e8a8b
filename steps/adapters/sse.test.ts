import { describe, expect, it } from '@jest/globals';
import { createSseStream, SseTooLarge } from './sse.js';

const enc = (s: string) => new TextEncoder().encode(s);

function collect(parts: (string | Uint8Array)[]) {
  const events: { data: string; event?: string }[] = [];
  const comments: string[] = [];
  const s = createSseStream(
    (data, event) => events.push(event ? { data, event } : { data }),
    (c) => comments.push(c),
  );
  for (const p of parts) s.feed(typeof p === 'string' ? enc(p) : p);
  s.end();
  return { events, comments };
}

describe('SSE framing', () => {
  it('reads data with and without the space after the colon', () => {
    expect(collect(['data: {"a":1}\n\ndata:{"b":2}\n\n']).events).toEqual([{ data: '{"a":1}' }, { data: '{"b":2}' }]);
  });
  it('skips comment and keep-alive lines', () => {
    const r = collect([': keep-alive\n\n:ping\ndata: x\n\n']);
    expect(r.events).toEqual([{ data: 'x' }]);
    expect(r.comments.length).toBeGreaterThanOrEqual(1);
  });
  it('handles CRLF line endings', () => {
    expect(collect(['data: one\r\n\r\ndata: two\r\n\r\n']).events.map((e) => e.data)).toEqual(['one', 'two']);
  });
  it('joins an event split across reads, even inside the field name and the CRLF', () => {
    expect(collect(['da', 'ta: {"t', 'ext":"hi"}\r', '\n\r', '\n']).events).toEqual([{ data: '{"text":"hi"}' }]);
  });
  it('does not mangle a UTF-8 character split across two reads', () => {
    const bytes = enc('data: {"text":"é€"}\n\n');
    const cut = bytes.indexOf(0xe2) + 1; // inside the 3-byte euro sign
    expect(collect([bytes.slice(0, cut), bytes.slice(cut)]).events).toEqual([{ data: '{"text":"é€"}' }]);
  });
  it('passes the event name (error events)', () => {
    expect(collect(['event: error\ndata: {"error":"boom"}\n\n']).events).toEqual([
      { data: '{"error":"boom"}', event: 'error' },
    ]);
  });
  it('drops a last event that lacks its blank line (SSE spec), so a cut stream is not half-parsed', () => {
    expect(collect(['data: one\n\ndata: {"cut', '\n']).events).toEqual([{ data: 'one' }]);
  });

  it('an endless line throws SseTooLarge before the parser buffers it; events of bounded size pass', () => {
    const events: string[] = [];
    const sse = createSseStream((d) => events.push(d), undefined, 1000);
    sse.feed(enc('data: ' + 'a'.repeat(900) + '\n\n'));
    expect(events).toHaveLength(1);
    sse.feed(enc('data: ' + 'b'.repeat(500)));
    expect(() => sse.feed(enc('b'.repeat(600)))).toThrow(SseTooLarge);
  });

  it('many short data lines without a blank line are one oversized event', () => {
    const sse = createSseStream(() => {}, undefined, 1000);
    expect(() => {
      for (let i = 0; i < 200; i++) sse.feed(enc('data: xxxxxxxx\n'));
    }).toThrow(/SSE event exceeds 1000/);
  });
});
