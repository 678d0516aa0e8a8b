/**
 * Deterministic, schema-valid inputs for the plot and report steps: samples from a seeded generator summarized by
 * steps/metrics (never hand-made metrics), an analysis summary and a verdict shaped like analyze's output, deploy
 * reports, a baseline and a server-metrics scrape. Tests validate every object with validate() so the fixtures
 * follow schema changes.
 */
import { rng } from '../../steps/core/rng.js';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import type { Sample } from '../../steps/core/types/sample.js';
import type { SweepSummary } from '../../steps/core/types/sweep-summary.js';
import type { AnalysisSummary } from '../../steps/core/types/analysis-summary.js';
import type { Verdict } from '../../steps/core/types/verdict.js';
import type { DeployReport } from '../../steps/core/types/deploy-report.js';
import type { Baseline } from '../../steps/core/types/baseline.js';
import { summarizePoints } from '../../steps/metrics/derive.js';
import { workdirLayout } from '../../steps/core/paths.js';
import type { ScrapeLine } from '../../steps/sweep/scrape.js';

export const BACKENDS = ['tgi', 'vllm'] as const;
export const CONCURRENCY = [1, 4, 8, 16];
const TRIALS = 3;
const REQUESTS = 10;
const OUTPUT_TOKENS = 24;

export interface SampleOptions {
  /** Include the deliberate http_5xx failures at tgi c=16 (default true). */
  failures?: boolean;
  /** Multiplies vllm latencies (1.2 = 20 % slower), to build a regressed candidate. */
  slowdown?: number;
  trials?: number;
}

export function fixtureSamples(backend: string, seed = 7, o: SampleOptions = {}): Sample[] {
  const r = rng(seed + backend.length * 101);
  const out: Sample[] = [];
  const speed = backend === 'vllm' ? (o.slowdown ?? 1) : 1.35;
  const trials = o.trials ?? TRIALS;
  let clock = 1_767_225_600_000; // 2026-01-01T00:00:00Z
  for (const c of CONCURRENCY) {
    for (let trial = 0; trial < trials; trial++) {
      const lanes = Array.from({ length: c }, () => clock);
      for (let seq = 0; seq < REQUESTS; seq++) {
        const lane = seq % c;
        const sent = lanes[lane];
        const ttft = (40 + 6 * c + r() * 20) * speed;
        const itl = (12 + 0.8 * c + r() * 3) * speed;
        const chunks: number[] = [];
        let t = sent + ttft;
        for (let k = 0; k < OUTPUT_TOKENS; k++) {
          chunks.push(+t.toFixed(3));
          t += itl * (0.7 + r() * 0.6);
        }
        const failed = o.failures !== false && backend === 'tgi' && c === 16 && seq === 3;
        const end = chunks[chunks.length - 1] + 1;
        out.push({
          v: 1,
          run_id: `fixture-${backend}`,
          backend,
          concurrency: c,
          rate: null,
          trial,
          seq,
          prompt_index: seq,
          warmup: false,
          intended_send_ms: sent,
          sent_ms: sent,
          headers_ms: sent + 2,
          chunk_ms: failed ? [] : chunks,
          chunk_tokens: failed ? [] : chunks.map(() => 1),
          end_ms: failed ? sent + 5 : end,
          input_tokens: { requested: 128, client: 128, server: 128 },
          output_tokens: {
            requested: OUTPUT_TOKENS,
            server: failed ? null : OUTPUT_TOKENS,
            client: failed ? null : OUTPUT_TOKENS,
          },
          finish_reason: failed ? null : 'length',
          ok: !failed,
          error: failed ? { category: 'http_5xx', message: 'HTTP 503', http_status: 503 } : null,
        });
        lanes[lane] = end + 1;
      }
      clock = Math.max(...lanes) + 50;
    }
  }
  return out;
}

export function fixtureSweep(backend: string, samples = fixtureSamples(backend)): SweepSummary {
  return {
    schema_version: 1,
    backend,
    adapter: backend,
    model: 'mistral-7b-instruct',
    endpoint: `http://127.0.0.1:0/${backend}`,
    run_id: `fixture-${backend}`,
    plan: {
      mode: 'concurrency',
      trials: new Set(samples.map((x) => x.trial)).size,
      warmup: 0,
      requests: REQUESTS,
      duration_s: null,
      seed: 7,
      min_samples: 20,
    },
    workload: { fingerprint: 'sha256:fixture', input_tokens: 128, output_tokens: OUTPUT_TOKENS },
    provenance: {
      server: backend === 'vllm' ? 'vllm 0.11.0' : 'tgi 3.3.4',
      model: 'mistral-7b-instruct',
      gpu: 'sim-a100-80g',
      image_digest: null,
      simulated: true,
      commit_sha: null,
    },
    points: summarizePoints(samples, { minSamples: 20 }),
  };
}

export function fixtureAnalysis(sweeps: SweepSummary[]): AnalysisSummary {
  const rows: AnalysisSummary['rows'] = [];
  for (const s of sweeps) {
    const t1 = s.points.find((p) => p.concurrency === 1)?.output_tokens_per_s ?? null;
    for (const p of s.points) {
      const vals = (p.trials ?? []).map((t) => t.output_tokens_per_s);
      const sorted = [...vals].sort((a, b) => a - b);
      rows.push({
        backend: s.backend,
        concurrency: p.concurrency,
        rate: p.rate,
        trials: vals.length,
        completed: p.completed,
        failed: p.failed,
        error_rate: p.error_rate ?? 0,
        output_tokens_per_s: sorted[Math.floor(sorted.length / 2)] ?? null,
        requests_per_s: p.requests_per_s,
        ttft_ms: p.ttft_ms,
        itl_ms: p.itl_ms,
        tpot_ms: p.tpot_ms,
        e2e_ms: p.e2e_ms,
        scaling_efficiency: t1 && p.concurrency ? p.output_tokens_per_s / (p.concurrency * t1) : null,
        cost_per_1m_output_tokens_usd: p.output_tokens_per_s > 0 ? (2.5 / (p.output_tokens_per_s * 3600)) * 1e6 : null,
        metrics: { output_tokens_per_s: { values: vals, center: sorted[Math.floor(sorted.length / 2)] ?? null } },
      });
    }
  }
  return {
    schema_version: 1,
    generated_at: '2026-01-01T01:00:00Z',
    runs: sweeps.map((s) => ({
      backend: s.backend,
      path: `runs/${s.backend}`,
      fingerprint: 'sha256:fixture',
      samples: s.points.reduce((n, p) => n + p.completed + p.failed, 0),
    })),
    rows,
  };
}

const METRICS = ['output_tokens_per_s', 'ttft_ms.p50', 'ttft_ms.p99', 'itl_ms.p50', 'e2e_ms.p99'];

/** A verdict shaped like analyze's: deterministic deltas, two regressions, one improvement, one inconclusive. */
export function fixtureVerdict(
  kind: 'regression' | 'pass' | 'inconclusive' = 'regression',
  opts: { backends?: readonly string[]; concurrency?: number[]; metrics?: string[] } = {},
): Verdict {
  const comparisons: Verdict['comparisons'] = [];
  let i = 0;
  for (const backend of opts.backends ?? BACKENDS) {
    for (const c of opts.concurrency ?? CONCURRENCY) {
      for (const metric of opts.metrics ?? METRICS) {
        i++;
        const higher = metric === 'output_tokens_per_s';
        const base = higher ? 100 * c : 50 + c * 3 + (i % 7);
        let delta = ((i * 37) % 11) / 10 - 0.5; // small noise in [-0.5, 0.5] %
        let verdict: Verdict['comparisons'][number]['verdict'] = 'unchanged';
        let reason: string | undefined;
        if (kind === 'regression' && backend === 'vllm' && c === 16 && metric === 'output_tokens_per_s')
          [delta, verdict] = [-12.4, 'regression'];
        if (kind === 'regression' && backend === 'vllm' && c === 8 && metric === 'ttft_ms.p99')
          [delta, verdict] = [18.2, 'regression'];
        if (kind !== 'pass' && backend === 'tgi' && c === 4 && metric === 'itl_ms.p50')
          [delta, verdict] = [-6.1, 'improvement'];
        if (kind !== 'pass' && backend === 'tgi' && c === 16 && metric === 'e2e_ms.p99') {
          [delta, verdict, reason] = [9.0, 'inconclusive', 'too-few-samples: p99 rests on 29 requests'];
        }
        const cand = base * (1 + delta / 100);
        comparisons.push({
          backend,
          concurrency: c,
          rate: null,
          metric,
          direction: higher ? 'higher-is-better' : 'lower-is-better',
          baseline: +base.toFixed(3),
          candidate: +cand.toFixed(3),
          delta_pct: +delta.toFixed(2),
          ci_pct: [+(delta - 2.1).toFixed(2), +(delta + 2.1).toFixed(2)],
          p_value: verdict === 'unchanged' ? 0.61 : 0.004,
          trials: { baseline: 5, candidate: 3 },
          tolerance_pct: higher ? 5 : 10,
          gated: true,
          verdict,
          ...(reason ? { reason } : {}),
        });
      }
    }
  }
  return {
    schema_version: 1,
    verdict: kind,
    generated_at: '2026-01-01T01:00:00Z',
    rule: {
      test: 'welch-t-log',
      alpha: 0.05,
      confidence: 0.95,
      min_trials: 3,
      tolerance_pct: {
        output_tokens_per_s: 5,
        'ttft_ms.p50': 10,
        'ttft_ms.p99': 10,
        'itl_ms.p50': 10,
        'e2e_ms.p99': 10,
      },
      gated_metrics: METRICS,
      text: "A gated metric regresses when Welch's t-test on log values rejects equality at α = 0.05 and the change is worse than its tolerance.",
    },
    baseline: {
      path: 'results/baselines/sim-default.json',
      created_at: '2025-12-31T02:00:00Z',
      commit_sha: '1111111111111111111111111111111111111111',
    },
    candidate: { commit_sha: '2222222222222222222222222222222222222222', runs: ['runs/tgi', 'runs/vllm'] },
    comparisons,
    findings:
      kind === 'pass'
        ? []
        : [
            {
              code: 'too-few-samples',
              severity: 'warning',
              message: 'p99 rests on 29 requests (minimum 100)',
              backend: 'tgi',
              concurrency: 16,
              metric: 'e2e_ms.p99',
              count: 29,
            },
            {
              code: 'requests-failed',
              severity: 'error',
              message: '3 of 30 requests failed (http_5xx)',
              backend: 'tgi',
              concurrency: 16,
              count: 3,
            },
            {
              code: 'output-shortfall',
              severity: 'info',
              message: 'TGI has no ignore_eos; 0 requests fell short',
              backend: 'tgi',
            },
          ],
    ranking: {
      fair: false,
      statement: 'No ranking: the backends ran different server versions.',
      reasons: ['tgi 3.3.4 vs vllm 0.11.0 is a server comparison, not a regression'],
    },
  };
}

export function fixtureDeploys(): DeployReport[] {
  return BACKENDS.map((b) => ({
    schema_version: 1,
    backend: b,
    mode: 'simulator',
    endpoint: `http://127.0.0.1:8000/`,
    model: 'mistral-7b-instruct',
    ready: true,
    image: `quay.io/llmbench/${b}:fixture`,
    image_digest: `sha256:${(b === 'vllm' ? 'ab' : 'cd').repeat(32)}`,
    gpu: { product: 'NVIDIA-A100-SXM4-80GB', count: 1, memory_mib: 81920, mig: null, profile: 'a100-80g' },
    server_version: b === 'vllm' ? 'vllm 0.11.0' : 'tgi 3.3.4',
    engine_args: [],
  }));
}

export function fixtureBaseline(): Baseline {
  return {
    schema_version: 1,
    created_at: '2025-12-31T02:00:00Z',
    commit_sha: '1111111111111111111111111111111111111111',
    source: 'nightly 2025-12-31',
    backends: BACKENDS.map((b) => ({
      backend: b,
      fingerprint: 'sha256:fixture',
      provenance: {
        gpu: 'NVIDIA-A100-SXM4-80GB',
        model: 'mistral-7b-instruct',
        server: b === 'vllm' ? 'vllm 0.10.2' : 'tgi 3.3.4',
        image_digest: `sha256:${(b === 'vllm' ? '12' : '34').repeat(32)}`,
      },
      points: CONCURRENCY.map((c) => ({
        concurrency: c,
        rate: null,
        metrics: { output_tokens_per_s: [100 * c, 101 * c, 99 * c] },
      })),
    })),
  };
}

/** Server scrape lines in the sweep scraper's format (steps/sweep/scrape.ts ScrapeLine: normalized series). */
export function fixtureServerMetrics(_backend: string): ScrapeLine[] {
  const out: ScrapeLine[] = [];
  let t = 1_767_225_600_000;
  for (const c of CONCURRENCY) {
    for (let k = 0; k < 6; k++) {
      t += 500;
      out.push({
        t_ms: t,
        concurrency: c,
        rate: null,
        trial: 0,
        values: {
          running: Math.min(c, 1 + k * 3),
          waiting: Math.max(0, c - 8),
          kv_cache_usage: Math.min(1, (c * (k + 1)) / 100),
          preemptions_total: 0,
        },
      });
    }
  }
  return out;
}

/** Writes a complete work directory (runs, deploy, analysis, baseline, server metrics) and returns its parts. */
export async function writeFixtureWorkdir(
  dir: string,
  opts: {
    verdict?: 'regression' | 'pass' | 'inconclusive' | null;
    serverMetrics?: boolean;
    samples?: SampleOptions;
  } = {},
) {
  const L = workdirLayout(dir);
  const sweeps: SweepSummary[] = [];
  for (const b of BACKENDS) {
    const samples = fixtureSamples(b, 7, opts.samples);
    await fs.mkdir(L.runDir(b), { recursive: true });
    await fs.writeFile(L.samples(b), samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
    const s = fixtureSweep(b, samples);
    sweeps.push(s);
    await fs.writeFile(L.sweepSummary(b), JSON.stringify(s));
    if (opts.serverMetrics !== false && b === 'vllm') {
      await fs.writeFile(
        L.serverMetrics(b),
        fixtureServerMetrics(b)
          .map((x) => JSON.stringify(x))
          .join('\n') + '\n',
      );
    }
  }
  await fs.mkdir(path.join(dir, 'deploy'), { recursive: true });
  for (const d of fixtureDeploys()) await fs.writeFile(L.deploy(d.backend), JSON.stringify(d));
  const analysis = fixtureAnalysis(sweeps);
  const verdict = opts.verdict === null ? null : fixtureVerdict(opts.verdict ?? 'regression');
  const baseline = fixtureBaseline();
  await fs.mkdir(L.analysisDir, { recursive: true });
  await fs.writeFile(L.analysisSummary, JSON.stringify(analysis));
  if (verdict) {
    await fs.writeFile(L.verdict, JSON.stringify(verdict));
    await fs.mkdir(path.join(dir, 'results', 'baselines'), { recursive: true });
    await fs.writeFile(path.join(dir, verdict.baseline!.path!), JSON.stringify(baseline));
  }
  return { sweeps, analysis, verdict, baseline, deploys: fixtureDeploys() };
}
