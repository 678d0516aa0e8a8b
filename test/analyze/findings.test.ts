/**
 * Finding codes agree everywhere: the table (steps/core/findings.ts) == the verdict schema's enum (generated) ==
 * the codes the emitting steps write == the codes the report renders.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../steps/core/paths.js';
import { FINDINGS, FINDING_CODES, findingMessage, type FindingCode } from '../../steps/core/findings.js';
import { VERDICT_SCHEMA, findingCodeSchema } from '../../steps/core/gen-findings.js';
import { validate } from '../../steps/core/schemas.js';
import { finding } from '../../steps/analyze/checks.js';
import { renderSummaryMd, type SummaryInput } from '../../steps/report/summary-md.js';
import {
  BACKENDS,
  fixtureAnalysis,
  fixtureBaseline,
  fixtureDeploys,
  fixtureSweep,
  fixtureVerdict,
} from '../report/fixtures.js';

/** The files that create findings or point reasons. */
const EMITTERS = [
  'steps/analyze/checks.ts',
  'steps/analyze/compare.ts',
  'steps/analyze/analyze.ts',
  'steps/import/import.ts',
  'steps/import/identity.ts',
  'steps/sweep/sweep.ts',
  'steps/metrics/derive.ts',
  ...readdirSync(path.join(REPO_ROOT, 'steps/import/formats'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => `steps/import/formats/${f}`),
];
const sources = EMITTERS.map((f) => readFileSync(path.join(REPO_ROOT, f), 'utf8'));

describe('finding codes', () => {
  it('the verdict schema enum is generated from the table (npm run gen:types)', () => {
    const schema = JSON.parse(readFileSync(VERDICT_SCHEMA, 'utf8'));
    expect(schema.definitions.finding.properties.code).toEqual(findingCodeSchema());
    expect(schema.definitions.finding.properties.code.enum).toEqual(FINDING_CODES);
  });

  it('every code written by an emitter (finding(...) or code: ...) is in the table', () => {
    const written = new Set<string>();
    for (const s of sources) for (const m of s.matchAll(/(?:finding\(\s*|code: )'([a-z0-9-]+)'/g)) written.add(m[1]);
    expect(written.size).toBeGreaterThan(10);
    expect([...written].filter((c) => !(c in FINDINGS))).toEqual([]);
  });

  it('every code in the table is emitted by some step (no dead codes such as the old unfair-comparison)', () => {
    const text = sources.join('\n');
    const dead = FINDING_CODES.filter((c) => !text.includes(`'${c}'`));
    expect(dead).toEqual([]);
  });

  it('every template renders from params, and a finding of each code with each allowed severity validates', () => {
    for (const code of FINDING_CODES) {
      expect(findingMessage(code, {})).not.toMatch(/\{[a-z_]+\}/);
      for (const s of FINDINGS[code].severities) {
        const f = finding(code, s, { backend: 'vllm', concurrency: 4, rate: null }, { detail: 'x' }, 1);
        expect(validate('verdict', { schema_version: 1, verdict: 'pass', comparisons: [], findings: [f] })).toEqual([]);
      }
    }
    expect(() => finding('torn-last-line', 'error', {})).toThrow(/cannot be error/);
  });

  it('the report renders every code', () => {
    const sweeps = BACKENDS.map((b) => fixtureSweep(b));
    const v = fixtureVerdict('inconclusive');
    v.findings = FINDING_CODES.map((code: FindingCode) =>
      finding(code, FINDINGS[code].severities[0], { backend: 'vllm' }, { detail: `about ${code}` }),
    );
    const input: SummaryInput = {
      title: 't',
      generatedAt: '2026-01-01T01:02:03Z',
      verdict: v,
      analysis: fixtureAnalysis(sweeps),
      sweeps,
      deploys: fixtureDeploys(),
      baseline: fixtureBaseline(),
    };
    const md = renderSummaryMd(input, { maxChars: 1_000_000 });
    expect(FINDING_CODES.filter((c) => !md.includes(c))).toEqual([]);
  });
});
