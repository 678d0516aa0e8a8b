import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { monotonicMs, monotonicToSampleMs, perfToMonotonicMs } from './monoclock.js';

describe('monotonic clock shared across processes', () => {
  it('server times land on the client axis: a child process reading lands between the parent readings before and after it', () => {
    // The child reports a performance.now() reading and its offset, exactly as the scripted server's dump does.
    const child = `const p = performance.now(); const off = Number(process.hrtime.bigint()) / 1e6 - performance.now(); console.log(JSON.stringify({ p, off }))`;
    const toSample = monotonicToSampleMs();
    const before = performance.timeOrigin + performance.now();
    const out = JSON.parse(execFileSync(process.execPath, ['-e', child], { encoding: 'utf8' })) as {
      p: number;
      off: number;
    };
    const after = performance.timeOrigin + performance.now();
    const t = out.p + out.off + toSample;
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(after);
  });

  it('the offsets are stable within a process (sub-millisecond)', () => {
    const a = perfToMonotonicMs();
    const b = perfToMonotonicMs();
    expect(Math.abs(a - b)).toBeLessThan(0.5);
    expect(monotonicMs()).toBeGreaterThan(0);
  });
});
