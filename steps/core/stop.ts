/**
 * The process's stop signal (the first SIGINT/SIGTERM), set once by the entry point (steps/cli.ts), so that deep
 * loops — reading a samples file chunk by chunk — stop within a read of the signal without every function between
 * the command and the loop passing it along.
 */
let current: AbortSignal | undefined;

export function setStopSignal(signal: AbortSignal | undefined): void {
  current = signal;
}

/** Throws the signal's reason once the process was asked to stop. */
export function throwIfStopped(): void {
  current?.throwIfAborted();
}
