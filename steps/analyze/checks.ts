/**
 * Validity checks, each a small pure function from loaded runs to findings (steps/core/findings.ts says what every
 * code blocks and whether it keeps a run out of baselines). analyze.ts composes them; checks.test.ts runs each alone.
 */
import path from 'node:path';
import { FINDINGS, findingMessage, isFindingCode, type FindingCode, type Severity } from '../core/findings.js';
import type { Finding } from '../core/types/verdict.js';
import { pointKey, type Point } from '../metrics/derive.js';
import { trialsOf } from './aggregate.js';
import type { LoadedRun } from './load.js';
import { TOKENS_PER_EVENT_MAX } from './samples.js';

/** Per-trial successful requests below which a trial's median is not trusted. */
export const MIN_TRIAL_REQUESTS = 3;

export interface Where {
  backend?: string;
  concurrency?: number | null;
  rate?: number | null;
  metric?: string;
}

export const whereText = (p: { concurrency?: number | null; rate?: number | null }) =>
  p.concurrency != null ? `c=${p.concurrency}` : `rate=${p.rate}/s`;

/** A finding of a declared code; the severity must be one the table allows (a mistake here is a bug, not input). */
export function finding(
  code: FindingCode,
  severity: Severity,
  where: Where,
  params: Record<string, string | number | null | undefined> = {},
  count?: number,
): Finding {
  if (!FINDINGS[code].severities.includes(severity))
    throw new Error(`internal: finding ${code} cannot be ${severity} (steps/core/findings.ts)`);
  const at = where.concurrency !== undefined || where.rate !== undefined ? { where: whereText(where) } : {};
  return {
    code,
    severity,
    ...where,
    ...(count !== undefined ? { count } : {}),
    message: findingMessage(code, { ...at, backend: where.backend, metric: where.metric, count, ...params }),
  };
}

/** Whole-run validity: corrupt or mixed samples, no requests, no fingerprint, disagreeing summary, import findings. */
export function checkRun(r: LoadedRun): Finding[] {
  const b = r.backend;
  const out: Finding[] = [];
  if (r.corrupt.length)
    out.push(
      finding(
        'corrupt-samples',
        'error',
        { backend: b },
        {
          file: path.join(r.dir, 'samples.ndjson'),
          line: r.corrupt[0].line,
          detail: r.corrupt[0].message,
        },
        r.corrupt.length,
      ),
    );
  for (const x of r.implausible)
    out.push(
      finding(
        'token-count-implausible',
        'error',
        { backend: b, concurrency: x.concurrency, rate: x.rate },
        { max: TOKENS_PER_EVENT_MAX, file: path.join(r.dir, 'samples.ndjson'), line: x.line, detail: x.message },
        x.count,
      ),
    );
  for (const f of r.importFindings) out.push(importFinding(b, f));
  if (r.tornLastLine) out.push(finding('torn-last-line', 'info', { backend: b }));
  if (r.sampleBackends.some((x) => x && x !== b))
    out.push(finding('samples-mixed', 'error', { backend: b }, { backends: r.sampleBackends.join(', ') }));
  if (r.summary.run_id && r.sampleRunIds.length > 1)
    out.push(finding('mixed-runs', 'info', { backend: b }, {}, r.sampleRunIds.length));
  if (!r.points.length || r.samples === 0) out.push(finding('empty-run', 'error', { backend: b }));
  if (!r.summary.workload?.fingerprint) out.push(finding('workload-unknown', 'error', { backend: b }));
  if (r.source === 'samples') {
    const derived = r.points.reduce((a, p) => a + p.completed + p.failed, 0);
    const claimed = r.summary.points.reduce((a, p) => a + p.completed + p.failed, 0);
    if (derived !== claimed)
      out.push(finding('summary-samples-mismatch', 'warning', { backend: b }, { claimed, derived }));
  }
  const eld = r.summary.load_generator?.event_loop_delay_p99_ms;
  if (eld != null && eld > 100)
    out.push(
      finding(
        'client-bottleneck',
        'warning',
        { backend: b },
        {
          detail: `load generator event-loop delay p99 ${eld.toFixed(0)} ms: client-side timings may be inflated`,
        },
      ),
    );
  return out;
}

/** An import.json finding; a code this version does not declare is kept as `import-finding` with its own code shown. */
function importFinding(backend: string, f: LoadedRun['importFindings'][number]): Finding {
  const where: Where = { backend };
  if (f.concurrency !== undefined || f.rate !== undefined) {
    where.concurrency = f.concurrency ?? null;
    where.rate = f.rate ?? null;
  }
  const known = isFindingCode(f.code) && FINDINGS[f.code].severities.includes(f.severity) ? f.code : null;
  const detail = known ? f.message : `${f.code}: ${f.message}`;
  return { ...finding(known ?? 'import-finding', f.severity, where, { detail }, f.count), message: detail };
}

export interface PointCheckOptions {
  maxErrorRate: number;
  minSamples: number;
  requestedOutputTokens: number | null;
}

/** One load point: failures, the sweep's structured invalid reasons, token counting, samples per trial. */
export function checkPoint(r: LoadedRun, p: Point, o: PointCheckOptions): Finding[] {
  const w: Where = { backend: r.backend, concurrency: p.concurrency, rate: p.rate };
  return [...failures(w, p, o), ...invalidReasons(r, w, p), ...tokenCounts(w, p, o), ...sampleCounts(w, p, o)];
}

function failures(w: Where, p: Point, o: PointCheckOptions): Finding[] {
  if (p.failed <= 0) return [];
  const total = p.completed + p.failed;
  const rate = p.failed / total;
  const over = rate > o.maxErrorRate;
  const cats = Object.entries(p.errors_by_category ?? {});
  return [
    finding(
      'requests-failed',
      over ? 'error' : 'warning',
      w,
      {
        failed: p.failed,
        total,
        rate_pct: (rate * 100).toFixed(1),
        over: over ? `, over the ${(o.maxErrorRate * 100).toFixed(1)} % allowance` : '',
        categories: cats.length ? `: ${cats.map(([k, v]) => `${k} ${v}`).join(', ')}` : '',
      },
      p.failed,
    ),
  ];
}

/** The sweep's reasons, by code (too-few-samples is analyze's own rule below; plain strings are older sweeps). */
function invalidReasons(r: LoadedRun, w: Where, p: Point): Finding[] {
  const sp = r.summary.points.find((x) => pointKey(x) === pointKey(p));
  if (sp?.valid !== false) return [];
  const out: Finding[] = [];
  for (const reason of sp.invalid_reasons ?? []) {
    const rr = typeof reason === 'string' ? { code: 'point-invalid' as const, message: reason } : reason;
    if (rr.code === 'too-few-samples') continue;
    out.push(finding(rr.code, 'error', w, { detail: rr.message }));
  }
  return out;
}

function tokenCounts(w: Where, p: Point, o: PointCheckOptions): Finding[] {
  if (p.completed <= 0) return [];
  const tk = p.tokens;
  const out: Finding[] = [];
  const server = tk?.server_counted ?? 0;
  if (!tk || (server === 0 && (tk.client_counted ?? 0) === 0))
    out.push(
      finding(
        'token-count-unverified',
        'warning',
        w,
        {
          detail:
            'output tokens were counted neither by the server nor by a tokenizer; throughput in tokens/s is unverified',
        },
        p.completed,
      ),
    );
  else if (server < p.completed)
    out.push(
      finding(
        'token-count-unverified',
        'info',
        w,
        {
          detail: `the server did not count output tokens for ${p.completed - server} of ${p.completed} requests (client tokenizer used)`,
        },
        p.completed - server,
      ),
    );
  if (tk?.mismatched) out.push(finding('token-count-mismatch', 'warning', w, {}, tk.mismatched));
  if (tk?.shortfall)
    out.push(
      finding(
        'output-shortfall',
        'warning',
        w,
        {
          completed: p.completed,
          mean: tk.mean_output_tokens?.toFixed(1),
          requested: o.requestedOutputTokens,
        },
        tk.shortfall,
      ),
    );
  return out;
}

function sampleCounts(w: Where, p: Point, o: PointCheckOptions): Finding[] {
  const out: Finding[] = [];
  if (p.completed < o.minSamples)
    out.push(
      finding(
        'too-few-samples',
        'warning',
        w,
        {
          detail: `p99 rests on ${p.completed} successful requests (minimum ${o.minSamples}); p99 is not decidable here`,
        },
        p.completed,
      ),
    );
  const thin = trialsOf(p).filter((t) => t.completed < MIN_TRIAL_REQUESTS).length;
  if (thin)
    out.push(
      finding(
        'too-few-samples',
        'error',
        w,
        {
          detail: `${thin} trial(s) with fewer than ${MIN_TRIAL_REQUESTS} successful requests`,
        },
        thin,
      ),
    );
  return out;
}

/** Backends of one runs directory must have run the same workload. */
export function checkWorkloads(runs: LoadedRun[]): Finding[] {
  const fps = new Map<string, string[]>();
  for (const r of runs) {
    const fp = r.summary.workload?.fingerprint ?? '(none)';
    fps.set(fp, [...(fps.get(fp) ?? []), r.backend]);
  }
  if (fps.size <= 1) return [];
  const detail = [...fps.entries()].map(([f, bs]) => `${bs.join(', ')} → ${f.slice(0, 16)}`).join('; ');
  return [finding('workload-mixed', 'error', {}, { detail })];
}

/** GPU, model, server kind and simulated-ness must agree; server version and image digest may differ (that is what a PR changes). */
export function provenanceDiff(base: Record<string, unknown>, cand: Record<string, unknown>): string[] {
  const out: string[] = [];
  const kind = (s: unknown) =>
    typeof s === 'string'
      ? s
          .trim()
          .split(/[\s/:@]+/)[0]
          .toLowerCase()
      : s;
  const checks: [string, (x: unknown) => unknown][] = [
    ['gpu', (x) => x],
    ['model', (x) => x],
    ['server', kind],
    ['simulated', (x) => x],
  ];
  for (const [k, f] of checks) {
    const a = base[k],
      b = cand[k];
    if (a === undefined || a === null || b === undefined || b === null) continue;
    if (f(a) !== f(b)) out.push(`${k} differs from the baseline: ${JSON.stringify(b)} vs ${JSON.stringify(a)}`);
  }
  return out;
}

/** The candidate against its reference's identity: same workload, same GPU/model/server kind. */
export function checkAgainstReference(
  r: LoadedRun,
  ref: { fingerprint: string; provenance?: Record<string, unknown> },
): Finding[] {
  const out: Finding[] = [];
  const fp = r.summary.workload?.fingerprint;
  if (fp && ref.fingerprint !== fp)
    out.push(
      finding(
        'workload-mismatch',
        'error',
        { backend: r.backend },
        {
          candidate: fp.slice(0, 16),
          baseline: ref.fingerprint.slice(0, 16),
        },
      ),
    );
  for (const why of provenanceDiff(ref.provenance ?? {}, (r.summary.provenance ?? {}) as Record<string, unknown>))
    out.push(finding('provenance-mismatch', 'error', { backend: r.backend }, { detail: why }));
  return out;
}

/** Error findings → what they make inconclusive: `backend#point` keys, `backend#*`, or `*` for the whole run. */
export function blockedBy(findings: Finding[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (k: string, why: string) => out.set(k, [...(out.get(k) ?? []), why]);
  for (const f of findings) {
    if (f.severity !== 'error') continue;
    const scope = FINDINGS[f.code].blocks;
    const why = FINDINGS[f.code].title.toLowerCase();
    if (scope === 'run') add('*', why);
    else if (scope === 'backend' && f.backend) add(`${f.backend}#*`, why);
    else if (scope === 'point' && f.backend)
      add(
        f.concurrency !== undefined || f.rate !== undefined
          ? `${f.backend}#${pointKey({ concurrency: f.concurrency ?? null, rate: f.rate ?? null })}`
          : `${f.backend}#*`,
        why,
      );
  }
  return out;
}

/** Reasons a run may not become a baseline: error findings about the run itself (not about the comparison). */
export function uncleanReasons(findings: Finding[]): string[] {
  return findings
    .filter((f) => f.severity === 'error' && FINDINGS[f.code].excludesFromBaseline)
    .map((f) => `${f.code}: ${f.message}`);
}
