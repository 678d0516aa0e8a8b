import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { listSchemaFiles, validate, assertValid } from './schemas.js';
import { SCHEMAS_DIR } from './paths.js';
import { InvalidInputError } from './errors.js';

describe('schemas', () => {
  it('every schema has an $id matching its file name, a title, and a description', () => {
    for (const f of listSchemaFiles()) {
      const s = JSON.parse(readFileSync(path.join(SCHEMAS_DIR, f), 'utf8'));
      expect(s.$id).toBe(`https://llmbench.dev/schemas/${f}`);
      expect(typeof s.title).toBe('string');
      expect(typeof s.description).toBe('string');
    }
  });

  it('sweep summary keeps the keys README.md "Metric definitions" names', () => {
    const s = JSON.parse(readFileSync(path.join(SCHEMAS_DIR, 'sweep-summary.schema.json'), 'utf8'));
    const m = s.definitions.metrics;
    for (const k of [
      'completed',
      'failed',
      'output_tokens_total',
      'output_tokens_per_s',
      'requests_per_s',
      'ttft_ms',
      'itl_ms',
      'tpot_ms',
      'e2e_ms',
    ]) {
      expect(m.required).toContain(k);
    }
    const stats = JSON.parse(readFileSync(path.join(SCHEMAS_DIR, 'stats.schema.json'), 'utf8'));
    for (const k of ['mean', 'p50', 'p90', 'p95', 'p99']) expect(stats.required).toContain(k);
  });

  it('verdict keeps the keys and values analyze, report and the exit code rely on', () => {
    const ok = {
      schema_version: 1,
      verdict: 'regression',
      comparisons: [
        {
          backend: 'vllm',
          concurrency: 4,
          metric: 'output_tokens_per_s',
          baseline: 150,
          candidate: 130,
          delta_pct: -13.3,
          verdict: 'regression',
        },
      ],
      findings: [
        { code: 'output-shortfall', severity: 'warning', message: 'TGI stopped early', backend: 'tgi', concurrency: 4 },
      ],
    };
    expect(validate('verdict', ok)).toEqual([]);
    expect(validate('verdict', { ...ok, verdict: 'maybe' }).map((p) => p.path)).toEqual(['/verdict']);
  });

  it('reports every problem with the path of the offending key', () => {
    const problems = validate('sample', { v: 2, backend: 3, extra: true });
    const paths = problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['/v', '/backend', '/extra', '/run_id', '/chunk_ms']));
    expect(problems.find((p) => p.path === '/extra')?.message).toMatch(/unknown key/);
  });

  it('assertValid throws an exit-2 error listing the problems', () => {
    let err: unknown;
    try {
      assertValid('deploy-report', { schema_version: 1 }, 'deploy report', 'deploy/vllm.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidInputError);
    const e = err as InvalidInputError;
    expect(e.exitCode).toBe(2);
    expect(e.problems.map((p) => p.path).sort()).toEqual(['/backend', '/endpoint', '/ready']);
    expect(e.problems[0].file).toBe('deploy/vllm.json');
  });
});
