/**
 * Command flags checked together: each bad flag adds a problem and the command exits 2 listing them all (commander's
 * own checks, and a throw per flag, would stop at the first).
 */
import type { Command } from 'commander';
import { InvalidInputError, type Problem } from './errors.js';
import type { InvalidInputCode } from './error-codes.js';

/** Bounds of a numeric flag: `gt`/`ge` below, `le` above. */
export interface NumberRange {
  gt?: number;
  ge?: number;
  le?: number;
}

/** The range as users read it: `> 0`, `≥ 0`, `in (0, 8]`. */
export function rangeText(r: NumberRange): string {
  if (r.gt !== undefined && r.le !== undefined) return `in (${r.gt}, ${r.le}]`;
  if (r.ge !== undefined && r.le !== undefined) return `in [${r.ge}, ${r.le}]`;
  if (r.gt !== undefined) return `> ${r.gt}`;
  if (r.ge !== undefined) return `≥ ${r.ge}`;
  return r.le !== undefined ? `≤ ${r.le}` : '';
}

const inRange = (n: number, r: NumberRange) =>
  Number.isFinite(n) &&
  (r.gt === undefined || n > r.gt) &&
  (r.ge === undefined || n >= r.ge) &&
  (r.le === undefined || n <= r.le);

/** Help of the two flags every command that waits on the cluster has (and their defaults, when they have one). */
export interface DeadlineHelp {
  timeout: string;
  timeoutDefault?: string;
  poll: string;
  pollDefault: string;
}

/** Declares --timeout and --poll-interval (seconds); FlagProblems.deadline() reads them. */
export function addDeadlineOptions(c: Command, h: DeadlineHelp): Command {
  return c.option('--timeout <s>', h.timeout, h.timeoutDefault).option('--poll-interval <s>', h.poll, h.pollDefault);
}

/** commander's option key of a flag: `--poll-interval` → `pollInterval`. */
const keyOf = (flag: string) => flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export class FlagProblems {
  readonly problems: Problem[] = [];
  constructor(private opts: Record<string, unknown>) {}

  add(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  /** A flag that must be given (commander's requiredOption would stop at the first one missing). */
  required(flag: string): void {
    if (!this.opts[keyOf(flag)]) this.add(flag, 'is required');
  }

  /** A numeric flag in its range; undefined when it was not given. `what` names the unit in the message. */
  number(flag: string, range: NumberRange, what = 'a number'): number | undefined {
    const raw = this.opts[keyOf(flag)];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!inRange(n, range)) this.add(flag, `must be ${what} ${rangeText(range)}`);
    return n;
  }

  /** --timeout (undefined when not given and without default) and --poll-interval, seconds > 0. */
  deadline(): { timeoutS: number | undefined; pollS: number } {
    return { timeoutS: this.number('--timeout', { gt: 0 }), pollS: this.number('--poll-interval', { gt: 0 })! };
  }

  /** Exit 2 listing every problem, when there is one. */
  throwIfAny(code: InvalidInputCode, message: string, hint?: string): void {
    if (this.problems.length)
      throw new InvalidInputError(code, message, { problems: this.problems, ...(hint ? { hint } : {}) });
  }
}
