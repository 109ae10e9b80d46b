import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as packet from 'dns-packet';
import { answers, cacheable, clientAnswer, clientQuery, MAX_NEGATIVE_TTL, upstreamQuery } from '../../src/forward/message.js';
import type { Decoded } from '../helpers/dns.js';

type Answer = packet.Answer;

function query(name: string, opts: { id?: number; edns?: boolean; dnssecOk?: boolean } = {}): Buffer {
  return packet.encode({
    type: 'query', id: opts.id ?? 7, flags: packet.RECURSION_DESIRED,
    questions: [{ name, type: 'A', class: 'IN' }],
    additionals: opts.edns ? [{ type: 'OPT', name: '.', udpPayloadSize: 4096, flags: opts.dnssecOk ? packet.DNSSEC_OK : 0, options: [] } as unknown as Answer] : [],
  });
}

function reply(q: Buffer, rcode: string, sections: { answers?: Answer[]; authorities?: Answer[] }, flags = packet.AUTHORITATIVE_ANSWER): Buffer {
  const d = packet.decode(q);
  return packet.encode({ type: 'response', id: d.id, flags: flags | packet.RECURSION_DESIRED, rcode, questions: d.questions, ...sections } as packet.Packet);
}

const soa = (ttl: number, minimum: number): Answer => ({
  type: 'SOA', name: 'example.net', ttl,
  data: { mname: 'ns.example.net', rname: 'hostmaster.example.net', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum },
});
const a = (name: string, ttl: number): Answer => ({ type: 'A', name, ttl, data: '192.0.2.1' });
const client = (q: Buffer): ReturnType<typeof clientQuery> => clientQuery(q, q.length, 12 + packet.decode(q).questions![0].name.length + 2 + 4);

describe('forward/message: what goes upstream, what is accepted, what is cached', () => {
  it('the upstream query has the fresh ID, RD, the question, and an OPT passing DO on only when the client sent one', () => {
    const up = packet.decode(upstreamQuery(client(query('www.Example.net', { id: 1, edns: true, dnssecOk: true })), 0xbeef)) as Decoded;
    assert.equal(up.id, 0xbeef);
    assert.equal(up.flag_rd, true);
    assert.equal(up.questions![0].name, 'www.Example.net');
    const opt = up.additionals!.find((r) => r.type === 'OPT') as unknown as { udpPayloadSize: number; flags: number; options: unknown[] };
    assert.equal(opt.udpPayloadSize, 1232);
    assert.equal(opt.flags & packet.DNSSEC_OK, packet.DNSSEC_OK);
    assert.deepEqual(opt.options, []);
    assert.equal(packet.decode(upstreamQuery(client(query('www.example.net')), 1)).additionals!.length, 0);
  });

  it('accepts a reply only with the query\'s ID and question (any letter case), as a response (RFC 5452 §9.1)', () => {
    const q = upstreamQuery(client(query('www.example.net')), 0x1234);
    const r = reply(q, 'NOERROR', { answers: [a('www.example.net', 60)] });
    assert.equal(answers(r, q), true);
    assert.equal(answers(reply(upstreamQuery(client(query('WWW.EXAMPLE.NET')), 0x1234), 'NOERROR', {}), q), true);
    const wrongId = Buffer.from(r);
    wrongId.writeUInt16BE(0x1235, 0);
    assert.equal(answers(wrongId, q), false);
    assert.equal(answers(reply(upstreamQuery(client(query('www.example.org')), 0x1234), 'NOERROR', {}), q), false);
    assert.equal(answers(q, q), false, 'a query is no reply');
  });

  it('caches a positive answer for its lowest TTL, at most a day', () => {
    const q = query('www.example.net');
    assert.equal(cacheable(reply(q, 'NOERROR', { answers: [a('www.example.net', 300), a('www.example.net', 120)], authorities: [soa(900, 60)] }))!.ttl, 120);
    assert.equal(cacheable(reply(q, 'NOERROR', { answers: [a('www.example.net', 10 * 86400)] }))!.ttl, 86400);
  });

  it('caches NXDOMAIN and NODATA for min(SOA TTL, SOA MINIMUM) (RFC 2308 §5), at most three hours, and not without an SOA', () => {
    const q = query('nope.example.net');
    assert.equal(cacheable(reply(q, 'NXDOMAIN', { authorities: [soa(300, 30)] }))!.ttl, 30);
    assert.equal(cacheable(reply(q, 'NOERROR', { authorities: [soa(20, 600)] }))!.ttl, 20);
    assert.equal(cacheable(reply(q, 'NXDOMAIN', { authorities: [soa(86400, 86400)] }))!.ttl, MAX_NEGATIVE_TTL);
    assert.equal(cacheable(reply(q, 'NXDOMAIN', {}))!.ttl, 0);
    assert.equal(cacheable(reply(q, 'SERVFAIL', {}))!.ttl, 0);
    assert.equal(cacheable(reply(q, 'NOERROR', { answers: [a('nope.example.net', 60)] }, packet.TRUNCATED_RESPONSE))!.ttl, 0, 'TC=1 is not cached');
  });

  it("serves a cached reply under the client's ID and letter case, RA set, AA clear, TTLs less its age", () => {
    const first = query('www.example.net', { id: 1 });
    const r = reply(upstreamQuery(client(first), 99), 'NOERROR', { answers: [a('www.example.net', 300)], authorities: [soa(900, 60)] });
    const later = client(query('WWW.example.NET', { id: 2 }));
    const d = packet.decode(clientAnswer(r, cacheable(r)!, later, 100, 1232, 512)) as Decoded;
    assert.equal(d.id, 2);
    assert.equal(d.questions![0].name, 'WWW.example.NET');
    assert.equal(d.flag_ra, true);
    assert.equal(d.flag_aa, false);
    assert.deepEqual([...d.answers!, ...d.authorities!].map((x) => (x as { ttl: number }).ttl), [200, 800]);
  });

  it('answers TC=1, header and question alone, when the reply does not fit the client\'s UDP size', () => {
    const q = query('big.example.net');
    const many = Array.from({ length: 40 }, (_, i) => ({ type: 'A', name: 'big.example.net', ttl: 60, data: `192.0.2.${i}` }) as Answer);
    const r = reply(upstreamQuery(client(q), 5), 'NOERROR', { answers: many });
    assert.ok(r.length > 512);
    const d = packet.decode(clientAnswer(r, cacheable(r)!, client(q), 0, 1232, 512)) as Decoded;
    assert.equal(d.flag_tc, true);
    assert.equal(d.answers!.length, 0);
    assert.equal(d.questions![0].name, 'big.example.net');
  });
});
