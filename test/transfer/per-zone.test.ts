/**
 * A zone file's own `allow_transfer` and `notify` at the real server (dist/main.js): the zone's list
 * replaces XFR_ALLOW / XFR_NOTIFY for that zone only; a zone with its own list is transferable
 * with XFR_ALLOW empty (from the start, or added later); `allow_transfer = []` turns a zone's
 * transfers off; NOTIFY goes to the zone's own secondaries, and /metrics counts what became of
 * it, from one process and from a pool's primary.
 */
import assert from 'node:assert/strict';
import { createSocket, type RemoteInfo } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import * as packet from 'dns-packet';
import { httpGet, parseMetrics } from '../helpers/ops.js';
import { axfrFrom } from '../helpers/secondary.js';
import { DNS_THREADS, eventually, pollUntil, withServer } from '../helpers/server.js';

type Decoded = packet.Packet & { opcode?: string };

/** A small zone; `lines` go into its [domain] table. */
function zoneFile(apex: string, lines = ''): string {
  return `[domain]\ndomain = "${apex}"\nserial = 7\n${lines}\n\n[[records]]\ndomain = "www"\naddress = "192.0.2.1"\n`;
}

/** The records an AXFR of `zoneFile(apex)` carries, the closing SOA left out: SOA, www A. */
const ZONE_RECORDS = 2;

/**
 * A UDP socket on 127.0.0.1 standing in for a secondary: it records the NOTIFYs it receives and
 * answers each with `rcode` (RFC 1996 §4.7: header and question, QR set), or not at all (null).
 */
async function fakeSecondary(rcode: number | null): Promise<{ port: number; zones: string[]; close: () => void }> {
  const socket = createSocket('udp4');
  const zones: string[] = [];
  socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    const q = packet.decode(msg) as Decoded;
    if (q.opcode !== 'NOTIFY') return;
    zones.push(q.questions![0].name);
    if (rcode === null) return;
    const reply = packet.encode({ type: 'response', id: q.id, flags: 0, questions: q.questions });
    reply[2] = 0x80 | (4 << 3) | 0x04;
    reply[3] = rcode;
    socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { port: socket.address().port, zones, close: () => socket.close() };
}

describe('allow_transfer with XFR_ALLOW empty', () => {
  const f = withServer({
    'a.test.toml': zoneFile('a.test', 'allow_transfer = ["127.0.0.1"]'),
    'b.test.toml': zoneFile('b.test'),
    'elsewhere.test.toml': zoneFile('elsewhere.test', 'allow_transfer = ["192.0.2.0/24"]'),
  });

  it('transfers the zone whose file allows this address', async () => {
    assert.equal((await axfrFrom(f.server.port, 'a.test')).length, ZONE_RECORDS);
  });

  it('refuses a zone without its own list (transfers stay off for it), and one that allows others only', async () => {
    const cases: [string, string][] = [
      ['b.test', 'zone transfers are off; set XFR_ALLOW or TSIG_KEY, or allow_transfer in the zone file, to allow them'],
      ['elsewhere.test', "127.0.0.1 is not in the zone file's allow_transfer"],
    ];
    for (const [zone, why] of cases) {
      const from = f.server.logs.length;
      await assert.rejects(axfrFrom(f.server.port, zone), /REFUSED/, zone);
      const line = await f.server.waitFor((l) => l.msg === 'zone transfer refused' && f.server.logs.indexOf(l) >= from, undefined, `the refusal of ${zone}`);
      assert.equal(line.why, why, zone);
      assert.equal(line.zone, `${zone}.`, 'the refusal names the zone asked for');
    }
  });
});

for (const workers of [1, 2]) {
  describe(`a server started with no zone to transfer (WORKERS=${workers})`, () => {
    const f = withServer({ 'b.test.toml': zoneFile('b.test') }, { env: { WORKERS: String(workers) }, ...(workers > 1 && DNS_THREADS ? { readyMsg: 'workers ready' } : {}) });

    it('transfers a zone added later with its own allow_transfer, and still refuses the others', async () => {
      await assert.rejects(axfrFrom(f.server.port, 'b.test'), /REFUSED/);
      const loaded = f.server.next('zone loaded');
      f.dir.write('later.test.toml', zoneFile('later.test', 'allow_transfer = ["127.0.0.0/8"]'));
      assert.equal((await loaded).zone, 'later.test.');
      // In a pool, each worker takes the file after the primary logged it: retried until every one serves it.
      await eventually(async () => {
        for (let i = 0; i < 2 * workers; i++) assert.equal((await axfrFrom(f.server.port, 'later.test')).length, ZONE_RECORDS);
      });
      await assert.rejects(axfrFrom(f.server.port, 'b.test'), /REFUSED/);
    });
  });
}

describe('allow_transfer with XFR_ALLOW set', () => {
  const f = withServer({
    'c.test.toml': zoneFile('c.test', 'allow_transfer = []'),
    'd.test.toml': zoneFile('d.test'),
  }, { env: { XFR_ALLOW: '127.0.0.1' } });

  it('refuses the zone whose file says allow_transfer = [], and logs why', async () => {
    await assert.rejects(axfrFrom(f.server.port, 'c.test'), /REFUSED/);
    const line = await f.server.waitFor((l) => l.msg === 'zone transfer refused');
    assert.equal(line.why, 'the zone file says allow_transfer = []: transfers of this zone are off');
  });

  it('still transfers the other zones by XFR_ALLOW', async () => {
    assert.equal((await axfrFrom(f.server.port, 'd.test')).length, ZONE_RECORDS);
  });
});

for (const workers of [1, 2]) {
  describe(`a zone's own notify list, and the NOTIFY metrics (WORKERS=${workers})`, () => {
    let acking: Awaited<ReturnType<typeof fakeSecondary>>;
    let refusing: Awaited<ReturnType<typeof fakeSecondary>>;
    const zones: Record<string, string> = {};
    before(async () => {
      acking = await fakeSecondary(0);
      refusing = await fakeSecondary(5);
      zones['n1.test.toml'] = zoneFile('n1.test', `notify = ["127.0.0.1:${acking.port}"]`);
      zones['n2.test.toml'] = zoneFile('n2.test');
      zones['n3.test.toml'] = zoneFile('n3.test', `notify = ["127.0.0.1:${refusing.port}"]`);
    });
    after(() => {
      acking.close();
      refusing.close();
    });
    const f = withServer(zones, { ops: true, env: { XFR_ALLOW: '127.0.0.1', WORKERS: String(workers) }, ...(workers > 1 && DNS_THREADS ? { readyMsg: 'workers ready' } : {}) });

    it('sends each zone\'s NOTIFY to its own secondaries only, and counts sent, acknowledged and failed', async () => {
      const metrics = async (): Promise<Map<string, number>> => parseMetrics((await httpGet(f.ops, '/metrics')).body);
      await pollUntil(async () => {
        const m = await metrics();
        return m.get('eclipso_notify_acknowledged_total') === 1 && m.get('eclipso_notify_failed_total') === 1;
      }, 'one NOTIFY acknowledged and one failed in /metrics');
      assert.equal((await metrics()).get('eclipso_notify_sent_total'), 2);
      assert.deepEqual(acking.zones, ['n1.test']);
      assert.deepEqual(refusing.zones, ['n3.test']);
      const failed = await f.server.waitFor((l) => l.msg === 'notify not acknowledged');
      assert.equal(failed.zone, 'n3.test.');
      assert.equal(failed.why, 'the secondary answered REFUSED for n3.test.');
    });
  });
}
