/**
 * Closed-loop load on the engine in virtual time (no sockets): `c` clients, each sends its next request when the
 * previous one finishes, like `llmbench sweep --concurrency c`. Used by the calibration test and bench:sim.
 */
import { VirtualClock } from './clock.js';
import { Engine } from './engine.js';
import { resolveProfile, type BackendKind, type EngineOverrides } from './profiles.js';

export interface VirtualPointOptions {
  backend: BackendKind;
  gpu?: string;
  modelProfile?: string;
  concurrency: number;
  inputTokens?: number;
  outputTokens?: number;
  /** Measured requests (after `warmup` per client). */
  requests?: number;
  warmup?: number;
  seed?: number;
  engine?: EngineOverrides;
  /** When set, a request stops early at a natural EOS (TGI without ignore_eos); returns its length. */
  naturalLength?: (i: number) => number;
}

export interface VirtualPoint {
  concurrency: number;
  completed: number;
  outputTokens: number;
  windowS: number;
  outputTokensPerS: number;
  meanTtftMs: number;
  meanTpotMs: number;
  meanE2eMs: number;
  preemptions: number;
}

export function runVirtualPoint(o: VirtualPointOptions): VirtualPoint {
  const clock = new VirtualClock();
  const profile = resolveProfile(o.backend, o.gpu, o.modelProfile, o.engine);
  const engine = new Engine(profile, clock, { seed: o.seed ?? 42 });
  const input = o.inputTokens ?? 128;
  const output = o.outputTokens ?? 100;
  const warmup = o.warmup ?? 1;
  const measured = o.requests ?? Math.max(32, o.concurrency * 4);
  let sent = 0;
  let windowStart = NaN;
  let windowEnd = 0;
  let tokens = 0;
  let completed = 0;
  let ttft = 0;
  let tpot = 0;
  let e2e = 0;
  const total = warmup * o.concurrency + measured;
  const send = () => {
    if (sent >= total) return;
    const i = sent++;
    const isMeasured = i >= warmup * o.concurrency;
    const sentAt = clock.now();
    if (isMeasured && Number.isNaN(windowStart)) windowStart = sentAt;
    const n = o.naturalLength ? Math.min(output, o.naturalLength(i)) : output;
    engine.submit({
      promptTokens: input,
      outputTokens: n,
      finishReason: n < output ? 'stop' : 'length',
      sink: {
        onToken: () => {},
        onFinish: (s, _r, t) => {
          if (isMeasured) {
            completed++;
            tokens += s.generated;
            windowEnd = Math.max(windowEnd, t);
            ttft += s.firstTokenAt - sentAt;
            e2e += t - sentAt;
            if (s.generated > 1) tpot += (t - s.firstTokenAt) / (s.generated - 1);
          }
          send();
        },
      },
    });
  };
  for (let k = 0; k < o.concurrency; k++) send();
  clock.run();
  const windowS = windowEnd - windowStart;
  return {
    concurrency: o.concurrency,
    completed,
    outputTokens: tokens,
    windowS,
    outputTokensPerS: tokens / windowS,
    meanTtftMs: (ttft / completed) * 1000,
    meanTpotMs: (tpot / completed) * 1000,
    meanE2eMs: (e2e / completed) * 1000,
    preemptions: engine.stats.preemptions,
  };
}

/** The original framework's vLLM table (A100 MIG 3g.20gb, Mistral-7B fp16, 100 output tokens). */
export const ORIGINAL = {
  concurrency: [1, 4, 8, 16],
  vllm: [39.2, 150.8, 276.2, 560.7],
  triton: [23.8, 101.7, 161.1, 404.7],
  tgi: [19.9, 43.2, 80.6, 165.6],
} as const;
