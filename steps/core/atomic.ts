import { promises as fs, constants as fsc } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { lstatSync } from 'node:fs';
import { InvalidInputError } from './errors.js';

/**
 * Outputs never follow symlinks: a link planted where an output goes (a dangling one would create its target
 * outside the work directory; a live one would overwrite or append to another file) is refused, exit 2.
 */
export function symlinkRefused(file: string): InvalidInputError {
  return new InvalidInputError(
    'output-is-symlink',
    `${file} is a symbolic link; outputs are never written through links`,
    {
      hint: 'Remove the link (or choose another output directory); nothing was written to it.',
      problems: [{ path: '', message: 'is a symbolic link', file }],
    },
  );
}

/** Throws symlinkRefused when `file` exists as a symbolic link (dangling or not). */
export function refuseSymlink(file: string): void {
  let isLink = false;
  try {
    isLink = lstatSync(file).isSymbolicLink();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (isLink) throw symlinkRefused(file);
}

/**
 * Atomic file writes: write a temp file in the same directory, fsync, rename over the target. A crash leaves
 * either the old file or the new one, never half of either.
 */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  opts: { mode?: number } = {},
): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  refuseSymlink(file);
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fh = await fs.open(tmp, fsc.O_CREAT | fsc.O_WRONLY | fsc.O_EXCL, opts.mode ?? 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Refuses to overwrite an existing file unless asked; used where losing earlier results would hurt. */
export async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Appends whole lines to an NDJSON file. Each call is one write(2) of complete lines on an O_APPEND fd, so a
 * killed process leaves every previously appended line intact (at worst the final line is missing, never torn
 * mid-way by us). Readers must still tolerate a torn last line from a power loss.
 */
export class NdjsonAppender {
  private fh: fs.FileHandle | undefined;
  private queue: Promise<void> = Promise.resolve();
  constructor(readonly file: string) {}

  async open(): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    // O_NOFOLLOW: the check and the open are one system call, so a link planted in between is refused too.
    try {
      this.fh = await fs.open(this.file, fsc.O_WRONLY | fsc.O_APPEND | fsc.O_CREAT | fsc.O_NOFOLLOW, 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw symlinkRefused(this.file);
      throw e;
    }
  }

  append(value: unknown): Promise<void> {
    const line = JSON.stringify(value) + '\n';
    this.queue = this.queue.then(async () => {
      if (!this.fh) throw new Error(`appender for ${this.file} is not open`);
      await this.fh.write(line);
    });
    return this.queue;
  }

  async close(): Promise<void> {
    await this.queue;
    if (this.fh) {
      await this.fh.sync().catch(() => {});
      await this.fh.close();
      this.fh = undefined;
    }
  }
}
