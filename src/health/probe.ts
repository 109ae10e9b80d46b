import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, isIP, isIPv6 } from 'node:net';
import type { HealthProbe } from '../answer/health.js';

/** One probe's outcome: up or not, and why not (for the transition's log line). */
export interface ProbeResult {
  up: boolean;
  reason?: string;
}

/**
 * Calls `fn` once `ms` have passed while this thread ran. A timer's callback runs before the event
 * loop polls for I/O, so after a stall (the process not scheduled on a busy machine, a long GC) a
 * reply that came in time would count as a timeout: the time is counted in steps of a quarter of
 * `ms`, each step counting for two at most, and the last step ends after the I/O poll
 * (setImmediate). A probe times out after `ms` of its thread running, however long a stall was.
 */
function after(ms: number, fn: () => void): { clear(): void } {
  const step = ms / 4;
  let left = ms;
  let last = performance.now();
  let timer: NodeJS.Timeout | null = null;
  let end: NodeJS.Immediate | null = null;
  const tick = (): void => {
    const now = performance.now();
    left -= Math.min(now - last, 2 * step);
    last = now;
    if (left > 0) timer = setTimeout(tick, Math.min(step, left));
    else end = setImmediate(fn);
  };
  timer = setTimeout(tick, step);
  return {
    clear: () => {
      if (timer !== null) clearTimeout(timer);
      if (end !== null) clearImmediate(end);
    },
  };
}

/** HTTP status codes that count as up when a check lists no `expect`: 2xx and 3xx (as Route 53). */
const UP_STATUS = { min: 200, max: 399 };
const USER_AGENT = 'Eclipso-health-check';

/**
 * Probes once: a TCP connection that opens, or an HTTP(S) GET whose status is 200–399 (or one of
 * `expect`), within the check's timeout. Each probe opens its own connection and closes it (no
 * keep-alive: a probe says whether a new client could connect). HTTPS certificates are not
 * verified (as Route 53's checks): the check asks whether the server answers, and an address
 * rarely matches a certificate; `host` is sent as SNI and Host.
 */
export function probeOnce(p: HealthProbe): Promise<ProbeResult> {
  const ms = p.check.timeout * 1000;
  return p.check.type === 'tcp' ? probeTcp(p.address, p.check.port, ms) : probeHttp(p, ms);
}

function probeTcp(host: string, port: number, ms: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let finished = false;
    const done = (r: ProbeResult): void => {
      if (finished) return;
      finished = true;
      timer.clear();
      socket.destroy();
      resolve(r);
    };
    const timer = after(ms, () => done({ up: false, reason: `no connection within ${ms / 1000} s` }));
    socket.once('connect', () => done({ up: true }));
    socket.once('error', (e: NodeJS.ErrnoException) => done({ up: false, reason: e.code ?? e.message }));
  });
}

function probeHttp(p: HealthProbe, ms: number): Promise<ProbeResult> {
  const { check, address } = p;
  const hostHeader = check.host ?? (isIPv6(address) ? `[${address}]` : address);
  const defaultPort = check.type === 'https' ? 443 : 80;
  return new Promise((resolve) => {
    const options = {
      host: address,
      port: check.port,
      path: check.path,
      method: 'GET',
      agent: false as const,
      headers: { Host: check.port === defaultPort ? hostHeader : `${hostHeader}:${check.port}`, 'User-Agent': USER_AGENT, Connection: 'close' },
      // RFC 6066 §3: SNI carries host names only, never an address.
      ...(check.type === 'https' && { rejectUnauthorized: false, ...(check.host !== undefined && isIP(check.host) === 0 && { servername: check.host }) }),
    };
    const req = (check.type === 'https' ? httpsRequest : httpRequest)(options);
    let finished = false;
    const done = (r: ProbeResult): void => {
      if (finished) return;
      finished = true;
      timer.clear();
      req.destroy();
      resolve(r);
    };
    const timer = after(ms, () => done({ up: false, reason: `no response within ${ms / 1000} s` }));
    req.once('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      const up = check.expect ? check.expect.includes(status) : status >= UP_STATUS.min && status <= UP_STATUS.max;
      res.on('error', () => {});
      res.resume();
      done(up ? { up } : { up, reason: `HTTP status ${status}` });
    });
    req.once('error', (e: NodeJS.ErrnoException) => done({ up: false, reason: e.code ?? e.message }));
    req.end();
  });
}
