import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dig, startApiServer } from '../helpers/api.js';
import { spawnServer, WAIT_MS, ZoneDir, type ServerProcess } from '../helpers/server.js';

const TOKEN = 'listener-test-token';
const zone = `version = 1.0\n\n[domain]\ndomain = "tls.test"\n\n[[records]]\ndomain = "@"\ntype = "NS"\naddress = "ns1.tls.test."\n\n[[records]]\ndomain = "ns1"\ntype = "A"\naddress = "192.0.2.53"\n`;

/** A GET over HTTPS trusting only `ca`: status and body. */
function httpsGet(port: number, path: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca, servername: 'localhost', headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Resolves once the socket is closed by the other end; rejects after `ms`. */
function closed(socket: Socket, ms = WAIT_MS, what = 'the API to close the connection'): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    socket.on('data', (d) => (got += d.toString()));
    const timer = setTimeout(() => reject(new Error(`waited ${ms / 1000} s for ${what}`)), ms);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    socket.on('error', () => {});
  });
}

describe('HTTP zone API listener: secure by default, TLS, and limits that keep DNS answering', () => {
  const dir = new ZoneDir();
  const certs = mkdtempSync(join(tmpdir(), 'eclipso-tls-'));
  let server: ServerProcess;
  let api = 0;

  before(async () => {
    dir.write('tls.test.toml', zone);
    // A self-signed certificate for localhost, made here: the client trusts exactly it.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost', '-keyout', join(certs, 'key.pem'), '-out', join(certs, 'cert.pem')], { stdio: 'ignore' });
    const started = await startApiServer(dir.path, {
      env: { API_TOKEN: TOKEN, API_TLS_CERT: join(certs, 'cert.pem'), API_TLS_KEY: join(certs, 'key.pem'), API_MAX_CONNECTIONS: '2', API_REQUEST_TIMEOUT: '1' },
    });
    server = started.server;
    api = started.api;
  });
  after(async () => {
    await server?.stop();
    dir.cleanup();
    rmSync(certs, { recursive: true, force: true });
  });

  it('API_PORT without a token refuses to start, exit code 2, saying what to set', async () => {
    const s = spawnServer(dir.path, { args: ['--api-port', '8081'] });
    assert.equal(await s.waitForExit(), 2);
    assert.match(s.stderr, /API_PORT=8081 but no API token is set; set API_TOKENS_FILE/);
  });

  it('a bad API_TOKENS_FILE line refuses to start, naming the line', async () => {
    const file = join(certs, 'tokens');
    execFileSync('sh', ['-c', `printf 'ci deadbeef admin\\n' > ${file}`]);
    const s = spawnServer(dir.path, { args: ['--api-port', '8081', '--api-tokens-file', file] });
    assert.equal(await s.waitForExit(), 2);
    assert.match(s.stderr, /tokens:1: .*deadbeef….* is not a SHA-256 in hex/);
  });

  it('with API_TLS_CERT and API_TLS_KEY it speaks HTTPS with that certificate', async () => {
    const r = await httpsGet(api, '/api/v1/zones/tls.test', readFileSync(join(certs, 'cert.pem')));
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).domain.domain, 'tls.test');
    assert.equal(server.logs.find((l) => l.msg === 'api listening')?.tls, true);
  });

  it('a client that never finishes its request is closed after API_REQUEST_TIMEOUT; past API_MAX_CONNECTIONS more are refused; DNS answers meanwhile', async () => {
    const slow = [connect(api, '127.0.0.1'), connect(api, '127.0.0.1')];
    const ends = slow.map((s) => closed(s, WAIT_MS, 'the API to close a connection that sent nothing'));
    await Promise.all(slow.map((s) => new Promise((r) => s.once('connect', r))));
    const third = connect(api, '127.0.0.1');
    await closed(third, WAIT_MS, 'the API to refuse a third connection (API_MAX_CONNECTIONS=2)');
    assert.deepEqual(dig(server.port, 'ns1.tls.test', 'A'), ['ns1.tls.test. 3600 IN A 192.0.2.53']);
    await Promise.all(ends);
  });
});
