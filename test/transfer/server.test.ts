/**
 * Zone transfers at the real server (dist/main.js): off by default (today's answers), refused to
 * addresses not in XFR_ALLOW with a log line saying why, IXFR over UDP answered with the SOA
 * alone, a bad setting stops the start, and a large zone transferred to several clients at once
 * while queries to another zone are answered.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import * as packet from 'dns-packet';
import { makeQuery, query, queryTcp, udpRaw, type Decoded } from '../helpers/dns.js';
import { httpGet, parseMetrics } from '../helpers/ops.js';
import { axfrFrom } from '../helpers/secondary.js';
import { spawnServer, WAIT_MS, withServer, ZoneDir } from '../helpers/server.js';

const EXAMPLE = readFileSync(new URL('../../../zones/example.com.toml', import.meta.url), 'utf8');
const HELLO = readFileSync(new URL('../../../zones/hello_a.net.toml', import.meta.url), 'utf8');
const SERIAL = 2026112701;

/** An IXFR query from a client that has `serial` (RFC 1995 §3: its SOA in the authority section). */
function ixfrQuery(zone: string, serial: number): Buffer {
  return packet.encode({
    type: 'query', id: 4242, flags: 0, questions: [{ name: zone, type: 'IXFR', class: 'IN' }],
    authorities: [{ name: zone, type: 'SOA', ttl: 0, class: 'IN', data: { mname: 'a.', rname: 'b.', serial, refresh: 0, retry: 0, expire: 0, minimum: 0 } }],
  });
}

/** A zone of `n` A records below `apex`, besides what the server adds (SOA, NS). */
function bigZone(apex: string, n: number): string {
  const out = [`[domain]\ndomain = "${apex}"\nserial = 7\n`];
  for (let i = 0; i < n; i++) out.push(`[[records]]\ndomain = "host-${i}."\naddress = "10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}"\n`);
  return out.join('\n');
}

describe('zone transfers off (the default)', () => {
  const f = withServer({ 'example.com.toml': EXAMPLE });

  it('answers AXFR with REFUSED over TCP and NOTIMP over UDP, IXFR over UDP with REFUSED (as NSD: RFC 1995 §2 allows it there)', async () => {
    assert.equal((await queryTcp(f.server.port, 'example.com', 'AXFR')).rcode, 'REFUSED');
    assert.equal((await query(f.server.port, 'example.com', 'AXFR')).rcode, 'NOTIMP');
    const udpIxfr = packet.decode((await udpRaw(f.server.port, ixfrQuery('example.com', SERIAL - 1)))!) as Decoded;
    assert.equal(udpIxfr.rcode, 'REFUSED');
  });
});

describe('zone transfers to addresses in XFR_ALLOW only', () => {
  const f = withServer({ 'example.com.toml': EXAMPLE }, { env: { XFR_ALLOW: '192.0.2.0/24' } });

  it('refuses a client not in XFR_ALLOW, and logs why', async () => {
    await assert.rejects(axfrFrom(f.server.port, 'example.com'), /REFUSED/);
    const line = await f.server.waitFor((l) => l.msg === 'zone transfer refused');
    assert.equal(line.client, '127.0.0.1');
    assert.equal(line.zone, 'example.com.');
    assert.equal(line.why, '127.0.0.1 is not in XFR_ALLOW');
  });

  it('still answers ordinary queries', async () => {
    assert.equal((await query(f.server.port, 'example.com', 'SOA')).rcode, 'NOERROR');
  });
});

describe('IXFR over UDP (RFC 1995 §2)', () => {
  const f = withServer({ 'example.com.toml': EXAMPLE }, { env: { XFR_ALLOW: '127.0.0.1' } });

  it('gets the current SOA alone, from a client behind and from one up to date', async () => {
    for (const serial of [SERIAL - 1, SERIAL]) {
      const reply = packet.decode((await udpRaw(f.server.port, ixfrQuery('example.com', serial)))!) as Decoded;
      assert.equal(reply.rcode, 'NOERROR');
      assert.equal(reply.id, 4242);
      assert.deepEqual(reply.answers?.map((a) => [a.type, (a as packet.SoaAnswer).data.serial]), [['SOA', SERIAL]]);
    }
  });

  it('answers a zone not served here with NOTAUTH', async () => {
    const reply = packet.decode((await udpRaw(f.server.port, ixfrQuery('example.org', 1)))!) as Decoded;
    assert.equal(reply.rcode, 'NOTAUTH');
  });

  it('gets the differences when they fit one datagram, else the current SOA alone', async () => {
    const change = async (serial: number, added: number): Promise<void> => {
      const loaded = f.server.waitFor((l) => l.msg === 'zone loaded' && l.serial === serial, WAIT_MS, `example.com loaded with serial ${serial}`);
      const records = Array.from({ length: added }, (_, i) => `\n[[records]]\ndomain = "added-${serial}-${i}"\naddress = "192.0.2.${i % 250}"\n`).join('');
      f.dir.write('example.com.toml', EXAMPLE.replace(/^serial = \d+$/m, `serial = ${serial}`) + records);
      await loaded;
    };
    const answer = async (serial: number): Promise<[string, number | string][]> => {
      const reply = packet.decode((await udpRaw(f.server.port, ixfrQuery('example.com', serial)))!) as Decoded;
      return reply.answers!.map((a) => [a.type, a.type === 'SOA' ? (a as packet.SoaAnswer).data.serial! : a.name]);
    };
    await change(SERIAL + 1, 1);
    // RFC 1995 §4: the new SOA, the old SOA and its deletions (none), the new SOA and its additions, the new SOA.
    assert.deepEqual(await answer(SERIAL), [['SOA', SERIAL + 1], ['SOA', SERIAL], ['SOA', SERIAL + 1], ['A', `added-${SERIAL + 1}-0.example.com`], ['SOA', SERIAL + 1]]);
    await change(SERIAL + 2, 100);
    assert.deepEqual(await answer(SERIAL), [['SOA', SERIAL + 2]], 'a hundred records do not fit 512 octets: the client asks again over TCP');
  });
});

describe('transfer settings', () => {
  it('a bad XFR_ALLOW stops the start with exit code 2, naming the setting', async () => {
    const dir = new ZoneDir();
    try {
      const s = spawnServer(dir.path, { env: { XFR_ALLOW: '127.0.0.1/99' } });
      assert.equal(await s.waitForExit(), 2);
      assert.match(s.stderr, /XFR_ALLOW \(--xfr-allow\)/);
    } finally {
      dir.cleanup();
    }
  });
});

describe('a large zone transferred to several clients at once', () => {
  const RECORDS = 50_000;
  const f = withServer({ 'big.example.toml': bigZone('big.example', RECORDS), 'hello_a.net.toml': HELLO }, { env: { XFR_ALLOW: '127.0.0.1' }, ops: true });

  it('sends every record to each, while queries to another zone are answered', async () => {
    let transfers = 0;
    const all = Promise.all([1, 2, 3].map(() => axfrFrom(f.server.port, 'big.example', 120_000).finally(() => transfers++)));
    let answered = 0;
    while (transfers < 3) {
      const reply = await udpRaw(f.server.port, makeQuery('www.hello_a.net', 'A'));
      assert.ok(reply, 'a query to hello_a.net was not answered while the transfers ran');
      assert.equal((packet.decode(reply) as Decoded).rcode, 'NOERROR');
      answered++;
    }
    const results = await all;
    for (const records of results) {
      // The records and the SOA; the closing SOA left out.
      assert.equal(records.length, RECORDS + 1);
      assert.equal(new Set(records).size, RECORDS + 1, 'no record twice');
    }
    assert.ok(answered > 0);
    const logged = await f.server.waitFor((l) => l.msg === 'zone transfer' && l.zone === 'big.example.');
    assert.equal(logged.records, RECORDS + 2, 'the log line counts the closing SOA too');
    const metrics = parseMetrics((await httpGet(f.ops, '/metrics')).body);
    assert.equal(metrics.get('eclipso_xfr_requests_total{result="axfr"}'), 3);
  });

  it('ends a transfer whose client leaves midway with a log line, and goes on answering', async () => {
    const from = f.server.logs.length;
    const sock = connect(f.server.port, '127.0.0.1');
    await once(sock, 'connect');
    const q = makeQuery('big.example', 'AXFR');
    const framed = Buffer.alloc(2 + q.length);
    framed.writeUInt16BE(q.length, 0);
    q.copy(framed, 2);
    sock.write(framed);
    // Gone once the first messages arrive: the connection is reset.
    await once(sock, 'data');
    sock.resetAndDestroy();
    // Failed, unless the kernel's buffers had taken the whole zone before the reset came.
    const ended = await f.server.waitFor((l) => f.server.logs.indexOf(l) >= from && (l.msg === 'zone transfer failed' || l.msg === 'zone transfer'));
    if (ended.msg === 'zone transfer failed') assert.equal(ended.error, 'the connection closed before the last message');
    assert.equal((await query(f.server.port, 'www.hello_a.net', 'A')).rcode, 'NOERROR');
    assert.equal((await axfrFrom(f.server.port, 'big.example', 120_000)).length, RECORDS + 1, 'the next transfer is whole');
  });
});
