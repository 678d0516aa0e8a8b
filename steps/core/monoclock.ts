/**
 * One time axis for several processes. performance.now() starts at each process's own origin, and
 * performance.timeOrigin is sampled from the wall clock at startup (processes disagree by up to a millisecond);
 * process.hrtime is CLOCK_MONOTONIC, the same clock for every process on the machine. The timing-truth bench
 * uses it to put the scripted server's events (request parsed, chunk written) on the client's axis.
 */

/** CLOCK_MONOTONIC, ms. */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Add to this process's performance.now() to get CLOCK_MONOTONIC ms. */
export const perfToMonotonicMs = (): number => monotonicMs() - performance.now();

/** Add to CLOCK_MONOTONIC ms to get this process's sample clock (performance.timeOrigin + performance.now()). */
export const monotonicToSampleMs = (): number => performance.timeOrigin + performance.now() - monotonicMs();
