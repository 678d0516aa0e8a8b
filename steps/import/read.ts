/**
 * Bounded reading of peer result files. A JSON or YAML document is read only when the file is within a size cap
 * (exit 2 naming the cap otherwise); line-based files (JSON lines, CSV) are read as a stream, one line at a time,
 * and a line over the line cap is refused without buffering the rest of it.
 */
import { createReadStream, promises as fs } from 'node:fs';

/** Largest JSON/YAML document imported (a `vllm bench serve --save-detailed` run of 10 000 prompts is ~50 MB). */
export const MAX_DOCUMENT_BYTES = 256 * 1024 * 1024;
/** Largest single line of a JSON-lines or CSV file (one `--append-result` record, detailed, fits well below). */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

/**
 * Per-request values (TTFT, E2E, TPOT, ITL) kept from all files of one import for exact pooling: 50 M doubles are
 * 400 MB, which keeps one import well under 2 GiB together with one parsed document at the document cap.
 */
export const MAX_RAW_VALUES = 50_000_000;

export interface ReadLimits {
  documentBytes: number;
  lineBytes: number;
  rawValues: number;
}
export const DEFAULT_LIMITS: ReadLimits = {
  documentBytes: MAX_DOCUMENT_BYTES,
  lineBytes: MAX_LINE_BYTES,
  rawValues: MAX_RAW_VALUES,
};

export class ReadError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) ? 1 : 0)} MiB`;
export const capText = (n: number) => `${n} bytes (${mib(n)})`;

/** The whole file as text, refused when larger than the cap (checked before and while reading: files can grow). */
export async function readDocument(file: string, limits: ReadLimits): Promise<string> {
  let st;
  try {
    st = await fs.stat(file);
  } catch (e) {
    throw new ReadError((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (e as Error).message);
  }
  if (!st.isFile()) throw new ReadError('not a regular file');
  if (st.size > limits.documentBytes)
    throw new ReadError(`file is ${st.size} bytes, over the import cap of ${capText(limits.documentBytes)} per file`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    size += (chunk as Buffer).length;
    if (size > limits.documentBytes)
      throw new ReadError(`file grew past the import cap of ${capText(limits.documentBytes)} while being read`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Yields the file's lines (without the newline, CR stripped) with their 1-based numbers. A line longer than the
 * cap throws a ReadError naming the line; memory stays within one line plus one read chunk.
 */
export async function* readLines(file: string, limits: ReadLimits): AsyncGenerator<{ line: number; text: string }> {
  let parts: Buffer[] = [];
  let size = 0;
  let line = 1;
  const flush = () => {
    let text = Buffer.concat(parts).toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    parts = [];
    size = 0;
    return text;
  };
  for await (const raw of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    let chunk = raw as Buffer;
    for (;;) {
      const nl = chunk.indexOf(0x0a);
      const piece = nl < 0 ? chunk : chunk.subarray(0, nl);
      size += piece.length;
      if (size > limits.lineBytes)
        throw new ReadError(`line ${line} is longer than the line cap of ${capText(limits.lineBytes)}`, line);
      parts.push(piece);
      if (nl < 0) break;
      yield { line, text: flush() };
      line++;
      chunk = chunk.subarray(nl + 1);
    }
  }
  if (size > 0) yield { line, text: flush() };
}

/** First non-blank bytes of a file, to tell JSON, JSON lines, YAML and CSV apart without reading it all. */
export async function head(file: string, bytes = 4096): Promise<string> {
  const fh = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
  } finally {
    await fh.close();
  }
}
