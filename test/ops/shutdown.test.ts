import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { lines, makeQuery, queryTcp, udpRaw } from '../helpers/dns.js';
import { freePort, httpGet } from '../helpers/ops.js';
import { pollUntil, startServer, WAIT_MS, ZoneDir, type ServerProcess } from '../helpers/server.js';

const ZONE = 'version = 1.0\n[domain]\ndomain = "stop.test"\nactive = true\n\n[[records]]\ndomain = ""\naddress = "192.0.2.7"\n';

interface Sent {
  at: number;
  answered: boolean;
}

/**
 * `loops` clients each sending one UDP query after another to the server, until `until()` says
 * stop. A query still unanswered when the server exits counts as unanswered at once.
 */
function load(server: ServerProcess, loops: number, until: () => boolean): { sent: Sent[]; done: Promise<void> } {
  const sent: Sent[] = [];
  const gone = new AbortController();
  void server.exited.then(() => gone.abort());
  const done = Promise.all(Array.from({ length: loops }, async () => {
    while (!until()) {
      const s: Sent = { at: Date.now(), answered: false };
      sent.push(s);
      s.answered = (await udpRaw(server.port, makeQuery('stop.test', 'A'), undefined, gone.signal)) !== null;
    }
  })).then(() => undefined);
  return { sent, done };
}

const answered = (sent: Sent[], after = 0): number => sent.filter((s) => s.answered && s.at > after).length;

async function start(dir: ZoneDir, graceSeconds: number): Promise<{ server: ServerProcess; ops: number }> {
  const ops = await freePort();
  const server = await startServer(dir.path, {
    args: ['--metrics-port', String(ops), '--metrics-host', '127.0.0.1', '--shutdown-grace', String(graceSeconds), '--log-ignore'],
  });
  running.push(server);
  assert.equal((await httpGet(ops, '/readyz')).status, 200);
  return { server, ops };
}

/** Servers started here; one still running after its test (which failed) is killed. */
const running: ServerProcess[] = [];

const readyzIs = (ops: number, status: number) => async (): Promise<boolean> => (await httpGet(ops, '/readyz')).status === status;

/** Longer than any wait in these tests: where a test needs the lame duck over, it sends a second signal. */
const LONG_GRACE_SECONDS = 600;

describe('graceful shutdown', () => {
  const dir = new ZoneDir();
  dir.write('stop.test.toml', ZONE);
  after(async () => {
    for (const s of running) if (s.exitCode === null) s.child.kill('SIGKILL');
    await Promise.all(running.map((s) => s.exited));
    dir.cleanup();
  });

  it('SIGTERM: readiness 503 at once, queries answered over UDP and TCP through the lame duck', async () => {
    const { server, ops } = await start(dir, LONG_GRACE_SECONDS);
    let stopLoad = false;
    const { sent, done } = load(server, 4, () => stopLoad);
    await pollUntil(() => answered(sent) >= 20, '20 answers before the signal');
    const signalled = Date.now();
    server.child.kill('SIGTERM');

    await pollUntil(readyzIs(ops, 503), '/readyz to turn 503 after SIGTERM');
    assert.equal((await httpGet(ops, '/readyz')).body, 'not ready: shutting down\n');
    assert.ok(!server.logs.some((l) => l.msg === 'closing sockets'), 'readiness drops before the sockets close');
    assert.equal((await httpGet(ops, '/healthz')).status, 200, 'still alive while draining');
    assert.deepEqual(lines((await queryTcp(server.port, 'stop.test', 'A')).answers), ['stop.test 3600 A 192.0.2.7'], 'TCP too');
    await pollUntil(() => answered(sent, signalled) >= 50, '50 UDP answers after SIGTERM');
    assert.equal(server.exitCode, null, 'still running inside the lame-duck period');
    stopLoad = true;
    await done;
    assert.deepEqual(sent.filter((s) => !s.answered), [], `all ${sent.length} queries answered`);

    server.child.kill('SIGTERM');
    assert.equal(await server.waitForExit(), 0);
    const order = server.logs.map((l) => l.msg).filter((m) => /^(shutting down|second stop signal|closing sockets|stopped)/.test(m));
    assert.deepEqual(order, ['shutting down: not ready, still answering', 'second stop signal: ending the lame-duck period now', 'closing sockets', 'stopped']);
  });

  it('the lame duck ends by itself after SHUTDOWN_GRACE, then exit 0', async () => {
    const { server } = await start(dir, 1);
    const signalled = Date.now();
    server.child.kill('SIGTERM');
    assert.equal(await server.waitForExit(), 0);
    // A lower bound only: the grace is a promise to load balancers; how much longer the exit takes is the machine's business.
    assert.ok(Date.now() - signalled >= 1000, `exited ${Date.now() - signalled} ms after SIGTERM, inside the 1 s grace`);
    const order = server.logs.map((l) => l.msg).filter((m) => /^(shutting down|closing sockets|stopped)/.test(m));
    assert.deepEqual(order, ['shutting down: not ready, still answering', 'closing sockets', 'stopped']);
  });

  it('under load through the close: no query sent well before the sockets closed goes unanswered', async () => {
    const { server } = await start(dir, 0.5);
    let exited = false;
    void server.exited.then(() => (exited = true));
    const { sent, done } = load(server, 8, () => exited);
    await pollUntil(() => answered(sent) >= 100, '100 answers before the signal');
    server.child.kill('SIGTERM');
    await done;
    assert.equal(await server.waitForExit(), 0);
    const closing = Date.parse(String((await server.waitFor((l) => l.msg === 'closing sockets')).time));
    // The load never pauses, so the sockets close with queries on the way, which no server can
    // answer. A query sent a second before is answered, however busy the machine: the margin is
    // far beyond the normal delivery time (well under a millisecond).
    const before = sent.filter((s) => s.at < closing - 1000);
    assert.ok(before.length >= 100, `queries sent before the close: ${before.length}`);
    assert.deepEqual(before.filter((s) => !s.answered).map((s) => closing - s.at), [], 'unanswered (ms before close)');
  });

  it('Ctrl-C: the first SIGINT says a second one skips the lame duck; the second does, still with exit 0', async () => {
    const { server, ops } = await start(dir, LONG_GRACE_SECONDS);
    server.child.kill('SIGINT');
    await pollUntil(readyzIs(ops, 503), '/readyz to turn 503 after SIGINT');
    const first = await server.waitFor((l) => l.msg.startsWith('shutting down'));
    assert.equal(first.graceSeconds, LONG_GRACE_SECONDS);
    assert.match(String(first.todo), /^to skip the 600 s lame duck, send SIGINT or SIGTERM again \(Ctrl-C a second time\)/);
    server.child.kill('SIGINT');
    assert.equal(await server.waitForExit(WAIT_MS, 'the exit after the second SIGINT (the grace is 600 s)'), 0);
    assert.ok(server.logs.some((l) => l.msg === 'second stop signal: ending the lame-duck period now'));
  });

  it('SHUTDOWN_GRACE=0 closes at once, and the log line offers no second signal', async () => {
    const ops = await freePort();
    const server = await startServer(dir.path, { args: ['--metrics-port', String(ops)], env: { SHUTDOWN_GRACE: '0' } });
    running.push(server);
    server.child.kill('SIGTERM');
    assert.equal(await server.waitForExit(), 0);
    const first = await server.waitFor((l) => l.msg.startsWith('shutting down'));
    assert.equal(first.graceSeconds, 0);
    assert.equal(first.todo, undefined, 'nothing to skip');
  });
});
