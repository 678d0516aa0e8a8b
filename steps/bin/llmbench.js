#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx (no build step), so `npx llmbench` works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
// `llmbench --help | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const { main } = await import('../cli.ts');
const ac = new AbortController();
let signals = 0;
// How long a command may take to stop cleanly after the first signal before the process exits anyway (130).
const STOP_GRACE_MS = Number(process.env.LLMBENCH_STOP_GRACE_MS ?? 3500);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    // First signal: stop cleanly and keep what was written. Second: give up.
    if (++signals > 1) process.exit(130);
    ac.abort(new Error(`received ${sig}`));
    setTimeout(() => {
      process.stderr.write(`interrupted: received ${sig}; did not stop within ${STOP_GRACE_MS} ms, exiting (130)\n`);
      process.exit(130);
    }, STOP_GRACE_MS);
  });
}
const code = await main({ argv: process.argv.slice(2), signal: ac.signal });
process.exitCode = code;
// Open handles (keep-alive sockets) must not keep a finished command alive.
setTimeout(() => process.exit(code), 200).unref();
