import type { CommandSpec } from '../core/command.js';
import { InvalidInputError, type Problem } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { startSimulator, validateSimOptions, type Faults, type SimOptions } from './server.js';
import { profiles } from '../sim/profiles.js';
import { SERVER_NAMES } from '../servers/index.js';
import { FAULT_FLAGS, optionKey } from './fault-flags.js';

const num = (v: unknown, path: string, problems: Problem[], integer = false): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (String(v).trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    problems.push({ path, message: `expected ${integer ? 'an integer' : 'a number'}, got '${String(v)}'` });
    return undefined;
  }
  return n;
};

/** Flags → SimOptions; every problem reported at once (the core validates ranges and profiles). */
export function simOptionsFromFlags(o: Record<string, unknown>): SimOptions {
  const problems: Problem[] = [];
  if (o.backend === undefined)
    problems.push({ path: '/backend', message: `required: --backend ${SERVER_NAMES.join('|')}` });
  const faults: Faults = {};
  const f = (flag: string, key: keyof Faults, integer = false) => {
    const v = num(o[flag], `/faults/${key}`, problems, integer);
    if (v !== undefined) faults[key] = v;
  };
  for (const flag of FAULT_FLAGS) f(optionKey(flag), flag.key, flag.integer);
  const opts: SimOptions = {
    backend: o.backend as SimOptions['backend'],
    port: num(o.port ?? '0', '/port', problems, true),
    host: o.host as string | undefined,
    gpu: o.gpu as string | undefined,
    modelProfile: o.model as string | undefined,
    model: o.servedModelName as string | undefined,
    seed: num(o.seed, '/seed', problems, true),
    timeScale: num(o.timeScale, '/time_scale', problems),
    faults,
    engine: {
      max_num_seqs: num(o.maxNumSeqs, '/engine/max_num_seqs', problems, true),
      max_model_len: num(o.maxModelLen, '/engine/max_model_len', problems, true),
      gpu_memory_utilization: num(o.gpuMemoryUtilization, '/engine/gpu_memory_utilization', problems),
      ...(o.enforceEager !== undefined ? { enforce_eager: o.enforceEager as boolean } : {}),
    },
  };
  // Flag syntax problems and the core's range/profile problems are reported together.
  try {
    validateSimOptions(opts);
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    problems.push(...e.problems.filter((p) => !problems.some((q) => q.path === p.path)));
  }
  if (problems.length)
    throw new InvalidInputError('sim-options', 'invalid simulator flags', {
      problems,
      hint: 'See `llmbench sim --help`.',
    });
  return opts;
}

export const command: CommandSpec = {
  name: 'sim',
  signalEndsNormally: true,
  summary: `Run one simulated inference server (${SERVER_NAMES.join(', ')}) on 127.0.0.1`,
  configure: (c) => {
    c.option('--backend <kind>', SERVER_NAMES.join(' | '))
      .option('--port <n>', 'port (0 picks a free one)', '0')
      .option('--host <addr>', 'address to bind', '127.0.0.1')
      .option('--gpu <profile>', 'GPU profile (default a100-mig-3g.20gb)')
      .option(
        '--model <profile>',
        "model profile (default: the backend's; vLLM/Triton mistral-7b-instruct-fp16, TGI mistral-7b-instruct-bnb-nf4)",
      )
      .option('--served-model-name <name>', 'model name clients must send (default mistral; TGI ignores names)')
      .option('--seed <n>', 'seed for jitter, output text and faults', '42')
      .option(
        '--time-scale <x>',
        'simulated time runs x times faster than real time (responses carry x-llmbench-sim-time-scale)',
        '1',
      )
      .option('--max-num-seqs <n>', 'engine: maximum running sequences')
      .option('--max-model-len <n>', 'engine: context length (prompt + output)')
      .option('--gpu-memory-utilization <f>', 'engine: fraction of GPU memory for weights + KV cache')
      .option('--enforce-eager', 'engine: no CUDA graphs (vLLM default profile already is)')
      .option('--no-enforce-eager', 'engine: CUDA graphs on');
    for (const f of FAULT_FLAGS) c.option(f.flag, f.help);
    c.option('--list-profiles', 'print the GPU, model and backend profiles and exit').addHelpText(
      'after',
      '\nPrints `listening <url>` on stdout once ready; runs until SIGINT/SIGTERM.\nProfiles: steps/sim/profiles/{gpu,model}/*.json and steps/servers/*/sim-profile.json (each names its sources).',
    );
  },
  async run(o, ctx) {
    if (o.listProfiles) {
      const P = profiles();
      for (const [kind, m] of [
        ['gpu', P.gpus],
        ['model', P.models],
        ['backend', P.backends],
      ] as const) {
        for (const [id, p] of m) {
          const uncalibrated = (p as { calibrated?: boolean }).calibrated === false ? ' (uncalibrated)' : '';
          ctx.stdout(`${kind}\t${id}\t${(p as { name: string }).name}${uncalibrated}\n`);
        }
      }
      return ExitCode.OK;
    }
    const opts = simOptionsFromFlags(o);
    const sim = await startSimulator({ ...opts, log: ctx.log });
    const p = sim.profile;
    ctx.log.info(`simulated ${sim.backend} serving '${sim.model}'`, {
      gpu: p.gpu.id,
      model: p.model.id,
      kv_cache_blocks: p.kvBlocks,
      block_size: p.engine.block_size,
      max_model_len: p.engine.max_model_len,
      time_scale: sim.timeScale,
      metrics: sim.metricsUrl,
      ...(p.backend.calibrated === false ? { calibrated: false } : {}),
    });
    ctx.stdout(`listening ${sim.url}\n`);
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) return resolve();
      ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      // Spawned by `llmbench run` (steps/sim/process.ts): stdin is a pipe from the parent, and its end means the
      // parent is gone — even killed with SIGKILL, when no signal could be forwarded. Then stop too.
      if (ctx.env.LLMBENCH_SIM_PARENT_PIPE === '1') {
        process.stdin.on('end', () => {
          ctx.log.warn('parent process gone (stdin closed); stopping');
          resolve();
        });
        process.stdin.on('error', () => resolve());
        process.stdin.resume();
      }
    });
    await sim.close();
    ctx.log.info('simulator stopped');
    return ExitCode.OK;
  },
};
