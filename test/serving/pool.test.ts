import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { query } from '../helpers/dns.js';
import { freePort, httpGet, parseMetrics } from '../helpers/ops.js';
import { withServer } from '../helpers/server.js';

const zone = (address: string): string => `
[domain]
domain = "multi.test"

[[records]]
domain = "www"
address = "${address}"
`;

/** PIDs of a process's children (the cluster workers), from /proc. */
function children(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

/** The A addresses `count` queries for www.multi.test get, null for a query with no reply. */
async function addresses(port: number, count: number): Promise<(string | null)[]> {
  const out: (string | null)[] = [];
  for (let i = 0; i < count; i++) {
    const r = await query(port, 'www.multi.test', 'A').catch(() => null);
    out.push(r ? String((r.answers?.[0] as { data?: unknown } | undefined)?.data) : null);
  }
  return out;
}

/** Queries until `count` queries in a row all get `address`; fails after `ms`. */
async function until(port: number, address: string, count: number, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  let last: (string | null)[] = [];
  while (Date.now() < deadline) {
    last = await addresses(port, count);
    if (last.every((a) => a === address)) return;
  }
  assert.fail(`still ${JSON.stringify(last)} after ${ms} ms`);
}

describe('WORKERS=2: two processes answer on one port', () => {
  const fx = withServer({ 'multi.test.toml': zone('192.0.2.1') }, {
    env: { WORKERS: '2', ECLIPSO_LOG_IGNORE: '1' }, args: ['--shutdown-grace', '0'], readyMsg: 'workers ready',
  });

  it('runs a primary and two workers that all answer', async () => {
    assert.equal(children(fx.server.child.pid!).length, 2);
    assert.deepEqual(await addresses(fx.server.port, 40), Array(40).fill('192.0.2.1'));
  });

  it('logs each zone load once (from the primary), not once per worker', () => {
    assert.equal(fx.server.logs.filter((l) => l.msg === 'zone loaded').length, 1);
  });

  it('reloads a changed zone in every worker', async () => {
    fx.dir.write('multi.test.toml', zone('192.0.2.2'));
    await until(fx.server.port, '192.0.2.2', 60);
  });

  it('rejects a second file for a zone already served, as one process does, and keeps serving the first', async () => {
    const rejected = fx.server.next('zone rejected', 30_000);
    fx.dir.write('MULTI.test.toml', zone('192.0.2.77'));
    assert.equal((await rejected).file, `${fx.dir.path}/MULTI.test.toml`);
    await fx.server.waitFor((l) => /is already served from multi\.test\.toml/.test(l.msg), 30_000);
    assert.deepEqual(await addresses(fx.server.port, 20), Array(20).fill('192.0.2.2'));
    fx.dir.remove('MULTI.test.toml');
  });

  it('replaces a worker that dies; the new one serves the current zones', async () => {
    const [victim] = children(fx.server.child.pid!);
    const replaced = fx.server.next('DNS worker replaced', 30_000);
    process.kill(victim, 'SIGKILL');
    await replaced;
    const now = children(fx.server.child.pid!);
    assert.equal(now.length, 2);
    assert.ok(!now.includes(victim));
    // Every answer from either worker (the new one started from the primary's files) is current.
    assert.deepEqual(await addresses(fx.server.port, 60), Array(60).fill('192.0.2.2'));
  });

  it('keeps reloading in the replaced worker too', async () => {
    fx.dir.write('multi.test.toml', zone('192.0.2.3'));
    await until(fx.server.port, '192.0.2.3', 60);
  });

  it('stops every worker on SIGTERM and exits 0', async () => {
    const workers = children(fx.server.child.pid!);
    await fx.server.stop();
    assert.equal(fx.server.exitCode, 0);
    for (const pid of workers) assert.throws(() => process.kill(pid, 0), /ESRCH/);
  });
});

describe('one process and a pool accept the same files', () => {
  const files = {
    'one.test.toml': '[domain]\ndomain = "one.test"\n[[records]]\naddress = "192.0.2.1"\n',
    // The same zone again, named in other letter case: the first file (in name order) keeps it.
    'ONE.test.toml': '[domain]\ndomain = "ONE.test"\n[[records]]\naddress = "192.0.2.2"\n',
    'two.test.toml': '[domain]\ndomain = "two.test"\n[[records]]\naddress = "192.0.2.3"\n',
    // Valid but switched off: neither a load nor an error.
    'off.test.toml': '[domain]\ndomain = "off.test"\nactive = false\n[[records]]\naddress = "192.0.2.4"\n',
  };
  for (const workers of ['1', '2']) {
    describe(`WORKERS=${workers}`, () => {
      const fx = withServer(files, { env: { WORKERS: workers, ECLIPSO_LOG_IGNORE: '1' }, ops: true, args: ['--shutdown-grace', '0'] });

      it('counts zones, not files, in the "zones ready" line', async () => {
        const ready = await fx.server.waitFor((l) => l.msg === 'zones ready', 30_000);
        assert.equal(ready.zones, 2);
      });

      it('rejects the second file for one.test and counts it as a reload error', async () => {
        assert.equal(fx.server.logs.filter((l) => l.msg === 'zone rejected').length, 1);
        assert.equal(fx.server.logs.filter((l) => l.msg === 'zone loaded').length, 2);
        const metrics = parseMetrics((await httpGet(fx.ops, '/metrics')).body);
        assert.equal(metrics.get('eclipso_reload_errors_total{source="folder"}'), 1);
        assert.equal(metrics.get('eclipso_reload_total{source="folder"}'), 2);
        assert.equal(metrics.get('eclipso_zones_loaded'), 2);
      });

      it('counts a zone switched off (active = false) as a removal, not a load', async () => {
        const removed = fx.server.next('zone removed', 30_000);
        fx.dir.write('two.test.toml', files['two.test.toml'].replace('[domain]\n', '[domain]\nactive = false\n'));
        assert.equal((await removed).why, 'active = false');
        const metrics = parseMetrics((await httpGet(fx.ops, '/metrics')).body);
        assert.equal(metrics.get('eclipso_reload_total{source="folder"}'), 2);
        assert.equal(metrics.get('eclipso_reload_removed_total{source="folder"}'), 1);
        // The workers apply the removal when the primary's message reaches them.
        const deadline = Date.now() + 30_000;
        while ((await query(fx.server.port, 'two.test', 'A')).rcode !== 'REFUSED') {
          assert.ok(Date.now() < deadline, 'two.test still answered 30 s after it was switched off');
        }
      });
    });
  }
});

/** A TXT value longer than any RDATA can hold (65,535 octets): the compiler cannot encode it. */
const HUGE_TXT = '[domain]\ndomain = "huge.test"\n[[records]]\ntype = "TXT"\naddress = "' + 'x'.repeat(70_000) + '"\n';

describe('a file that cannot be served costs that file only', () => {
  for (const workers of ['1', '2']) {
    describe(`WORKERS=${workers}`, () => {
      const fx = withServer({ 'huge.test.toml': HUGE_TXT, 'multi.test.toml': zone('192.0.2.1') }, {
        env: { WORKERS: workers, ECLIPSO_LOG_IGNORE: '1' }, ops: true, args: ['--shutdown-grace', '0'],
      });

      it('starts, serves the other zones, and names the file it rejected', async () => {
        assert.deepEqual(await addresses(fx.server.port, 10), Array(10).fill('192.0.2.1'));
        const rejected = await fx.server.waitFor((l) => l.msg === 'zone rejected', 30_000);
        assert.equal(rejected.file, `${fx.dir.path}/huge.test.toml`);
      });

      it('rejects it again when it arrives live; no worker dies, the rest keeps answering', async () => {
        const before = fx.server.logs.filter((l) => l.msg === 'zone rejected').length;
        fx.dir.write('huge2.test.toml', HUGE_TXT.replace('huge.test', 'huge2.test'));
        fx.dir.write('multi.test.toml', zone('192.0.2.5'));
        await until(fx.server.port, '192.0.2.5', 20, 60_000);
        await fx.server.waitFor((l) => l.msg === 'zone rejected' && fx.server.logs.filter((x) => x.msg === 'zone rejected').length > before, 30_000);
        assert.equal(fx.server.logs.filter((l) => l.msg === 'DNS worker exited; starting a new one').length, 0);
        // A worker that failed tells its primary after it logged: wait for the count to reach 2.
        const deadline = Date.now() + 30_000;
        let errors: number | undefined;
        while ((errors = parseMetrics((await httpGet(fx.ops, '/metrics')).body).get('eclipso_reload_errors_total{source="folder"}')) !== 2) {
          assert.ok(Date.now() < deadline, `eclipso_reload_errors_total is ${errors}, not 2, after 30 s`);
          await new Promise((res) => setTimeout(res, 50));
        }
      });
    });
  }
});

describe('readiness follows the workers', async () => {
  // A fixed port: with PORT=0, replacements of workers that all died would bind a new one.
  const port = await freePort();
  const fx = withServer({ 'multi.test.toml': zone('192.0.2.1') }, {
    env: { WORKERS: '2', ECLIPSO_LOG_IGNORE: '1' }, ops: true, args: ['--shutdown-grace', '0', '--port', String(port)], readyMsg: 'workers ready',
  });

  it('is not ready while no worker is alive, and ready again once one answers', async () => {
    assert.equal((await httpGet(fx.ops, '/readyz')).status, 200);
    // Both workers killed: nothing answers until a replacement has started and listens.
    for (const pid of children(fx.server.child.pid!)) process.kill(pid, 'SIGKILL');
    const statuses: number[] = [];
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await httpGet(fx.ops, '/readyz');
      statuses.push(r.status);
      if (r.status === 503) assert.match(r.body, /no DNS worker is answering/);
      if (statuses.includes(503) && r.status === 200) break;
      assert.ok(Date.now() < deadline, `/readyz answered ${statuses.join(',')} and never turned 503 then 200 again`);
      await new Promise((res) => setTimeout(res, 20));
    }
    assert.deepEqual(await addresses(fx.server.port, 10), Array(10).fill('192.0.2.1'));
  });
});
