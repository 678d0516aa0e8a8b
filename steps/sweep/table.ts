/** The compact table printed at the end of a sweep (one line per point). */
import type { SweepSummary } from '../core/types/sweep-summary.js';

const f = (v: number | null | undefined, d = 1) => (v == null || !Number.isFinite(v) ? '-' : v.toFixed(d));

export function formatTable(s: SweepSummary): string {
  const head = [
    'point',
    'ok',
    'fail',
    'ttft p50',
    'ttft p99',
    'itl p50',
    'tpot p50',
    'e2e p50',
    'tok/s',
    'req/s',
    'valid',
  ];
  const rows = s.points.map((p) => [
    p.concurrency != null ? `c=${p.concurrency}` : `rate=${p.rate}`,
    String(p.completed),
    String(p.failed),
    f(p.ttft_ms.p50),
    f(p.ttft_ms.p99),
    f(p.itl_ms.p50),
    f(p.tpot_ms.p50),
    f(p.e2e_ms.p50, 0),
    f(p.output_tokens_per_s, 0),
    f(p.requests_per_s, 2),
    p.valid === false
      ? `no: ${(p.invalid_reasons ?? []).map((r) => (typeof r === 'string' ? r : r.message)).join('; ')}`
      : 'yes',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padStart(widths[i]))).join('  ');
  const scale = s.plan?.time_scale && s.plan.time_scale !== 1 ? ` (simulated time, ×${s.plan.time_scale})` : '';
  const title = `${s.backend} (${s.adapter}/${s.api}) ${s.endpoint ?? ''} — latencies in ms${scale}`;
  return [title, line(head), ...rows.map(line)].join('\n');
}
