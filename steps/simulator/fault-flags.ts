/**
 * The simulator's fault flags, once: `llmbench sim` declares and parses them from this table, and spawnSimulator
 * writes them back from SimOptions with it, so the two directions cannot drift.
 */
import type { Faults } from '../sim/faults.js';

export interface FaultFlag {
  /** commander flag with its value placeholder. */
  flag: string;
  key: keyof Faults;
  integer: boolean;
  help: string;
}

export const FAULT_FLAGS: readonly FaultFlag[] = [
  {
    flag: '--error-rate <f>',
    key: 'error_rate',
    integer: false,
    help: 'fault: fraction of requests answered with an internal error',
  },
  {
    flag: '--overload-queue <n>',
    key: 'overload_queue',
    integer: true,
    help: 'fault: answer 503 when more than n requests wait',
  },
  {
    flag: '--stall-rate <f>',
    key: 'stall_rate',
    integer: false,
    help: 'fault: fraction of streams that stop sending without closing',
  },
  {
    flag: '--cut-rate <f>',
    key: 'cut_rate',
    integer: false,
    help: 'fault: fraction of streams whose connection is cut mid-way',
  },
  {
    flag: '--slow-start <s>',
    key: 'slow_start_s',
    integer: false,
    help: 'fault: not ready for s simulated seconds after start and after each restart',
  },
  {
    flag: '--crash-after <n>',
    key: 'crash_after_requests',
    integer: true,
    help: 'fault: crash after n inference requests (drops connections, stops listening)',
  },
  {
    flag: '--restart-after <s>',
    key: 'restart_s',
    integer: false,
    help: 'fault: listen again s simulated seconds after a crash (default 1)',
  },
  {
    flag: '--slowdown <x>',
    key: 'slowdown',
    integer: false,
    help: 'fault: multiply step times by x (1.05 = a 5 % regression)',
  },
];

/** `--error-rate <f>` → `--error-rate`. */
export const flagName = (f: FaultFlag): string => f.flag.split(' ')[0];

/** `--error-rate <f>` → `errorRate`, the key commander stores its value under. */
export const optionKey = (f: FaultFlag): string =>
  flagName(f)
    .slice(2)
    .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
