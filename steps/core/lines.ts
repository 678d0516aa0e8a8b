/**
 * Bounded line reading for every NDJSON file a step reads (samples.ndjson, server-metrics.ndjson). A line is held
 * only up to MAX_LINE_BYTES: a longer one (a 1 GB sparse file is one line of NUL bytes) stops the read with exit 2
 * naming file and line, after buffering at most the bound — never the line. `readline` has no such bound: it
 * concatenates until a newline and dies with a RangeError (string length) or the OOM killer.
 */
import { promises as fs } from 'node:fs';
import { InvalidInputError } from './errors.js';
import { throwIfStopped } from './stop.js';

/** Longest NDJSON line any step accepts (bytes, newline excluded). A sample line is ~20 bytes per chunk stamp. */
export const MAX_LINE_BYTES = Number(process.env.LLMBENCH_MAX_LINE_BYTES ?? 16 * 2 ** 20);

const READ_BYTES = 1 << 20;

export interface Line {
  /** 1-based line number. */
  no: number;
  text: string;
  /** True for the final line when the file does not end in a newline (a torn write). */
  unterminated: boolean;
}

export function lineTooLong(file: string, no: number, max: number): InvalidInputError {
  return new InvalidInputError('line-too-long', `${file}: line ${no} is longer than ${max} bytes`, {
    hint: `Lines of this file are bounded to ${max} bytes (LLMBENCH_MAX_LINE_BYTES); the file is corrupt (e.g. a sparse or binary file) or not what this step reads.`,
    problems: [{ path: '', message: `line longer than ${max} bytes`, file, line: no }],
  });
}

/**
 * Yields the lines of `file` (CRLF tolerated), each at most `maxLineBytes`. Missing file: ENOENT propagates.
 * Aborting `signal` stops between reads.
 */
export async function* readLines(
  file: string,
  opts: { maxLineBytes?: number; signal?: AbortSignal } = {},
): AsyncGenerator<Line> {
  const max = opts.maxLineBytes ?? MAX_LINE_BYTES;
  const fh = await fs.open(file, 'r');
  try {
    let parts: Buffer[] = [];
    let held = 0;
    let no = 0;
    const buf = Buffer.allocUnsafe(READ_BYTES);
    for (;;) {
      opts.signal?.throwIfAborted();
      throwIfStopped();
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      const data = buf.subarray(0, bytesRead);
      let pos = 0;
      for (let nl = data.indexOf(10, pos); nl >= 0; nl = data.indexOf(10, pos)) {
        no++;
        if (held + nl - pos > max) throw lineTooLong(file, no, max);
        const piece = data.subarray(pos, nl);
        const whole = held ? Buffer.concat([...parts, piece]) : piece;
        parts = [];
        held = 0;
        const end = whole.length && whole[whole.length - 1] === 13 ? whole.length - 1 : whole.length;
        yield { no, text: whole.toString('utf8', 0, end), unterminated: false };
        pos = nl + 1;
      }
      if (pos < data.length) {
        held += data.length - pos;
        if (held > max) throw lineTooLong(file, no + 1, max);
        parts.push(Buffer.from(data.subarray(pos))); // copy: `buf` is reused by the next read
      }
    }
    if (held) {
      const whole = Buffer.concat(parts);
      yield { no: no + 1, text: whole.toString('utf8'), unterminated: true };
    }
  } finally {
    await fh.close();
  }
}
