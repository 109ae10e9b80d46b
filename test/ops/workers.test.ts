import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeQuery, queryTcp, udpRaw } from '../helpers/dns.js';
import { freePort, httpGet, parseMetrics } from '../helpers/ops.js';
import { NEEDS_DNS_THREADS, pollUntil, startServer, ZoneDir, type ServerProcess } from '../helpers/server.js';

const ZONE = 'version = 1.0\n[domain]\ndomain = "multi.test"\nactive = true\n\n[[records]]\ndomain = ""\naddress = "192.0.2.9"\n';

describe('ops with several DNS threads (WORKERS=3)', { skip: NEEDS_DNS_THREADS }, () => {
  const dir = new ZoneDir();
  let server: ServerProcess;
  let ops: number;

  before(async () => {
    dir.write('multi.test.toml', ZONE);
    ops = await freePort();
    server = await startServer(dir.path, {
      // A lame duck longer than any wait in these tests: the SIGTERM test ends it with a second signal.
      args: ['--metrics-port', String(ops), '--metrics-host', '127.0.0.1', '--shutdown-grace', '600', '--log-ignore'],
      env: { WORKERS: '3' },
    });
    await server.waitFor((l) => l.msg === 'workers ready');
  });
  after(async () => {
    if (server.exitCode === null) server.child.kill('SIGKILL'); // only after a failed test
    await server.exited;
    dir.cleanup();
  });

  it('/metrics sums every DNS thread; zones are counted once', async () => {
    // Many client sockets (source ports), so the kernel spreads them over the threads; in
    // batches, as a burst of 300 at once can overflow a socket's receive buffer.
    for (let batch = 0; batch < 6; batch++) {
      const replies = await Promise.all(Array.from({ length: 50 }, () => udpRaw(server.port, makeQuery('multi.test', 'A'))));
      assert.equal(replies.filter((r) => r === null).length, 0);
    }
    await queryTcp(server.port, 'multi.test', 'A');
    const m = parseMetrics((await httpGet(ops, '/metrics')).body);
    assert.equal(m.get('eclipso_dns_requests_total{proto="udp",type="A"}'), 300);
    assert.equal(m.get('eclipso_dns_requests_total{proto="tcp",type="A"}'), 1);
    assert.equal(m.get('eclipso_zones_loaded'), 1);
    assert.equal(m.get('eclipso_records_loaded'), 2);
    assert.equal((await httpGet(ops, '/readyz')).status, 200);
  });

  it('SIGTERM drains, then every DNS thread closes its sockets, exit 0, nothing lost', async () => {
    let stop = false;
    let answered = 0;
    let lost = 0;
    const load = Promise.all(Array.from({ length: 6 }, async () => {
      while (!stop) {
        if ((await udpRaw(server.port, makeQuery('multi.test', 'A'))) === null) lost++;
        else answered++;
      }
    }));
    await pollUntil(() => answered >= 20, '20 answers before the signal');
    server.child.kill('SIGTERM');
    await pollUntil(async () => (await httpGet(ops, '/readyz')).status === 503, '/readyz to turn 503 after SIGTERM');
    assert.ok(!server.logs.some((l) => l.msg === 'closing sockets'), 'not ready before the sockets close');
    const atDrain = answered;
    await pollUntil(() => answered >= atDrain + 100, '100 answers during the lame duck');
    stop = true;
    await load;
    assert.equal(lost, 0, `${lost} of ${answered + lost} queries unanswered during the lame duck`);
    server.child.kill('SIGTERM'); // the second signal ends the lame duck
    assert.equal(await server.waitForExit(), 0);
    assert.deepEqual(server.logs.map((l) => l.msg).filter((m) => /^(closing sockets|stopped)$/.test(m)), ['closing sockets', 'stopped']);
    const ready = server.logs.filter((l) => l.msg === 'listening').length;
    assert.equal(ready, 3, 'three DNS threads listened');
  });
});
