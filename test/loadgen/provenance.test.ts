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
});
