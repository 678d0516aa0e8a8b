import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../steps/cli.js';
import { startSimulator } from '../../steps/simulator/server.js';

async function cli(argv: string[]) {
  let err = '';
  const code = await main({ argv, env: {}, stdout: () => {}, stderr: (s) => (err += s) });
  return { code, err };
}

// Regression: sweep summaries carried no GPU or server, so analyze could not tell an H100 run from an A100 baseline.
describe('sweep provenance from the deploy report', () => {
  it('records GPU, server version and image digest from deploy/<backend>.json', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'prov-'));
    const sim = await startSimulator({ backend: 'vllm', timeScale: 10 });
    try {
      const rep = path.join(dir, 'vllm.json');
      writeFileSync(
        rep,
        JSON.stringify({
          schema_version: 1,
          backend: 'vllm',
          endpoint: sim.url,
          ready: true,
          image_digest: 'sha256:' + 'a'.repeat(64),
          server_version: 'vllm 0.11.0',
          gpu: { product: 'NVIDIA-A100-SXM4-40GB-MIG-3g.20gb', count: 1 },
        }),
      );
      const out = path.join(dir, 'out');
      const r = await cli([
        'sweep',
        '--backend',
        'vllm',
        '--url',
        sim.url,
        '--out',
        out,
        '--concurrency',
        '1',
        '--requests',
        '2',
        '--trials',
        '1',
        '--warmup',
        '0',
        '--output-tokens',
        '4',
        '--time-scale',
        '10',
        '--progress',
        'none',
        '--deploy-report',
        rep,
      ]);
      expect(r.code).toBe(0);
      const s = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
      expect(s.provenance).toMatchObject({
        gpu: 'NVIDIA-A100-SXM4-40GB-MIG-3g.20gb',
        server: 'vllm 0.11.0',
        image_digest: 'sha256:' + 'a'.repeat(64),
      });
    } finally {
      await sim.close();
    }
  }, 60_000);

  it('an invalid deploy report is invalid input, before any request', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'prov-'));
    const rep = path.join(dir, 'bad.json');
    writeFileSync(rep, JSON.stringify({ schema_version: 1, backend: 'vllm' }));
    const out = path.join(dir, 'out');
    const r = await cli([
      'sweep',
      '--backend',
      'vllm',
      '--url',
      'http://127.0.0.1:9',
      '--out',
      out,
      '--deploy-report',
      rep,
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--deploy-report/endpoint');
    expect(existsSync(out)).toBe(false);
  });

  // Regression: with two deployed servers (the Tekton A/B gate) arm B recorded arm A's image as its own.
  it("A/B: --ab-deploy-report is arm B's provenance, --deploy-report arm A's", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'prov-ab-'));
    const a = await startSimulator({ backend: 'vllm', timeScale: 10 });
    const b = await startSimulator({ backend: 'vllm', timeScale: 10 });
    try {
      const rep = (name: string, url: string, digit: string) => {
        const file = path.join(dir, `${name}.json`);
        const gpu = { product: 'NVIDIA-L40S', count: 1 };
        const body = { schema_version: 1, backend: 'vllm', endpoint: url, ready: true, gpu };
        writeFileSync(file, JSON.stringify({ ...body, image_digest: 'sha256:' + digit.repeat(64) }));
        return file;
      };
      const out = path.join(dir, 'out');
      const plan = ['--concurrency', '1', '--requests', '2', '--trials', '1', '--warmup', '0', '--output-tokens', '4'];
      const r = await cli([
        ...['sweep', '--backend', 'vllm', '--url', a.url, '--ab-url', b.url, '--out', out, ...plan],
        ...['--time-scale', '10', '--progress', 'none', '--deploy-report', rep('a', a.url, 'a')],
        ...['--ab-deploy-report', rep('b', b.url, 'b')],
      ]);
      expect([r.code, r.err]).toEqual([0, r.err]);
      const digest = (arm: string) =>
        JSON.parse(readFileSync(path.join(out, arm, 'summary.json'), 'utf8')).provenance.image_digest;
      expect([digest('a'), digest('b')]).toEqual(['sha256:' + 'a'.repeat(64), 'sha256:' + 'b'.repeat(64)]);
    } finally {
      await a.close();
      await b.close();
    }
  }, 60_000);

  it('--ab-deploy-report without --ab-url is invalid input', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'prov-'));
    const out = path.join(dir, 'out');
    const r = await cli([
      ...['sweep', '--backend', 'vllm', '--url', 'http://127.0.0.1:9', '--out', out],
      ...['--ab-deploy-report', path.join(dir, 'missing.json')],
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--ab-deploy-report');
    expect(existsSync(out)).toBe(false);
  });
});
