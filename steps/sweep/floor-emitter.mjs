// The machine's timing floor for `npm run bench:loadgen`: a raw TCP emitter (no HTTP, no JSON) in its own process.
// Every accepted connection gets a line `<CLOCK_MONOTONIC ms>\n` every itl ms, all connections on one timer, so
// they arrive in bursts like a batch server's decode steps. argv: itlMs count connections. Prints `listening <port>`.
import net from 'node:net';

const itlMs = Number(process.argv[2] ?? 20);
const count = Number(process.argv[3] ?? 64);
const connections = Number(process.argv[4] ?? 1);
const sockets = new Set();
const server = net.createServer({ noDelay: true }, (s) => {
  sockets.add(s);
  s.on('close', () => sockets.delete(s));
  s.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
// Start on a line "go", once every connection has been accepted here too; stop after `count` ticks.
let started = false;
process.stdin.on('data', (d) => {
  if (started || !String(d).includes('go')) return;
  started = true;
  start();
});
function start() {
  if (sockets.size < connections) return void setTimeout(start, 5);
  let n = 0;
  const t0 = performance.now();
  const tick = () => {
    for (const s of sockets) s.write(`${(Number(process.hrtime.bigint()) / 1e6).toFixed(4)}\n`);
    if (++n >= count) {
      for (const s of sockets) s.end();
      server.close();
      return;
    }
    setTimeout(tick, Math.max(0, t0 + n * itlMs - performance.now()));
  };
  tick();
}
