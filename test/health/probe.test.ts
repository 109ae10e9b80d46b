import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { probeOnce } from '../../src/health/probe.js';
import type { HealthCheck } from '../../src/zone/model.js';

const listen = (server: Server): Promise<number> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
const close = (server: Server): Promise<unknown> => new Promise((resolve) => server.close(resolve));

function check(over: Partial<HealthCheck>): HealthCheck {
  return { name: 'c', type: 'http', port: 80, path: '/healthz', interval: 1, timeout: 1, rise: 1, fall: 1, fail: 'open', ...over };
}

describe('probes', () => {
  let status = 200;
  let seen: { path?: string; headers?: IncomingHttpHeaders; sni?: string | false | null } = {};
  const http = createHttpServer((req, res) => {
    seen = { path: req.url, headers: req.headers };
    res.writeHead(status).end();
  });
  const dir = mkdtempSync(join(tmpdir(), 'eclipso-tls-'));
  let https: Server;
  // Accepts connections and never answers: a probe waits for its timeout.
  const silent = createTcpServer(() => {});
  const ports = { http: 0, https: 0, silent: 0 };

  before(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=www.example.com', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    https = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
      seen = { path: req.url, headers: req.headers, sni: (req.socket as TLSSocket).servername };
      res.writeHead(status).end();
    });
    ports.http = await listen(http);
    ports.https = await listen(https);
    ports.silent = await listen(silent);
  });
  after(async () => {
    silent.unref();
    await Promise.all([close(http), close(https)]);
    silent.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('http: GET of the path with the Host header; 200–399 is up, other statuses down, unless `expect` lists them', async () => {
    status = 204;
    assert.deepEqual(await probeOnce({ check: check({ port: ports.http, host: 'www.example.com' }), address: '127.0.0.1' }), { up: true });
    assert.equal(seen.path, '/healthz');
    assert.equal(seen.headers?.host, `www.example.com:${ports.http}`);
    status = 503;
    assert.deepEqual(await probeOnce({ check: check({ port: ports.http }), address: '127.0.0.1' }), { up: false, reason: 'HTTP status 503' });
    assert.equal(seen.headers?.host, `127.0.0.1:${ports.http}`, 'without host, the address');
    assert.deepEqual(await probeOnce({ check: check({ port: ports.http, expect: [503] }), address: '127.0.0.1' }), { up: true });
  });

  it('https: the host is sent as TLS SNI and Host; a self-signed certificate does not make it down', async () => {
    status = 200;
    assert.deepEqual(await probeOnce({ check: check({ type: 'https', port: ports.https, host: 'www.example.com' }), address: '127.0.0.1' }), { up: true });
    assert.equal(seen.sni, 'www.example.com');
    assert.equal(seen.headers?.host, `www.example.com:${ports.https}`);
  });

  it('a reply that came in time is not a timeout when the event loop was held up past it', async () => {
    const busy = (ms: number): void => {
      for (const until = Date.now() + ms; Date.now() < until;);
    };
    for (const c of [check({ type: 'tcp', port: ports.http, timeout: 0.1 }), check({ port: ports.http, timeout: 0.1 })]) {
      status = 200;
      const probe = probeOnce({ check: c, address: '127.0.0.1' });
      // After the connection is started (on a later tick), the loop stalls three times the timeout.
      process.nextTick(() => process.nextTick(() => busy(300)));
      assert.deepEqual(await probe, { up: true }, c.type);
    }
  });

  it('down on a refused connection, and on no answer within the timeout', async () => {
    const refused = await probeOnce({ check: check({ type: 'tcp', port: ports.http }), address: '127.0.0.9' });
    assert.deepEqual(refused, { up: false, reason: 'ECONNREFUSED' });
    assert.deepEqual(await probeOnce({ check: check({ type: 'tcp', port: ports.silent }), address: '127.0.0.1' }), { up: true });
    const timeout = await probeOnce({ check: check({ port: ports.silent, timeout: 0.2 }), address: '127.0.0.1' });
    assert.deepEqual(timeout, { up: false, reason: 'no response within 0.2 s' });
  });
});
