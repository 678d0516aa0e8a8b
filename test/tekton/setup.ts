/**
 * Set-up shared by the harness tests: a throw-away git repository, `llmbench sim` as a child process, and the
 * namespace admin's one-time install (manifests/prerequisites.yaml, server-side applied to the fake API server).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { REPO_ROOT } from '../../steps/core/paths.js';
import { objectPath, type KObject } from '../../steps/cluster/objects.js';

export function git(cwd: string, ...args: string[]): string {
  const env = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' };
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...env } }).trim();
}

export interface Sim {
  url: string;
  proc: ChildProcess;
}

/** `llmbench sim <args>` as a child process; resolves with the URL it prints, rejects if it exits or stalls. */
export function startSim(args: string[]): Promise<Sim> {
  const proc = spawn(process.execPath, [path.join(REPO_ROOT, 'steps/bin/llmbench.js'), 'sim', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stderr!.on('data', (d) => (err += d));
    proc.on('exit', (code) => reject(new Error(`llmbench sim exited ${code}: ${err}`)));
    const timer = setTimeout(() => reject(new Error(`llmbench sim did not start: ${err}`)), 30_000);
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /listening (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], proc });
      }
    });
  });
}

export function stopSim(proc: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (proc.exitCode !== null) return r();
    proc.removeAllListeners('exit');
    proc.once('exit', () => r());
    proc.kill('SIGTERM');
  });
}

/** The install step as the namespace admin runs it; the answer for each object, for the caller to check. */
export async function applyPrerequisites(kubeUrl: string): Promise<{ kind: string; status: number; ok: boolean }[]> {
  const out: { kind: string; status: number; ok: boolean }[] = [];
  const objs = yaml.loadAll(readFileSync(path.join(REPO_ROOT, 'manifests', 'prerequisites.yaml'), 'utf8'));
  for (const obj of objs as KObject[]) {
    const res = await fetch(
      `${kubeUrl}${objectPath(obj.kind, obj.metadata.namespace, obj.metadata.name)}?fieldManager=admin&force=true`,
      {
        method: 'PATCH',
        headers: { 'content-type': 'application/apply-patch+yaml', authorization: 'Bearer test-token' },
        body: JSON.stringify(obj),
      },
    );
    out.push({ kind: obj.kind, status: res.status, ok: res.ok });
  }
  return out;
}
