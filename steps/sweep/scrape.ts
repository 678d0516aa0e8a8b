/**
 * Optional server-metrics scrape: GET the server's Prometheus endpoint during the sweep (its own metrics port
 * where it has one, e.g. Triton's 8002) and store normalized series beside the samples
 * (runs/<backend>/server-metrics.ndjson). Which server series feed which normalized name is each server's
 * metric-name mapping (steps/servers/<name>/index.ts); a metric the server does not export is listed as
 * unavailable, never written as 0.
 */
import { request, type Dispatcher } from 'undici';
import { NdjsonAppender } from '../core/atomic.js';
import { NORMALIZED_METRICS, type MetricsSpec } from '../servers/types.js';

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (comments, labels with escapes, NaN/+Inf, optional timestamps). */
export function parsePrometheus(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[3]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
      let l: RegExpExecArray | null;
      while ((l = re.exec(m[3]))) labels[l[1]] = l[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    const v = m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : Number(m[4]);
    out.push({ name: m[1], labels, value: v });
  }
  return out;
}

/** Normalized name ← the server's metric names, first present wins (summed over label sets, e.g. per model). */
export function normalize(samples: PromSample[], names: MetricsSpec['names']): Record<string, number> {
  const byName = new Map<string, number>();
  for (const s of samples) if (Number.isFinite(s.value)) byName.set(s.name, (byName.get(s.name) ?? 0) + s.value);
  const out: Record<string, number> = {};
  for (const [norm, candidates] of Object.entries(names)) {
    for (const n of candidates ?? []) {
      const v = byName.get(n);
      if (v !== undefined) {
        out[norm] = v;
        break;
      }
    }
  }
  return out;
}

export interface ScrapeLine {
  t_ms: number;
  concurrency: number | null;
  rate: number | null;
  trial: number | null;
  arm?: 'a' | 'b';
  values: Record<string, number>;
}

export interface ScraperStats {
  url: string;
  scrapes: number;
  errors: number;
  series: string[];
  /** Normalized metrics this server does not export (or never did during the sweep): unavailable, not 0. */
  unavailable: string[];
}

export class Scraper {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private out: NdjsonAppender;
  readonly lines: ScrapeLine[] = [];
  private stats: ScraperStats;
  label: Omit<ScrapeLine, 't_ms' | 'values'> = { concurrency: null, rate: null, trial: null };

  constructor(
    readonly url: string,
    file: string,
    private intervalMs: number,
    private names: MetricsSpec['names'],
    private dispatcher?: Dispatcher,
  ) {
    this.out = new NdjsonAppender(file);
    this.stats = { url, scrapes: 0, errors: 0, series: [], unavailable: [] };
  }

  async start(): Promise<void> {
    await this.out.open();
    const tick = () => {
      if (!this.inFlight) this.inFlight = this.scrapeOnce().finally(() => (this.inFlight = undefined));
    };
    tick();
    this.timer = setInterval(tick, this.intervalMs);
  }

  async scrapeOnce(): Promise<void> {
    try {
      const res = await request(this.url, { dispatcher: this.dispatcher, headersTimeout: 5000, bodyTimeout: 5000 });
      const text = await res.body.text();
      if (res.statusCode >= 400) throw new Error(`HTTP ${res.statusCode}`);
      const values = normalize(parsePrometheus(text), this.names);
      const line: ScrapeLine = { t_ms: performance.timeOrigin + performance.now(), ...this.label, values };
      this.lines.push(line);
      this.stats.scrapes++;
      for (const k of Object.keys(values)) if (!this.stats.series.includes(k)) this.stats.series.push(k);
      await this.out.append(line);
    } catch {
      this.stats.errors++;
    }
  }

  async stop(): Promise<ScraperStats> {
    if (this.timer) clearInterval(this.timer);
    await this.inFlight;
    await this.out.close();
    this.stats.unavailable = NORMALIZED_METRICS.filter((m) => !this.stats.series.includes(m));
    return this.stats;
  }
}

/** Mean and max of each normalized series over the lines of one load point. */
export function seriesSummary(lines: ScrapeLine[]): Record<string, { mean: number | null; max: number | null }> {
  const acc: Record<string, number[]> = {};
  for (const l of lines) for (const [k, v] of Object.entries(l.values)) (acc[k] ??= []).push(v);
  const out: Record<string, { mean: number | null; max: number | null }> = {};
  for (const [k, vs] of Object.entries(acc))
    out[k] = { mean: vs.reduce((a, b) => a + b, 0) / vs.length, max: Math.max(...vs) };
  return out;
}
