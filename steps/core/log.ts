import { redact, redactString } from './redact.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** Structured event (progress lines); printed as JSON under CI, as `msg k=v` on a TTY. */
  event(kind: string, fields: Record<string, unknown>): void;
  readonly json: boolean;
}

export interface LoggerOptions {
  /** JSON lines instead of human text. Default: `CI=true` in the environment. */
  json?: boolean;
  level?: LogLevel;
  /** Where lines go. Default: stderr (stdout is reserved for command output). */
  write?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/** Logs are human on a TTY and JSON lines when CI=true; every line is redacted before it is written. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const env = opts.env ?? process.env;
  const json = opts.json ?? (env.CI === 'true' || env.CI === '1');
  const min = ORDER[opts.level ?? ((env.LLMBENCH_LOG_LEVEL as LogLevel) || 'info')] ?? ORDER.info;
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));

  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>, kind?: string) => {
    if (ORDER[level] < min) return;
    const safeFields = fields ? redact(fields, env) : undefined;
    const safeMsg = redactString(msg, env);
    if (json) {
      write(
        JSON.stringify({
          ts: new Date().toISOString(),
          level,
          ...(kind ? { event: kind } : {}),
          msg: safeMsg,
          ...safeFields,
        }),
      );
    } else {
      const tail = safeFields
        ? ' ' +
          Object.entries(safeFields)
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' ')
        : '';
      const prefix = level === 'info' ? '' : `${level}: `;
      write(`${prefix}${safeMsg}${tail}`);
    }
  };
  return {
    json,
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    event: (kind, f) => emit('info', kind, f, kind),
  };
}

/** A logger that drops everything (pure cores take a Logger; tests pass this). */
export const silentLogger: Logger = createLogger({ write: () => {}, level: 'error', json: true });

/**
 * For a long step with no natural count (analysis of a big run): a `progress` event every intervalMs while it
 * runs — what runs and for how long, no ETA it cannot know. Nothing at all for a step shorter than intervalMs.
 */
export async function withHeartbeat<T>(
  log: Logger,
  fields: Record<string, unknown>,
  work: () => Promise<T>,
  intervalMs = 5000,
): Promise<T> {
  const t0 = performance.now();
  const timer = setInterval(
    () =>
      log.event('progress', { ...fields, phase: 'running', elapsed_s: Math.round((performance.now() - t0) / 1000) }),
    intervalMs,
  );
  timer.unref();
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
