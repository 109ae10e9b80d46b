import { request } from 'node:http';
import { createServer } from 'node:net';

/** A reply from the ops listener comes in milliseconds; this deadline is reached only when it hangs. */
const HTTP_MS = 10_000;

/** A TCP port free on 127.0.0.1 right now (for the ops listener, which tests must set explicitly). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface HttpReply {
  status: number;
  type: string;
  body: string;
}

/** GET http://127.0.0.1:<port><path>; rejects when nothing listens. */
export function httpGet(port: number, path: string, method = 'GET'): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false, timeout: HTTP_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} on port ${port}: no reply in ${HTTP_MS / 1000} s`)));
    req.on('error', reject);
    req.end();
  });
}

/** Parses Prometheus text into "name{labels}" → value, checking each sample's family was declared. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const declared = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      if (declared.has(type[1])) throw new Error(`family ${type[1]} declared twice`);
      declared.add(type[1]);
      continue;
    }
    if (line.startsWith('# HELP ')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const family = declared.has(m[1]) ? m[1] : m[1].replace(/_(bucket|sum|count)$/, '');
    if (!declared.has(family)) throw new Error(`sample before its # TYPE: ${line}`);
    out.set(m[1] + (m[2] ?? ''), Number(m[3]));
  }
  return out;
}
