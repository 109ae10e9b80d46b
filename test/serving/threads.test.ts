import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import * as packet from 'dns-packet';
import { parseConfig } from '../../src/config.js';
import { Logger } from '../../src/log.js';
import { ThreadServing } from '../../src/serving/threads.js';
import { transferSettings } from '../../src/transfer/settings.js';
import { query } from '../helpers/dns.js';
import { httpGet, parseMetrics } from '../helpers/ops.js';
import { axfrFrom } from '../helpers/secondary.js';
import { NEEDS_DNS_THREADS, pollUntil, withServer, type LogLine } from '../helpers/server.js';

const zone = (address: string): string => `
[domain]
domain = "multi.test"

[[records]]
domain = "www"
address = "${address}"
`;

/**
 * The A addresses `count` queries for www.multi.test get, null for a query with no reply. Each
 * query is sent from a socket of its own (a source port of its own): SO_REUSEPORT hashes the
 * client's address and port, so 40 queries reach every DNS thread (the chance that 40 all reach
 * one of two is 2^-39).
 */
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

describe('WORKERS=2: two DNS threads answer on one port', { skip: NEEDS_DNS_THREADS }, () => {
  const fx = withServer({ 'multi.test.toml': zone('192.0.2.1') }, {
    env: { WORKERS: '2', ECLIPSO_LOG_IGNORE: '1' }, ops: true, args: ['--shutdown-grace', '0'], readyMsg: 'workers ready',
  });

  it('runs two DNS threads in one process, each listening on the port, that all answer', async () => {
    const ready = fx.server.logs.find((l) => l.msg === 'workers ready')!;
    assert.deepEqual([ready.workers, ready.sockets, ready.threads], [2, 'reusePort', true]);
    const listening = fx.server.logs.filter((l) => l.msg === 'listening');
    assert.deepEqual(listening.map((l) => l.port), [fx.server.port, fx.server.port]);
    assert.deepEqual(await addresses(fx.server.port, 40), Array(40).fill('192.0.2.1'));
    // Both threads serve the zone, and the metrics count it once.
    const metrics = parseMetrics((await httpGet(fx.ops, '/metrics')).body);
    assert.equal(metrics.get('eclipso_zones_loaded'), 1);
    assert.equal(metrics.get('eclipso_dns_requests_total{proto="udp",type="A"}'), 40);
  });

  it('compiles and logs each zone once (in the main thread), not once per DNS thread', () => {
    assert.equal(fx.server.logs.filter((l) => l.msg === 'zone loaded').length, 1);
  });

  it('answers a reloaded zone from every DNS thread', async () => {
    const loaded = fx.server.next('zone loaded', 30_000);
    fx.dir.write('multi.test.toml', zone('192.0.2.2'));
    await loaded;
    await until(fx.server.port, '192.0.2.2', 60);
    // Compiled once for both threads.
    assert.equal(fx.server.logs.filter((l) => l.msg === 'zone loaded').length, 2);
  });

  it('rejects a second file for a zone already served, as one thread does, and keeps serving the first', async () => {
    const rejected = fx.server.next('zone rejected', 30_000);
    fx.dir.write('MULTI.test.toml', zone('192.0.2.77'));
    assert.equal((await rejected).file, `${fx.dir.path}/MULTI.test.toml`);
    await fx.server.waitFor((l) => /is already served from multi\.test\.toml/.test(l.msg), 30_000);
    assert.deepEqual(await addresses(fx.server.port, 20), Array(20).fill('192.0.2.2'));
    fx.dir.remove('MULTI.test.toml');
  });

  it('closes the sockets of every DNS thread on SIGTERM and exits 0', async () => {
    await fx.server.stop();
    assert.equal(fx.server.exitCode, 0);
    assert.deepEqual(fx.server.logs.map((l) => l.msg).filter((m) => /^(closing sockets|stopped)$/.test(m)), ['closing sockets', 'stopped']);
  });
});

describe('WORKERS=2 under a Node.js without SO_REUSEPORT sockets (before 22.12)', { skip: NEEDS_DNS_THREADS === false && 'this Node.js has SO_REUSEPORT: the fallback is for older ones (run the suite under Node.js 20 too)' }, () => {
  const fx = withServer({ 'multi.test.toml': zone('192.0.2.1') }, { env: { WORKERS: '2', ECLIPSO_LOG_IGNORE: '1' }, args: ['--shutdown-grace', '0'] });

  it('says what happened and what to do, and serves with one thread', async () => {
    const warning = fx.server.logs.find((l) => l.level === 'warn' && l.msg === 'WORKERS=2 needs Node.js 22.12 or later; serving with one thread');
    assert.ok(warning, 'the warning is logged');
    assert.equal(warning.todo, "run the image's Node.js 24 or set WORKERS=1");
    assert.equal(fx.server.logs.filter((l) => l.msg === 'listening').length, 1);
    assert.deepEqual(await addresses(fx.server.port, 10), Array(10).fill('192.0.2.1'));
  });
});

describe('one thread and DNS threads accept the same files', () => {
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
        // The DNS threads apply the removal when the main thread's message reaches them.
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

      it('rejects it again when it arrives live; no DNS thread dies, the rest keeps answering', async () => {
        const before = fx.server.logs.filter((l) => l.msg === 'zone rejected').length;
        fx.dir.write('huge2.test.toml', HUGE_TXT.replace('huge.test', 'huge2.test'));
        fx.dir.write('multi.test.toml', zone('192.0.2.5'));
        await until(fx.server.port, '192.0.2.5', 20, 60_000);
        await fx.server.waitFor((l) => l.msg === 'zone rejected' && fx.server.logs.filter((x) => x.msg === 'zone rejected').length > before, 30_000);
        assert.equal(fx.server.logs.filter((l) => l.msg === 'DNS worker exited; starting a new one').length, 0);
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

/** A secondary's reply to a NOTIFY (RFC 1996 §4.7): its header and question, QR set. */
function notifyAck(q: packet.Packet): Buffer {
  const b = packet.encode({ type: 'response', id: q.id, flags: 0, questions: q.questions });
  b[2] = 0x80 | (4 << 3) | 0x04;
  return b;
}

describe('WORKERS=2 with a secondary: NOTIFY once every DNS thread serves the change', { skip: NEEDS_DNS_THREADS }, async () => {
  // A secondary that, told of serial `changedSerial`, asks at once from many source ports (so both
  // threads), and by AXFR over several connections, before it acknowledges.
  const secondary = createSocket('udp4');
  await new Promise<void>((r) => secondary.bind(0, '127.0.0.1', r));
  after(() => secondary.close());
  const fx = withServer({ 'multi.test.toml': zone('192.0.2.1') }, {
    env: { WORKERS: '2', ECLIPSO_LOG_IGNORE: '1', XFR_ALLOW: '127.0.0.1', XFR_NOTIFY: `127.0.0.1:${secondary.address().port}` },
    args: ['--shutdown-grace', '0'], readyMsg: 'workers ready',
  });

  it('answers the new version from every thread, and transfers it, when the secondary is told', async () => {
    const told = new Promise<{ answers: (string | null)[]; transfers: string[][] }>((resolve, reject) => {
      secondary.on('message', (msg, rinfo) => {
        const q = packet.decode(msg);
        const soa = q.answers?.[0] as { data?: { serial?: number } } | undefined;
        if (soa?.data?.serial !== 2026113002) return void secondary.send(notifyAck(q), rinfo.port, rinfo.address);
        void (async () => {
          const answers = await addresses(fx.server.port, 40);
          const transfers = await Promise.all(Array.from({ length: 6 }, () => axfrFrom(fx.server.port, 'multi.test')));
          secondary.send(notifyAck(q), rinfo.port, rinfo.address);
          resolve({ answers, transfers });
        })().catch(reject);
      });
    });
    fx.dir.write('multi.test.toml', zone('192.0.2.9').replace('[domain]\n', '[domain]\nserial = 2026113002\n'));
    const { answers, transfers } = await told;
    assert.deepEqual(answers, Array(40).fill('192.0.2.9'), 'every DNS thread answers the new version when the NOTIFY arrives');
    for (const records of transfers) assert.ok(records.some((r) => r.includes('192.0.2.9')), `a transfer has the new record: ${records.join(' | ')}`);
    await fx.server.waitFor((l) => l.msg === 'notify acknowledged' && l.serial === 2026113002, 30_000, 'the NOTIFY of serial 2026113002 acknowledged');
  });
});

describe('a DNS thread that dies (run in this process: one thread of a process cannot be killed from outside)', { skip: NEEDS_DNS_THREADS }, () => {
  it('is replaced and serves the current zones; nothing answers while no thread is alive', async () => {
    const logged: LogLine[] = [];
    let answeringWhenAllDead: boolean | undefined;
    const cli = parseConfig(['--workers', '2', '--log-ignore', '--zone-dir', '.'], {});
    assert.equal(cli.action, 'run');
    const config = (cli as Extract<typeof cli, { action: 'run' }>).config;
    const exited = (): number => logged.filter((l) => l.msg === 'DNS worker exited; starting a new one').length;
    const serving: ThreadServing = new ThreadServing(config, new Logger('json', false, (s) => {
      for (const line of s.split('\n').filter(Boolean)) logged.push(JSON.parse(line) as LogLine);
      if (exited() === 2 && answeringWhenAllDead === undefined) answeringWhenAllDead = serving.answering;
    }), transferSettings(config), null);
    try {
      await serving.upsert('multi.test.toml', 'multi.test.toml', zone('192.0.2.1'));
      const port = await serving.listen('127.0.0.1', 0);
      // Changed after the threads started: their replacements must be given this version.
      await serving.upsert('multi.test.toml', 'multi.test.toml', zone('192.0.2.2'));
      await until(port, '192.0.2.2', 20);
      // What a crash looks like to the main thread: the thread exits (code 1).
      const threads = (serving as unknown as { slots: { worker: Worker | null }[] }).slots.map((s) => s.worker!);
      await Promise.all(threads.map((w) => w.terminate()));
      await pollUntil(() => exited() === 2, 'both DNS threads logged as exited');
      assert.equal(answeringWhenAllDead, false, '/readyz turns 503 while no DNS thread is alive');
      await pollUntil(() => logged.filter((l) => l.msg === 'DNS worker replaced').length === 2, 'both DNS threads replaced');
      assert.equal(serving.answering, true);
      assert.deepEqual(await addresses(port, 40), Array(40).fill('192.0.2.2'));
    } finally {
      await serving.close();
    }
  });
});
