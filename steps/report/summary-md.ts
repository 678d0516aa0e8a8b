/**
 * THIN SUMMARY.md (foundation issue): a per-backend table of the sweep summaries. The plots-and-report issue
 * replaces this with the verdict-first report; keep `renderSummaryMd` pure (inputs in, markdown out).
 */
import type { SweepSummary } from '../core/types/sweep-summary.js';

const f = (x: number | null | undefined, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d));

export function renderSummaryMd(input: { title: string; summaries: SweepSummary[]; generatedAt: string }): string {
  const lines: string[] = [`# ${input.title}`, '', `Generated ${input.generatedAt} by llmbench.`, ''];
  for (const s of input.summaries) {
    lines.push(`## ${s.backend}`, '');
    lines.push(`Endpoint ${s.endpoint ?? '–'} · model ${s.model ?? '–'} · ${s.plan?.trials ?? '?'} trial(s) × ${s.plan?.requests ?? '?'} requests per point`, '');
    lines.push('| concurrency | completed | failed | output tok/s | req/s | TTFT p50 ms | TTFT p99 ms | ITL p50 ms | TPOT p50 ms | E2E p50 ms | E2E p99 ms |');
    lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const p of s.points) {
      lines.push(
        `| ${p.concurrency ?? `${p.rate} rps`} | ${p.completed} | ${p.failed} | ${f(p.output_tokens_per_s)} | ${f(p.requests_per_s, 2)} | ${f(p.ttft_ms.p50)} | ${f(p.ttft_ms.p99)} | ${f(p.itl_ms.p50)} | ${f(p.tpot_ms.p50)} | ${f(p.e2e_ms.p50, 0)} | ${f(p.e2e_ms.p99, 0)} |`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}
