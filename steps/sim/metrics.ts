/** Tiny Prometheus text-format registry (counters, gauges, histograms with labels) for the dialects' /metrics. */
export type Labels = Record<string, string>;

const fmtLabels = (l: Labels) => {
  const e = Object.entries(l);
  return e.length ? `{${e.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}` : '';
};
const fmtNum = (v: number) =>
  Number.isInteger(v)
    ? String(v)
    : Number.isFinite(v)
      ? v.toPrecision(10).replace(/\.?0+$/, '')
      : v > 0
        ? '+Inf'
        : '-Inf';

export class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly buckets: number[]) {
    this.counts = new Array(buckets.length).fill(0);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]) this.counts[i]++;
  }
  /** Lines for one histogram (cumulative buckets, +Inf, _sum, _count). */
  lines(name: string, labels: Labels, scale = 1): string[] {
    const out: string[] = [];
    this.buckets.forEach((b, i) =>
      out.push(`${name}_bucket${fmtLabels({ ...labels, le: fmtNum(b * scale) })} ${this.counts[i]}`),
    );
    out.push(`${name}_bucket${fmtLabels({ ...labels, le: '+Inf' })} ${this.count}`);
    out.push(`${name}_sum${fmtLabels(labels)} ${fmtNum(this.sum * scale)}`);
    out.push(`${name}_count${fmtLabels(labels)} ${this.count}`);
    return out;
  }
}

/** Builds one exposition document; each family gets HELP and TYPE once. */
export class Exposition {
  private out: string[] = [];
  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    this.out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    return this;
  }
  sample(name: string, labels: Labels, v: number): this {
    this.out.push(`${name}${fmtLabels(labels)} ${fmtNum(v)}`);
    return this;
  }
  /** A family with one sample: HELP, TYPE and the value line. */
  gauge(name: string, help: string, labels: Labels, v: number): this {
    return this.family(name, 'gauge', help).sample(name, labels, v);
  }
  counter(name: string, help: string, labels: Labels, v: number): this {
    return this.family(name, 'counter', help).sample(name, labels, v);
  }
  histogram(name: string, help: string, labels: Labels, h: Histogram, scale = 1): this {
    this.family(name, 'histogram', help);
    this.out.push(...h.lines(name, labels, scale));
    return this;
  }
  text(): string {
    return this.out.join('\n') + '\n';
  }
}

/** Latency buckets in seconds (vLLM's TTFT/ITL/E2E bucket edges, abridged). */
export const LATENCY_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80,
];
export const TOKEN_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];
