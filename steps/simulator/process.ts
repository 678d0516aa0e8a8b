/**
 * Runs a simulated server in its own process (`llmbench sim`), so that its engine and streaming never share an
 * event loop with the load generator: on a busy machine an in-process server inflates the client's event-loop
 * delay and the self-check (rightly) marks points invalid. `llmbench run` uses this; tests may use the
 * in-process `startSimulator`.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../core/paths.js';
import { EnvironmentError } from '../core/errors.js';
import { validateSimOptions, type SimOptions } from './server.js';
import { FAULT_FLAGS, flagName } from './fault-flags.js';

export interface SimProcess {
  url: string;
  pid: number;
  close(): Promise<void>;
}

/** SimOptions → `llmbench sim` flags (the inverse of simOptionsFromFlags). */
export function simFlags(o: SimOptions): string[] {
  const a: string[] = ['sim', '--backend', o.backend, '--port', String(o.port ?? 0)];
  const put = (flag: string, v: unknown) => {
    if (v !== undefined && v !== null) a.push(flag, String(v));
  };
  put('--host', o.host);
  put('--gpu', o.gpu);
  put('--model', o.modelProfile);
  put('--served-model-name', o.model);
  put('--seed', o.seed);
  put('--time-scale', o.timeScale);
  for (const f of FAULT_FLAGS) put(flagName(f), o.faults?.[f.key]);
  const e = o.engine ?? {};
  put('--max-num-seqs', e.max_num_seqs);
  put('--max-model-len', e.max_model_len);
  put('--gpu-memory-utilization', e.gpu_memory_utilization);
  if (e.enforce_eager === true) a.push('--enforce-eager');
  if (e.enforce_eager === false) a.push('--no-enforce-eager');
  return a;
}

export async function spawnSimulator(opts: SimOptions, startTimeoutMs = 60_000): Promise<SimProcess> {
  validateSimOptions(opts); // bad options are input errors here, before any process starts
  const bin = path.join(REPO_ROOT, 'steps', 'bin', 'llmbench.js');
  // stdin is a pipe the child watches: when this process dies in any way (SIGKILL included) the pipe closes and
  // the simulator stops, instead of listening on, reparented to PID 1.
  const child = spawn(process.execPath, [bin, ...simFlags(opts)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true', LLMBENCH_SIM_PARENT_PIPE: '1' },
  });
  child.stdin.on('error', () => {}); // EPIPE once the child is gone: nothing to do
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no 'listening' line within ${startTimeoutMs} ms`)),
      startTimeoutMs,
    );
    const rl = createInterface({ input: child.stdout });
    rl.on('line', (line) => {
      const m = /^listening (\S+)$/.exec(line.trim());
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with code ${code}`));
    });
  }).catch((e: Error) => {
    child.kill('SIGKILL');
    throw new EnvironmentError('sim-start-failed', `simulated ${opts.backend} did not start: ${e.message}`, {
      hint: `Its output: ${stderr.trim().split('\n').slice(-3).join(' | ') || '(none)'}`,
    });
  });
  return {
    url,
    pid: child.pid!,
    async close() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
