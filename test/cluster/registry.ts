/**
 * A REAL OCI registry for tests: Debian's docker-registry (distribution v2) on 127.0.0.1, storage in a temp
 * dir; small images made by umoci and pushed by skopeo. Missing tools are an error, never a skip
 * (.ci/run installs docker-registry, skopeo and umoci).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface TestRegistry {
  host: string;
  close(): Promise<void>;
}

function need(bin: string): string {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/bin', '/usr/local/bin'])) {
    try {
      execFileSync('test', ['-x', path.join(dir, bin)]);
      return path.join(dir, bin);
    } catch {
      /* next */
    }
  }
  throw new Error(
    `${bin} is not installed: apt-get install -y docker-registry skopeo umoci (the registry tests never skip)`,
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startRegistry(): Promise<TestRegistry> {
  const bin = need('docker-registry');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'llmbench-registry-'));
  const port = await freePort();
  writeFileSync(
    path.join(dir, 'config.yml'),
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  );
  const child: ChildProcess = spawn(bin, ['serve', path.join(dir, 'config.yml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const host = `127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    try {
      const r = await fetch(`http://${host}/v2/`);
      if (r.status === 200) {
        return {
          host,
          async close() {
            child.kill('SIGTERM');
            await new Promise((r2) => (child.exitCode !== null ? r2(null) : child.once('exit', r2)));
            rmSync(dir, { recursive: true, force: true });
          },
        };
      }
    } catch {
      /* not up yet */
    }
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`docker-registry did not start on ${host}: ${stderr.slice(0, 2000)}`);
}

/** Builds a tiny OCI image with umoci and pushes it with skopeo; returns the manifest digest. */
export function pushTinyImage(host: string, repository: string, tag: string): string {
  const umoci = need('umoci');
  const skopeo = need('skopeo');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'llmbench-oci-'));
  const layout = path.join(dir, 'img');
  execFileSync(umoci, ['init', '--layout', layout]);
  execFileSync(umoci, ['new', '--image', `${layout}:t`]);
  execFileSync(umoci, [
    'config',
    '--image',
    `${layout}:t`,
    `--config.cmd=/bin/true`,
    `--config.label=llmbench.test=${repository}`,
  ]);
  const digestFile = path.join(dir, 'digest');
  execFileSync(
    skopeo,
    [
      'copy',
      '--insecure-policy',
      '--dest-tls-verify=false',
      '--digestfile',
      digestFile,
      `oci:${layout}:t`,
      `docker://${host}/${repository}:${tag}`,
    ],
    { stdio: 'pipe' },
  );
  const digest = execFileSync('cat', [digestFile]).toString().trim();
  rmSync(dir, { recursive: true, force: true });
  return digest;
}
