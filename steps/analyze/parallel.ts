/**
 * Parallel re-derivation of large samples files: the main thread reads lines and cuts them into trials (one load
 * point × trial number, found by a cheap key scan), worker threads parse and summarize each trial with
 * steps/metrics. Workers verify that every batch really is one trial; anything unexpected (interleaved trials,
 * a key the scan misread) sends that file down the exact sequential path in samples.ts instead.
 */
import { promises as fs } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { SloSpec, Point } from '../metrics/derive.js';
import { lineTooLong, MAX_LINE_BYTES } from '../core/lines.js';
import { throwIfStopped } from '../core/stop.js';
import {
  assemble,
  ImplausibleCollector,
  MAX_CORRUPT_LINES,
  MAX_SAMPLES_PER_POINT,
  MAX_STAMPS_PER_POINT,
  readSamples,
  STAMPS_PER_SAMPLE,
  tooManyCorrupt,
  type SampleRead,
} from './samples.js';
import type { TrialBatch, TrialBatchResult } from './trial-worker.js';

const reC = /"concurrency":(null|\d+)/;
const reR = /"rate":(null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/;
const reT = /"trial":(\d+)/;

/** Batch key of a raw line, as pointKey(s)#trial would give after parsing; null when the scan cannot tell. */
export function scanKey(line: string): string | null {
  const c = reC.exec(line),
    r = reR.exec(line),
    t = reT.exec(line);
  if (!c || !r || !t) return null;
  const v = (x: string) => (x === 'null' ? '' : String(Number(x)));
  return `${v(c[1])}|${v(r[1])}#${t[1]}`;
}

/**
 * A trial larger than this is not sent to a worker (which would hold it as bytes, a string and parsed objects at
 * once) but read by the sequential path, which enforces the per-point caps line by line.
 */
const MAX_BATCH_BYTES = 64 * 2 ** 20;
/** Bytes of trials handed to workers and not yet summarized. */
const MAX_IN_FLIGHT_BYTES = 128 * 2 ** 20;

class Pool {
  private workers: { w: Worker; busy: number }[] = [];
  private bytes = new Map<number, number>();
  bytesInFlight = 0;
  private waiting = new Map<number, { resolve: (r: TrialBatchResult) => void; reject: (e: Error) => void }>();
  private failed: Error | null = null;
  private freed: (() => void)[] = [];
  constructor(n: number) {
    for (let i = 0; i < n; i++) {
      const w = new Worker(new URL('./worker-boot.mjs', import.meta.url), {
        workerData: { entry: new URL('./trial-worker.ts', import.meta.url).href },
      });
      const slot = { w, busy: 0 };
      w.on('message', (r: TrialBatchResult) => {
        slot.busy--;
        this.bytesInFlight -= this.bytes.get(r.id) ?? 0;
        this.bytes.delete(r.id);
        this.waiting.get(r.id)?.resolve(r);
        this.waiting.delete(r.id);
        for (const f of this.freed.splice(0)) f();
      });
      w.on('error', (e) => {
        this.failed = e;
        for (const p of this.waiting.values()) p.reject(e);
        this.waiting.clear();
        for (const f of this.freed.splice(0)) f();
      });
      this.workers.push(slot);
    }
  }
  run(b: TrialBatch): Promise<TrialBatchResult> {
    if (this.failed) return Promise.reject(this.failed);
    const slot = this.workers.reduce((a, x) => (x.busy < a.busy ? x : a));
    slot.busy++;
    this.bytes.set(b.id, b.bytes.length);
    this.bytesInFlight += b.bytes.length;
    return new Promise((resolve, reject) => {
      this.waiting.set(b.id, { resolve, reject });
      slot.w.postMessage(b, [b.bytes.buffer as ArrayBuffer]);
    });
  }
  /** Resolves when a worker finishes a batch (or fails). */
  slotFreed(): Promise<void> {
    return new Promise((resolve) => this.freed.push(resolve));
  }
  get failure(): Error | null {
    return this.failed;
  }
  get inFlight(): number {
    return this.workers.reduce((a, x) => a + x.busy, 0);
  }
  async close(): Promise<void> {
    await Promise.all(this.workers.map((x) => x.w.terminate()));
  }
}

/** Key of the line data[start, end): scans an ASCII prefix (the keys come first), the whole line if needed. */
function scanKeyAt(data: Buffer, start: number, end: number): string | null {
  const k = scanKey(data.toString('latin1', start, Math.min(end, start + 1024)));
  return k !== null || end - start <= 1024 ? k : scanKey(data.toString('utf8', start, end));
}

/**
 * Cuts one file into trials and hands each to the pool. Stops early when the file needs the exact sequential path:
 * trials interleaved, or a trial, point or corrupt-line count over a cap.
 */
class TrialDispatch {
  readonly pending: Promise<TrialBatchResult>[] = [];
  private closed = new Set<string>();
  private parts: Buffer[] = [];
  private key: string | null = null;
  private first = 1;
  lineNo = 0;
  interleaved = false;
  oversized = false;
  private linesPerPoint = new Map<string, number>();
  private corruptSeen = 0;

  constructor(
    private pool: Pool,
    private file: string,
    private slo: SloSpec | undefined,
    private nextId: () => number,
    private maxInFlight: number,
  ) {}

  get stopped(): boolean {
    return this.interleaved || this.oversized;
  }

  // Each trial's bytes go to a worker in one transferred buffer: no per-line strings on this thread.
  private async flush(): Promise<void> {
    const size = this.parts.reduce((a, b) => a + b.length, 0);
    if (!size) return;
    if (size > MAX_BATCH_BYTES) {
      this.oversized = true;
      return;
    }
    const bytes = new Uint8Array(size);
    let o = 0;
    for (const b of this.parts) {
      bytes.set(b, o);
      o += b.length;
    }
    this.parts = [];
    const pool = this.pool;
    const p = pool.run({ id: this.nextId(), firstLine: this.first, bytes, slo: this.slo });
    p.then(
      (r) => {
        this.corruptSeen += r.corrupt.length;
        if (this.corruptSeen > MAX_CORRUPT_LINES) this.oversized = true; // the sequential path stops at the exact line
      },
      () => {}, // observed by Promise.all in oneFile; never an unhandled rejection meanwhile
    );
    this.pending.push(p);
    // Backpressure: never hold more than a few trials in flight.
    while ((pool.inFlight >= this.maxInFlight || pool.bytesInFlight > MAX_IN_FLIGHT_BYTES) && !pool.failure)
      await pool.slotFreed();
  }

  private countLine(k: string): void {
    const pk = k.slice(0, k.lastIndexOf('#'));
    const n = (this.linesPerPoint.get(pk) ?? 0) + 1;
    this.linesPerPoint.set(pk, n);
    if (n > MAX_SAMPLES_PER_POINT) this.oversized = true; // the sequential path says where, exactly
  }

  /** Dispatches the trials that end in data; returns where its unfinished last line starts. */
  private async cut(data: Buffer): Promise<number> {
    let pos = 0,
      seg = 0;
    for (let nl = data.indexOf(10, pos); nl >= 0; nl = data.indexOf(10, pos)) {
      this.lineNo++;
      if (nl - pos > MAX_LINE_BYTES) throw lineTooLong(this.file, this.lineNo, MAX_LINE_BYTES);
      const k = scanKeyAt(data, pos, nl);
      if (k !== null) this.countLine(k);
      if (k !== null && k !== this.key) {
        if (this.key !== null) this.closed.add(this.key);
        if (this.closed.has(k)) {
          this.interleaved = true;
          return pos;
        }
        this.parts.push(data.subarray(seg, pos));
        await this.flush();
        if (this.oversized) return pos;
        seg = pos;
        this.first = this.lineNo;
        this.key = k;
      }
      pos = nl + 1;
    }
    if (!this.stopped) this.parts.push(data.subarray(seg, pos));
    return pos;
  }

  async readAll(): Promise<void> {
    const fh = await fs.open(this.file, 'r');
    try {
      let carry: Buffer = Buffer.alloc(0);
      let eof = false;
      while (!eof && !this.stopped) {
        throwIfStopped(); // the first SIGINT/SIGTERM ends the read here
        const buf = Buffer.allocUnsafe(4 << 20);
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        eof = bytesRead === 0;
        let data = carry.length ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
        if (eof && data.length && data[data.length - 1] !== 10) data = Buffer.concat([data, Buffer.from('\n')]); // a final line without newline
        const pos = await this.cut(data);
        if (this.stopped) break;
        carry = data.subarray(pos);
        if (carry.length > MAX_LINE_BYTES) throw lineTooLong(this.file, this.lineNo + 1, MAX_LINE_BYTES);
        // A trial that will not go to a worker anyway must not pile up here either.
        if (this.parts.reduce((a, b) => a + b.length, 0) > MAX_BATCH_BYTES) this.oversized = true;
      }
    } finally {
      await fh.close();
    }
    if (!this.stopped) await this.flush();
  }
}

/** Every batch one trial, and no trial in two batches (else the file was interleaved). */
function oneTrialPerBatch(results: TrialBatchResult[]): boolean {
  const keys = new Set<string>();
  for (const r of results) {
    if (!r.uniform || (r.key !== null && keys.has(r.key))) return false;
    if (r.key !== null) keys.add(r.key);
  }
  return true;
}

async function oneFile(
  pool: Pool,
  file: string,
  opts: { slo?: SloSpec; summaryPoints?: Point[] },
  nextId: () => number,
  maxInFlight: number,
): Promise<SampleRead | null> {
  const d = new TrialDispatch(pool, file, opts.slo, nextId, maxInFlight);
  await d.readAll();
  const results = await Promise.all(d.pending);
  if (d.oversized) return null; // exact sequential path: bounded, names the cap it exceeds
  if (d.interleaved || !oneTrialPerBatch(results)) return null; // exact sequential path (handles interleaving)
  return combine(file, results, d.lineNo, opts.summaryPoints);
}

/** The trials' results as one file's read, or null when a point is over a cap or cannot be assembled. */
function combine(
  file: string,
  results: TrialBatchResult[],
  lineNo: number,
  summaryPoints: Point[] | undefined,
): SampleRead | null {
  const corrupt = results.flatMap((r) => r.corrupt).sort((a, b) => a.line - b.line);
  if (corrupt.length > MAX_CORRUPT_LINES + 1) throw tooManyCorrupt(file, corrupt[0]);
  const perPoint = new Map<string, { n: number; stamps: number }>();
  for (const r of results) {
    if (r.key === null) continue;
    const pk = r.key.slice(0, r.key.lastIndexOf('#'));
    const c = perPoint.get(pk) ?? { n: 0, stamps: 0 };
    c.n += r.samples;
    c.stamps += r.stamps;
    perPoint.set(pk, c);
    // Over a cap: the sequential path stops at the exact line and names the cap.
    if (c.stamps > MAX_STAMPS_PER_POINT || c.n + c.stamps / STAMPS_PER_SAMPLE > MAX_SAMPLES_PER_POINT) return null;
  }
  const implausible = new ImplausibleCollector();
  for (const r of results) implausible.merge(r.implausible);
  // A cut-short final line is a killed writer's torn write, as in the sequential path.
  const last = corrupt[corrupt.length - 1];
  const tornLastLine = !!last && last.line === lineNo && last.message.startsWith('not JSON');
  if (tornLastLine) corrupt.pop();
  const trials = new Map<string, NonNullable<Point['trials']>>();
  for (const r of results) {
    if (!r.metrics || r.key === null) continue;
    const pk = r.key.slice(0, r.key.lastIndexOf('#'));
    let arr = trials.get(pk);
    if (!arr) trials.set(pk, (arr = []));
    arr.push({ trial: r.trial!, ...r.metrics });
  }
  for (const arr of trials.values()) arr.sort((a, b) => a.trial - b.trial);
  const base = {
    samples: results.reduce((a, r) => a + r.samples, 0),
    warmup: results.reduce((a, r) => a + r.warmup, 0),
    corrupt,
    tornLastLine,
    runIds: [...new Set(results.flatMap((r) => r.runIds))],
    backends: [...new Set(results.flatMap((r) => r.backends))],
    interleaved: false,
    implausible: implausible.list(),
  };
  const points = assemble(trials, summaryPoints);
  if (points) return { ...base, points, pooled: 'summary' };
  return null; // pooled distributions must be re-derived from whole points
}

/** Reads the files one after another, each spread over `workers` threads. */
export async function readSamplesParallel(
  jobs: { file: string; opts: { slo?: SloSpec; summaryPoints?: Point[] } }[],
  workers: number,
): Promise<SampleRead[]> {
  const pool = new Pool(workers);
  let id = 0;
  const out: (SampleRead | null)[] = [];
  try {
    for (const j of jobs) out.push(await oneFile(pool, j.file, j.opts, () => id++, workers * 3));
  } finally {
    await pool.close();
  }
  // Files that need the exact sequential path (null) are read after the workers are gone: their memory is free.
  const done: SampleRead[] = [];
  for (const [i, r] of out.entries()) done.push(r ?? (await readSamples(jobs[i].file, jobs[i].opts)));
  return done;
}
