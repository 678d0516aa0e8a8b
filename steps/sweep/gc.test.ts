import { describe, expect, it } from '@jest/globals';
import { collectGarbage } from './gc.js';

describe('collectGarbage', () => {
  it('really collects: an unreachable object behind a WeakRef is gone afterwards', async () => {
    let ref: WeakRef<object> | undefined;
    (() => {
      ref = new WeakRef({ payload: new Array(1000).fill(1) });
    })();
    // WeakRef targets live until the current job ends: collect on a later turn.
    await new Promise((r) => setTimeout(r, 0));
    expect(collectGarbage()).toBe(true);
    expect(ref!.deref()).toBeUndefined();
  });
});
