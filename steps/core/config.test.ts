import { describe, expect, it } from '@jest/globals';
import { parseConfig, defaultConfig, CONFIG_DEFAULTS } from './config.js';
import { InvalidInputError, type Problem } from './errors.js';
import { runVirtualPoint } from '../sim/calibrate.js';

function problemsOf(text: string): Problem[] {
  try {
    parseConfig(text, 'bench.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidInputError);
    expect((e as InvalidInputError).exitCode).toBe(2);
    return (e as InvalidInputError).problems;
  }
  throw new Error('config was accepted');
}

const GOOD = `version: 1
name: nightly
backends:
  - kind: vllm
    endpoint: http://vllm.llm-bench.svc:8000
  - kind: tgi
    id: tgi-nf4
load:
  concurrency: [1, 4, 8, 16]
  requests: 200
  trials: 5
workload:
  input_tokens: 256
  output_tokens: 100
slo:
  ttft_ms: 500
`;

describe('bench config', () => {
  it('accepts a valid config and fills defaults', () => {
    const c = parseConfig(GOOD, 'bench.yaml');
    expect(c.backends.map((b) => b.id)).toEqual(['vllm', 'tgi-nf4']);
    expect(c.load.trials).toBe(5);
    expect(c.load.warmup).toBe(CONFIG_DEFAULTS.load.warmup);
    expect(c.workload.output_tokens).toBe(100);
    expect(c.model.served_name).toBe('mistral');
    expect(c.regression.tolerance_pct).toBe(CONFIG_DEFAULTS.regression.tolerance_pct);
    expect(c.load.min_samples).toBe(100);
  });

  it('the embedded default is itself valid', () => {
    expect(defaultConfig().backends.length).toBeGreaterThan(0);
  });

  it('the embedded default: three simulated servers, 4 points × 3 trials × 16 requests after 1 warmup', () => {
    const c = defaultConfig();
    expect(c.backends.map((b) => [b.kind, b.endpoint ?? null, b.sim?.time_scale])).toEqual([
      ['vllm', null, 4],
      ['tgi', null, 6],
      ['triton', null, 4],
    ]);
    expect(c.load).toMatchObject({ concurrency: [1, 4, 8, 16], trials: 3, requests: 16, warmup: 1 });
    expect(c.workload).toMatchObject({ input_tokens: 128, output_tokens: 100 });
    expect(c.name).toContain('simulated time 4x, TGI 6x');
  });

  it("no server's time scale makes its c=1 TTFT or ITL shorter in real time than vLLM's at 4x", () => {
    // The client's timing error is multiplied by the factor: what it measures must be at least as long in real
    // time as on vLLM, whose 4x the self-check was sized for. Simulated figures from the engine in virtual time.
    const c = defaultConfig();
    const real = c.backends.map((b) => {
      const p = runVirtualPoint({ backend: b.kind, concurrency: 1, requests: 8 });
      const scale = b.sim?.time_scale ?? 1;
      return { kind: b.kind, ttft: p.meanTtftMs / scale, tpot: p.meanTpotMs / scale };
    });
    const vllm = real.find((r) => r.kind === 'vllm')!;
    for (const r of real) {
      expect(r.ttft).toBeGreaterThanOrEqual(vllm.ttft * 0.9);
      expect(r.tpot).toBeGreaterThanOrEqual(vllm.tpot * 0.9);
    }
    // And TGI is not slowed more than needed: at 4x its real TTFT would be well above vLLM's (the old default).
    const tgi = real.find((r) => r.kind === 'tgi')!;
    expect(tgi.tpot).toBeLessThan(vllm.tpot * 1.5);
  });

  // At least ten distinct bad configs: each exits 2 and names every problem by path (and line for YAML).
  const cases: Array<[string, string, Array<{ path: string; line?: number; message?: RegExp }>]> = [
    ['malformed YAML', 'version: 1\nbackends:\n  - kind: vllm\n   endpoint: x: y\n', [{ path: '', line: 4 }]],
    ['unbalanced flow list', 'version: 1\nbackends: [ {kind: vllm}\n', [{ path: '' }]],
    ['empty document', '', [{ path: '' }]],
    [
      'missing required version and backends',
      'name: x\n',
      [
        { path: '/version', message: /required/ },
        { path: '/backends', message: /required/ },
      ],
    ],
    [
      'unknown top-level key (typo)',
      GOOD.replace('slo:', 'sloo:'),
      [{ path: '/sloo', line: 15, message: /unknown key/ }],
    ],
    [
      'unknown nested key',
      GOOD.replace('  trials: 5', '  trails: 5'),
      [{ path: '/load/trails', line: 11, message: /unknown key/ }],
    ],
    [
      'wrong type',
      GOOD.replace('requests: 200', 'requests: many'),
      [{ path: '/load/requests', line: 10, message: /integer/ }],
    ],
    [
      'out-of-range value',
      GOOD.replace('[1, 4, 8, 16]', '[1, 0, 8]'),
      [{ path: '/load/concurrency/1', line: 9, message: />= 1/ }],
    ],
    [
      'unknown backend kind',
      GOOD.replace('kind: tgi', 'kind: ollama'),
      [{ path: '/backends/1/kind', line: 6, message: /one of "vllm", "tgi", "triton"/ }],
    ],
    [
      'endpoint is not a URL',
      GOOD.replace('http://vllm.llm-bench.svc:8000', 'vllm-svc'),
      [{ path: '/backends/0/endpoint', line: 5 }],
    ],
    [
      'version is not 1',
      GOOD.replace('version: 1', 'version: 2'),
      [{ path: '/version', line: 1, message: /must be 1/ }],
    ],
    [
      'both requests and duration',
      GOOD.replace('  trials: 5', '  trials: 5\n  duration_s: 60'),
      [{ path: '/load', message: /either requests or duration_s/ }],
    ],
    [
      'duplicate backend ids',
      'version: 1\nbackends:\n  - kind: vllm\n  - kind: vllm\n',
      [{ path: '/backends/1/id', line: 4, message: /duplicate/ }],
    ],
    [
      'rate mode without rates',
      'version: 1\nbackends: [{kind: vllm}]\nload:\n  mode: rate\n',
      [{ path: '/load/rate', message: /required/ }],
    ],
    [
      'acm without a managed cluster',
      'version: 1\nbackends: [{kind: vllm}]\ncluster:\n  mode: acm\n',
      [{ path: '/cluster/managed_cluster', message: /required/ }],
    ],
    [
      'api not offered by the backend',
      'version: 1\nbackends:\n  - kind: triton\n    api: chat\n',
      [{ path: '/backends/0/api', line: 4 }],
    ],
    [
      'negative trials and bad SLO at once',
      GOOD.replace('trials: 5', 'trials: 0').replace('ttft_ms: 500', 'ttft_ms: -1'),
      [
        { path: '/load/trials', line: 11 },
        { path: '/slo/ttft_ms', line: 16 },
      ],
    ],
  ];

  it.each(cases)('rejects %s', (_name, text, expected) => {
    const problems = problemsOf(text);
    for (const exp of expected) {
      const hit = problems.find((p) => p.path === exp.path);
      expect(hit).toBeDefined();
      if (exp.line !== undefined) expect(hit?.line).toBe(exp.line);
      if (exp.message) expect(hit?.message).toMatch(exp.message);
      expect(hit?.file).toBe('bench.yaml');
    }
  });

  it('lists every problem, not just the first', () => {
    const problems = problemsOf('version: 3\nbackends:\n  - kind: foo\n    bogus: 1\nload:\n  trials: -1\n');
    expect(problems.map((p) => p.path).sort()).toEqual([
      '/backends/0/bogus',
      '/backends/0/kind',
      '/load/trials',
      '/version',
    ]);
  });
});
