import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as packet from 'dns-packet';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { makeQuery, query, tcpRaw, udpRaw, type Decoded } from '../helpers/dns.js';
import { withServer } from '../helpers/server.js';

/** A zone whose TXT answer is ~1,700 octets: more than 512 and more than 1232. */
const ZONE = `
[domain]
domain = "example.com"
[[records]]
address = "192.0.2.1"
[[records]]
domain = "big"
type = "TXT"
address = [${Array.from({ length: 8 }, (_, i) => `"${String(i).repeat(200)}"`).join(', ')}]
[[records]]
domain = "mid"
type = "TXT"
address = [${Array.from({ length: 3 }, (_, i) => `"${String(i).repeat(200)}"`).join(', ')}]
[[records]]
type = "MX"
address = "mail.example.com"
${Array.from({ length: 30 }, (_, i) => `[[records]]\ndomain = "mail"\ntype = "AAAA"\naddress = "2001:db8::${i + 1}"`).join('\n')}
`;

function header(id: number, flags: number, qd: number, an = 0, ns = 0, ar = 0): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(id, 0);
  b.writeUInt16BE(flags, 2);
  b.writeUInt16BE(qd, 4);
  b.writeUInt16BE(an, 6);
  b.writeUInt16BE(ns, 8);
  b.writeUInt16BE(ar, 10);
  return b;
}

const QUESTION = Buffer.from('076578616d706c6503636f6d0000010001', 'hex'); // example.com A IN

/** An OPT RR (RFC 6891 §6.1.2) with the given payload size, version and DO bit. */
function opt(size: number, version = 0, dnssecOk = false): Buffer {
  const b = Buffer.alloc(11);
  b.writeUInt16BE(41, 1);
  b.writeUInt16BE(size, 3);
  b[6] = version;
  b[7] = dnssecOk ? 0x80 : 0;
  return b;
}

const decode = (b: Buffer | null): Decoded => {
  assert.ok(b, 'expected a reply');
  return packet.decode(b) as Decoded;
};

describe('protocol handling', () => {
  const fx = withServer({ 'example.com.toml': ZONE }, { env: { ECLIPSO_LOG_IGNORE: '1' } });

  it('echoes the question byte for byte (0x20 letter case), the ID and RD', async () => {
    const q = makeQuery('eXaMpLe.CoM', 'A', { id: 0x1234 });
    const reply = await udpRaw(fx.server.port, q);
    assert.ok(reply);
    assert.equal(reply.readUInt16BE(0), 0x1234);
    assert.deepEqual(reply.subarray(12, q.length), q.subarray(12));
    const r = decode(reply);
    assert.equal(r.flag_rd, true);
    assert.equal(r.flag_ra, false);
    assert.equal((r.answers ?? [])[0].name, 'eXaMpLe.CoM');
    const norec = decode(await udpRaw(fx.server.port, makeQuery('example.com', 'A', { rd: false })));
    assert.equal(norec.flag_rd, false);
  });

  it('answers with an OPT only when the query had one, echoing DO (RFC 3225)', async () => {
    const plain = decode(await udpRaw(fx.server.port, makeQuery('example.com', 'A')));
    assert.equal((plain.additionals ?? []).length, 0);
    const withDo = decode(await udpRaw(fx.server.port, Buffer.concat([header(9, 0x0100, 1, 0, 0, 1), QUESTION, opt(4096, 0, true)])));
    const o = (withDo.additionals ?? [])[0] as unknown as { type: string; udpPayloadSize: number; flag_do: boolean };
    assert.equal(o.type, 'OPT');
    assert.equal(o.udpPayloadSize, 1232, 'we offer at most 1232');
    assert.equal(o.flag_do, true);
  });

  it('truncates over 512 octets without EDNS, with TC=1 and no partial RRset', async () => {
    const r = decode(await udpRaw(fx.server.port, makeQuery('mid.example.com', 'TXT')));
    assert.equal(r.flag_tc, true);
    assert.equal((r.answers ?? []).length, 0);
    assert.equal(r.questions?.[0].name, 'mid.example.com');
  });

  it('fits the EDNS size: 1232 holds the mid answer, the big one is truncated', async () => {
    const mid = decode(await udpRaw(fx.server.port, makeQuery('mid.example.com', 'TXT', { edns: 1232 })));
    assert.equal(mid.flag_tc, false);
    assert.equal((mid.answers ?? []).length, 1);
    const big = await udpRaw(fx.server.port, makeQuery('big.example.com', 'TXT', { edns: 4096 }));
    assert.ok(big && big.length <= 1232);
    assert.equal(decode(big).flag_tc, true);
  });

  it('returns the whole answer over TCP after truncation', async () => {
    const [reply] = await tcpRaw(fx.server.port, [makeQuery('big.example.com', 'TXT')]);
    const r = packet.decode(reply) as Decoded;
    assert.equal(r.flag_tc, false);
    assert.equal(((r.answers ?? [])[0] as { data: Buffer[] }).data.length, 8);
    assert.ok(reply.length > 1600);
  });

  it('drops the additional section, not the answer, when only the answer fits (RFC 2181 §9)', async () => {
    // 30 AAAA records of the exchange make the full answer ~900 octets.
    const r = decode(await udpRaw(fx.server.port, makeQuery('example.com', 'MX')));
    assert.equal(r.flag_tc, false);
    assert.equal((r.answers ?? []).length, 1);
    assert.equal((r.additionals ?? []).length, 0);
    const full = decode(await udpRaw(fx.server.port, makeQuery('example.com', 'MX', { edns: 1232 })));
    assert.equal((full.additionals ?? []).filter((a) => a.type === 'AAAA').length, 30);
  });

  it('stops reading from a TCP client that sends without reading, instead of buffering answers', async () => {
    const rss = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${fx.server.child.pid}/status`, 'utf8'))![1]) * 1024;
    const before = rss();
    const q = makeQuery('big.example.com', 'TXT');
    const frame = Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q]);
    // 80,000 queries for a 1.7 KB answer: 136 MB of answers if the server buffered them all. Half
    // that is the bound: the heaps' young generations alone may grow by tens of MiB meanwhile.
    const sock = connect(fx.server.port, '127.0.0.1');
    sock.pause();
    await new Promise<void>((resolve) => sock.on('connect', () => resolve()));
    sock.write(Buffer.concat(Array.from({ length: 80000 }, () => frame)));
    await new Promise((r) => setTimeout(r, 1500));
    const grown = rss() - before;
    sock.destroy();
    assert.ok(grown < 64 * 2 ** 20, `fx.server RSS grew by ${Math.round(grown / 2 ** 20)} MiB: it buffers answers its client does not read`);
    assert.equal((await query(fx.server.port, 'example.com', 'A')).rcode, 'NOERROR');
  });

  it('answers several pipelined queries on one TCP connection, in order (RFC 7766)', async () => {
    const qs = [1, 2, 3, 4].map((id) => makeQuery(id % 2 ? 'example.com' : 'big.example.com', id % 2 ? 'A' : 'TXT', { id }));
    const replies = await tcpRaw(fx.server.port, qs);
    assert.deepEqual(replies.map((r) => r.readUInt16BE(0)), [1, 2, 3, 4]);
  });

  const malformed: [string, Buffer, string | null][] = [
    ['a packet shorter than a header is dropped', Buffer.from('0001', 'hex'), null],
    ['a response (QR=1) is dropped', Buffer.concat([header(1, 0x8000, 1), QUESTION]), null],
    ['QDCOUNT 0 is FORMERR', header(2, 0x0100, 0), 'FORMERR'],
    ['QDCOUNT 2 is FORMERR', Buffer.concat([header(3, 0x0100, 2), QUESTION, QUESTION]), 'FORMERR'],
    ['a name running past the end is FORMERR', Buffer.concat([header(4, 0x0100, 1), Buffer.from('076578616d', 'hex')]), 'FORMERR'],
    ['a compression pointer in the question is FORMERR', Buffer.concat([header(5, 0x0100, 1), Buffer.from('c00c00010001', 'hex')]), 'FORMERR'],
    ['a label over 63 octets is FORMERR', Buffer.concat([header(6, 0x0100, 1), Buffer.from([64]), Buffer.alloc(64, 0x61), Buffer.from('0000010001', 'hex')]), 'FORMERR'],
    ['opcode STATUS is NOTIMP', Buffer.concat([header(7, 0x1000, 1), QUESTION]), 'NOTIMP'],
    ['class CH is REFUSED', Buffer.concat([header(8, 0x0100, 1), Buffer.from('076578616d706c6503636f6d0000010003', 'hex')]), 'REFUSED'],
    ['AXFR over UDP is NOTIMP (RFC 5936 §4.2: TCP only)', Buffer.concat([header(9, 0x0000, 1), Buffer.from('076578616d706c6503636f6d0000fc0001', 'hex')]), 'NOTIMP'],
    ['two OPT records are FORMERR (RFC 6891 §6.1.1)', Buffer.concat([header(10, 0x0100, 1, 0, 0, 2), QUESTION, opt(1232), opt(1232)]), 'FORMERR'],
    ['a truncated OPT is FORMERR', Buffer.concat([header(11, 0x0100, 1, 0, 0, 1), QUESTION, opt(1232).subarray(0, 6)]), 'FORMERR'],
  ];
  for (const [what, bytes, rcode] of malformed) {
    it(what, async () => {
      const reply = await udpRaw(fx.server.port, bytes, rcode === null ? 300 : undefined);
      if (rcode === null) return assert.equal(reply, null);
      const r = decode(reply);
      assert.equal(r.rcode, rcode);
      assert.equal(r.id, bytes.readUInt16BE(0));
    });
  }

  it('REFUSED carries an Extended DNS Error saying why (RFC 8914), as NSD does', async () => {
    const outside = await udpRaw(fx.server.port, makeQuery('example.org', 'A', { edns: 1232 }));
    const chaos = await udpRaw(fx.server.port, Buffer.concat([header(13, 0x0100, 1, 0, 0, 1), Buffer.from('076578616d706c6503636f6d0000010003', 'hex'), opt(1232)]));
    for (const [reply, info] of [[outside, 20], [chaos, 21]] as const) {
      const r = decode(reply);
      assert.equal(r.rcode, 'REFUSED');
      const o = (r.additionals ?? [])[0] as unknown as { options: { code: number; data: Buffer }[] };
      assert.deepEqual(o.options.map((x) => [x.code, x.data.readUInt16BE(0)]), [[15, info]]);
    }
  });

  it('EDNS version 1 gets BADVERS with an OPT (RFC 6891 §6.1.3)', async () => {
    const reply = await udpRaw(fx.server.port, Buffer.concat([header(12, 0x0100, 1, 0, 0, 1), QUESTION, opt(1232, 1)]));
    assert.ok(reply);
    // RCODE 16 = low 4 bits 0 in the header, upper bits 1 in the OPT's EXTENDED-RCODE.
    assert.equal(reply[3] & 0xf, 0);
    const optAt = reply.length - 11;
    assert.equal(reply.readUInt16BE(optAt + 1), 41);
    assert.equal(reply[optAt + 5], 1);
    assert.equal((packet.decode(reply).answers ?? []).length, 0);
  });

  it('keeps answering after 3,000 random and mutated packets, over UDP and TCP', async () => {
    let seed = 7;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const good = makeQuery('example.com', 'A', { edns: 1232 });
    const junk = Array.from({ length: 3000 }, (_, i) => {
      if (i % 3 === 0) return Buffer.from(Array.from({ length: rand(100) }, () => rand(256)));
      const b = Buffer.from(good.subarray(0, 2 + rand(good.length - 1)));
      for (let k = rand(6); k > 0; k--) b[rand(b.length)] = rand(256);
      b[2] &= 0x7f; // keep QR clear so most get a response
      return b;
    });
    for (let i = 0; i < junk.length; i += 100) {
      await Promise.all(junk.slice(i, i + 100).map((b) => udpRaw(fx.server.port, b, 200)));
    }
    const framed = junk.slice(0, 200).filter((b) => b.length >= 12);
    await tcpRaw(fx.server.port, framed, 0).catch(() => undefined);
    const r = await query(fx.server.port, 'example.com', 'A');
    assert.equal(r.rcode, 'NOERROR');
    assert.equal((await tcpRaw(fx.server.port, [makeQuery('example.com', 'A')])).length, 1);
    assert.equal(fx.server.exitCode, null, 'the fx.server is still running');
  });
});
