import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { lines, makeQuery, queryTcp, udpRaw } from '../helpers/dns.js';
import { freePort, httpGet } from '../helpers/ops.js';
import { startServer, ZoneDir, type ServerProcess } from '../helpers/server.js';

const ZONE = 'version = 1.0\n[domain]\ndomain = "stop.test"\nactive = true\n\n[[records]]\ndomain = ""\naddress = "192.0.2.7"\n';

interface Sent {
  at: number;
  answered: boolean;
}

/** `loops` clients each sending one UDP query after another, until `until()` says stop. */
async function load(port: number, loops: number, until: () => boolean): Promise<Sent[]> {
  const sent: Sent[] = [];
  await Promise.all(Array.from({ length: loops }, async () => {
    while (!until()) {
      const s: Sent = { at: Date.now(), answered: false };
      sent.push(s);
      s.answered = (await udpRaw(port, makeQuery('stop.test', 'A'), 1000)) !== null;
    }
  }));
  return sent;
}

async function start(dir: ZoneDir, graceSeconds: number): Promise<{ server: ServerProcess; ops: number }> {
  const ops = await freePort();
  const server = await startServer(dir.path, {
    args: ['--metrics-port', String(ops), '--metrics-host', '127.0.0.1', '--shutdown-grace', String(graceSeconds), '--log-ignore'],
  });
  assert.equal((await httpGet(ops, '/readyz')).status, 200);
  return { server, ops };
}

async function waitForStatus(ops: number, path: string, status: number): Promise<number> {
  const started = Date.now();
  while ((await httpGet(ops, path)).status !== status) {
    if (Date.now() - started > 3000) assert.fail(`${path} did not turn ${status} within 3 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - started;
}

describe('graceful shutdown', () => {
  const dir = new ZoneDir();
  dir.write('stop.test.toml', ZONE);
  after(() => dir.cleanup());

  it('SIGTERM: readiness 503 at once, queries answered through the lame duck, then exit 0', async () => {
    const { server, ops } = await start(dir, 1.5);
    let stopLoad = false;
    const during = load(server.port, 4, () => stopLoad);
    await new Promise((r) => setTimeout(r, 100));
    const signalled = Date.now();
    server.child.kill('SIGTERM');

    assert.ok(await waitForStatus(ops, '/readyz', 503) < 500, 'readiness must drop well before the sockets close');
    assert.equal((await httpGet(ops, '/readyz')).body, 'not ready: shutting down\n');
    assert.equal((await httpGet(ops, '/healthz')).status, 200, 'still alive while draining');
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(server.exitCode, null, 'still running inside the lame-duck period');
    assert.deepEqual(lines((await queryTcp(server.port, 'stop.test', 'A')).answers), ['stop.test 3600 A 192.0.2.7'], 'TCP too');
    stopLoad = true;

    const sent = await during;
    const answeredAfterSignal = sent.filter((s) => s.at > signalled && s.answered).length;
    assert.ok(answeredAfterSignal > 20, `answered after SIGTERM: ${answeredAfterSignal}`);
    assert.deepEqual(sent.filter((s) => !s.answered), [], `all ${sent.length} queries answered`);

    assert.equal(await server.exited, 0);
    const elapsed = Date.now() - signalled;
    assert.ok(elapsed >= 1500 && elapsed < 4500, `exited ${elapsed} ms after SIGTERM (grace 1.5 s)`);
    const order = server.logs.map((l) => l.msg).filter((m) => /^(shutting down|closing sockets|stopped)/.test(m));
    assert.deepEqual(order, ['shutting down: not ready, still answering', 'closing sockets', 'stopped']);
  });

  it('under load through the close: no query sent before the sockets closed goes unanswered', async () => {
    const { server } = await start(dir, 0.5);
    let exited = false;
    void server.exited.then(() => (exited = true));
    const during = load(server.port, 8, () => exited);
    await new Promise((r) => setTimeout(r, 100));
    server.child.kill('SIGTERM');
    const sent = await during;
    assert.equal(server.exitCode, 0);
    const closing = Date.parse(String((await server.waitFor((l) => l.msg === 'closing sockets')).time));
    // The log line is written just before close() starts; a query sent in the last few ms may be
    // still in flight towards a socket that is closing, which no server can answer.
    const before = sent.filter((s) => s.at < closing - 20);
    assert.ok(before.length > 100, `queries sent before the close: ${before.length}`);
    assert.deepEqual(before.filter((s) => !s.answered).map((s) => closing - s.at), [], 'unanswered (ms before close)');
  });

  it('a second SIGINT ends the lame duck early (Ctrl-C twice), still with exit 0', async () => {
    const { server, ops } = await start(dir, 60);
    server.child.kill('SIGINT');
    await waitForStatus(ops, '/readyz', 503);
    const second = Date.now();
    server.child.kill('SIGINT');
    assert.equal(await server.exited, 0);
    assert.ok(Date.now() - second < 3000, 'did not wait out the 60 s grace');
  });

  it('SHUTDOWN_GRACE=0 closes at once', async () => {
    const ops = await freePort();
    const server = await startServer(dir.path, { args: ['--metrics-port', String(ops)], env: { SHUTDOWN_GRACE: '0' } });
    const signalled = Date.now();
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
    assert.ok(Date.now() - signalled < 1500);
  });
});
