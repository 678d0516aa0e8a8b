/**
 * A full garbage collection on demand, for the moment between warmup and a measured window when nothing is in
 * flight. The sweep holds every sample of the run in memory, so the heap grows point after point; without this a
 * major collection (10–50 ms here) sooner or later lands inside a measured window and every chunk that arrives
 * during it is stamped late. `--expose-gc` is switched on at run time (V8 documents run-time flag changes as
 * best-effort; this one only adds a global `gc` to contexts created later). When it cannot, this returns false and
 * the sweep logs that once.
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

let gcFn: (() => void) | null | undefined;

/** Runs a full collection; false when the runtime does not allow it. */
export function collectGarbage(): boolean {
  if (gcFn === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      const fn: unknown = runInNewContext('gc');
      gcFn = typeof fn === 'function' ? (fn as () => void) : null;
    } catch {
      gcFn = null;
    }
  }
  if (!gcFn) return false;
  gcFn();
  return true;
}
