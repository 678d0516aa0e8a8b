/** Minimal HTTP/SSE client for the simulator tests (the load generator's adapters are tested separately). */
import http from 'node:http';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** `data:` payloads in order (SSE responses). */
  events: string[];
  /** Real milliseconds from send to each event / to the end. */
  eventTimes: number[];
  endMs: number;
  /** The connection broke before the response ended. */
  broken: boolean;
}

export function request(
  url: string,
  method: string,
  body?: unknown,
  opts: { timeoutMs?: number; agent?: http.Agent } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = http.request(
      url,
      {
        method,
        agent: opts.agent,
        headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {},
      },
      (res) => {
        let text = '';
        let buf = '';
        const events: string[] = [];
        const eventTimes: number[] = [];
        let done = false;
        const finish = (broken: boolean) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text,
            events,
            eventTimes,
            endMs: performance.now() - t0,
            broken,
          });
        };
        const timer = setTimeout(() => {
          req.destroy();
          finish(true);
        }, opts.timeoutMs ?? 20_000);
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
          buf += c;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            for (const line of block.split('\n')) {
              if (line.startsWith('data:')) {
                events.push(line.slice(5).replace(/^ /, ''));
                eventTimes.push(performance.now() - t0);
              }
            }
          }
        });
        res.on('end', () => finish(false));
        res.on('error', () => finish(true));
        res.on('aborted', () => finish(true));
        res.on('close', () => finish(!res.complete));
      },
    );
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

export const post = (url: string, body: unknown, opts?: { timeoutMs?: number; agent?: http.Agent }) =>
  request(url, 'POST', body, opts);
export const get = (url: string, opts?: { timeoutMs?: number }) => request(url, 'GET', undefined, opts);
