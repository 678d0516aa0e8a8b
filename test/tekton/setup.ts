/**
 * Set-up shared by the harness tests: a throw-away git repository, `llmbench sim` as a child process, and the
 * namespace admin's one-time install (manifests/prerequisites.yaml, server-side applied to the fake API server).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { REPO_ROOT } from '../../steps/core/paths.js';
import { objectPath, type KObject } from '../../steps/cluster/objects.js';
import { startFakeKube, type FakeKube } from '../fakes/k8s/server.js';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github/server.js';

export function git(cwd: string, ...args: string[]): string {
  const env = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' };
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...env } }).trim();
}

/** A throw-away repository the runs clone (file://): `bench.yaml` committed on main. */
export function benchRepo(prefix: string, config: object): { root: string; src: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), prefix));
  const src = path.join(root, 'src');
  mkdirSync(src);
  git(src, 'init', '-q', '-b', 'main');
  git(src, 'config', 'uploadpack.allowAnySHA1InWant', 'true');
  writeFileSync(path.join(src, 'bench.yaml'), yaml.dump(config));
  git(src, 'add', '.');
  git(src, 'commit', '-q', '-m', 'bench config');
  return { root, src };
}

/** regression.sequential.max_trials, the default. */
export const GATE_MAX_TRIALS = 16;

/**
 * The sequential-gate runs' bench config: one small load point. The simulator's TTFT varies far more than 3 % between
 * trials: it is gated with its own sizes (as in test/analyze/sequential-run.test.ts); throughput and TPOT keep the
 * defaults (tolerance 3 %, detectable 5 %). 16 fixed trials are the nightly's (a baseline needs ≥ 16 for the design).
 */
export const GATE_CONFIG = {
  version: 1,
  backends: [{ kind: 'vllm', sim: { time_scale: 2 } }],
  load: { concurrency: [4], requests: 8, warmup: 1, trials: GATE_MAX_TRIALS, min_samples: 8 },
  workload: { input_tokens: 32, output_tokens: 8 },
  regression: { metrics: { 'ttft_ms.p50': { tolerance_pct: 25, detectable_pct: 40 } } },
};

/** What a sequential-gate PR test runs against: the bench repository, the fake API server (install applied) and
 * GitHub as the PaC App (PR 7 open); `log` is printed at the end with LLMBENCH_HARNESS_LOG set. */
export interface GateEnv {
  root: string;
  src: string;
  kube: FakeKube;
  gh: FakeGitHub;
  log: string[];
  /** The PaC App's token the fake GitHub accepts, and the digest the fake cluster reports for every image. */
  token: string;
  digest: string;
  close(): Promise<void>;
}

export async function startGateEnv(prefix: string, token: string, digest: string): Promise<GateEnv> {
  const { root, src } = benchRepo(prefix, GATE_CONFIG);
  const kube = await startFakeKube({ imageDigest: digest, stepMs: 5, deleteDelayMs: 20 });
  const installed = await applyPrerequisites(kube.url);
  if (!installed.every((r) => r.ok)) throw new Error(`install failed: ${JSON.stringify(installed)}`);
  const gh = await startFakeGitHub({ token, repos: ['octo/bench'], prs: [7], tokenKind: 'pac-app' });
  const log: string[] = [];
  const close = async () => {
    if (process.env.LLMBENCH_HARNESS_LOG) console.log(log.join('\n'));
    await kube.close();
    await gh.close?.();
    rmSync(root, { recursive: true, force: true });
  };
  return { root, src, kube, gh, log, token, digest, close };
}

/** A simulated T4 (4-bit) at twice real speed: ~68 ms tokens leave the load generator's self-check room. */
export function startSlowSim(slowdown: number): Promise<Sim> {
  const args = ['--backend', 'vllm', '--port', '0', '--time-scale', '2', '--gpu', 't4-16gb'];
  return startSim([...args, '--model', 'mistral-7b-instruct-bnb-nf4', '--slowdown', String(slowdown)]);
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
