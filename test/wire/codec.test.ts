import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as packet from 'dns-packet';
import { CLASS, TYPE } from '../../src/wire/constants.js';
import { WireError } from '../../src/wire/errors.js';
import { decodeMessage, encodeMessage, type Message, type ResourceRecord } from '../../src/wire/message.js';
import { formatName, parseName } from '../../src/wire/name.js';
import { parseIPv4, parseIPv6, formatIPv6 } from '../../src/wire/address.js';
import { formatRData, type RData } from '../../src/wire/rdata.js';

const rr = (name: string, data: RData, ttl = 300): ResourceRecord => ({
  name: parseName(name), type: data.t === 'OPAQUE' ? data.type : TYPE[data.t], class: CLASS.IN, ttl, data,
});

const u8 = (b: Buffer): Uint8Array => Uint8Array.from(b);

/** One record of every type the server serves, in our own representation. */
const SAMPLES: ResourceRecord[] = [
  rr('example.com', { t: 'A', address: parseIPv4('192.0.2.1') }),
  rr('example.com', { t: 'AAAA', address: parseIPv6('2001:db8::ff00:42:8329') }),
  rr('example.com', { t: 'NS', target: parseName('ns1.example.com') }),
  rr('www.example.com', { t: 'CNAME', target: parseName('example.com') }),
  rr('example.com', { t: 'SOA', mname: parseName('ns1.example.com'), rname: parseName('hostmaster.example.com'), serial: 4294967295, refresh: 28800, retry: 7200, expire: 604800, minimum: 60 }),
  rr('1.2.0.192.in-addr.arpa', { t: 'PTR', target: parseName('example.com') }),
  rr('example.com', { t: 'MX', preference: 10, exchange: parseName('mail.example.com') }),
  rr('example.com', { t: 'TXT', strings: [u8(Buffer.from('v=spf1 -all')), u8(Buffer.alloc(255, 0x61)), new Uint8Array(0)] }),
  rr('_sip._tcp.example.com', { t: 'SRV', priority: 10, weight: 5, port: 5060, target: parseName('sip.example.com') }),
  rr('example.com', { t: 'CAA', flags: 128, tag: 'issue', value: u8(Buffer.from('letsencrypt.org')) }),
];

function message(records: ResourceRecord[]): Message {
  return {
    id: 0xbeef, flags: 0x8400, questions: [{ name: parseName('example.com'), type: TYPE.ANY, class: CLASS.IN }],
    answers: records, authority: [], additional: [],
    edns: { udpPayloadSize: 1232, extendedRcode: 0, version: 0, dnssecOk: true, options: [{ code: 10, data: u8(Buffer.from('0123456789abcdef', 'hex')) }] },
  };
}

/** Our record as dns-packet shows it, to compare what it decoded from our bytes. */
function asDnsPacket(r: ResourceRecord): unknown {
  const d = r.data;
  const name = (n: readonly string[]): string => formatName(n).slice(0, -1);
  switch (d.t) {
    case 'A': case 'AAAA': return formatRData(d);
    case 'NS': case 'CNAME': case 'PTR': return name(d.target);
    case 'SOA': return { mname: name(d.mname), rname: name(d.rname), serial: d.serial, refresh: d.refresh, retry: d.retry, expire: d.expire, minimum: d.minimum };
    case 'MX': return { preference: d.preference, exchange: name(d.exchange) };
    case 'TXT': return d.strings.map((s) => Buffer.from(s));
    case 'SRV': return { priority: d.priority, weight: d.weight, port: d.port, target: name(d.target) };
    case 'CAA': return { flags: d.flags, tag: d.tag, value: Buffer.from(d.value).toString(), issuerCritical: true };
    default: return undefined;
  }
}

describe('wire codec', () => {
  it('decodes its own encoding of every served type back to the same message', () => {
    const msg = message(SAMPLES);
    assert.deepEqual(decodeMessage(encodeMessage(msg)), msg);
  });

  it('encodes messages that dns-packet, an independent decoder, reads record for record', () => {
    const decoded = packet.decode(encodeMessage(message(SAMPLES)));
    assert.equal(decoded.id, 0xbeef);
    const answers = decoded.answers ?? [];
    assert.equal(answers.length, SAMPLES.length);
    SAMPLES.forEach((s, i) => {
      const a = answers[i] as { name: string; type: string; ttl: number; data: unknown };
      assert.equal(a.name, formatName(s.name).slice(0, -1));
      assert.equal(a.ttl, s.ttl);
      assert.deepEqual(a.data, asDnsPacket(s), `type ${a.type}`);
    });
    const opt = (decoded.additionals ?? [])[0] as unknown as { type: string; udpPayloadSize: number; flag_do: boolean };
    assert.equal(opt.type, 'OPT');
    assert.equal(opt.udpPayloadSize, 1232);
    assert.equal(opt.flag_do, true);
  });

  it('compresses repeated names: a second owner is a 2-octet pointer', () => {
    const one = encodeMessage(message([SAMPLES[0]]));
    const two = encodeMessage(message([SAMPLES[0], SAMPLES[0]]));
    // The second A record costs its owner pointer (2) + type/class/ttl/rdlength (10) + 4.
    assert.equal(two.length - one.length, 16);
  });

  it('decodes what dns-packet encodes, compressed names included', () => {
    const bytes = packet.encode({
      type: 'response', id: 7, flags: packet.AUTHORITATIVE_ANSWER,
      questions: [{ type: 'MX', name: 'Example.COM' }],
      answers: [
        { type: 'MX', name: 'example.com', ttl: 60, data: { preference: 5, exchange: 'mx.example.com' } },
        { type: 'TXT', name: 'example.com', ttl: 60, data: ['a', 'b c'] },
        { type: 'AAAA', name: 'example.com', ttl: 60, data: '::1' },
        { type: 'SRV', name: '_x._udp.example.com', ttl: 60, data: { priority: 1, weight: 2, port: 53, target: 'example.com' } },
        { type: 'CAA', name: 'example.com', ttl: 60, data: { flags: 0, tag: 'iodef', value: 'mailto:a@example.com' } },
      ],
    });
    const msg = decodeMessage(bytes);
    assert.equal(msg.id, 7);
    assert.equal(formatName(msg.questions[0].name), 'Example.COM.');
    assert.deepEqual(msg.answers.map((a) => formatRData(a.data)), [
      '5 mx.example.com.', '"a" "b c"', '::1', '1 2 53 example.com.', '0 iodef "mailto:a@example.com"',
    ]);
  });

  it('prints IPv6 in RFC 5952 form and parses every textual form', () => {
    assert.equal(formatIPv6(parseIPv6('2001:0db8:0000:0000:0000:0000:0000:0001')), '2001:db8::1');
    assert.equal(formatIPv6(parseIPv6('::ffff:192.0.2.1')), '::ffff:c000:201');
    assert.equal(formatIPv6(parseIPv6('1:0:0:2:0:0:0:3')), '1:0:0:2::3');
    assert.throws(() => parseIPv6('2001:db8::g'), WireError);
    assert.throws(() => parseIPv4('256.1.1.1'), WireError);
  });
});

describe('name decoding rejects malformed names with a typed error', () => {
  const header = Buffer.from('0001000000010000000000000', 'hex').subarray(0, 12);
  const withQuestion = (name: Buffer): Buffer => Buffer.concat([header, name, Buffer.from([0, 1, 0, 1])]);
  const cases: [string, Buffer, string][] = [
    ['a label over 63 octets', withQuestion(Buffer.concat([Buffer.from([64]), Buffer.alloc(64, 0x61), Buffer.from([0])])), 'TRUNCATED|LABEL_TOO_LONG|BAD_LABEL_TYPE'],
    ['a name over 255 octets', withQuestion(Buffer.concat([...Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([60]), Buffer.alloc(60, 0x61)])), Buffer.from([0])])), 'NAME_TOO_LONG'],
    ['a pointer forward', withQuestion(Buffer.from([0xc0, 20])), 'BAD_POINTER'],
    ['a pointer to itself', withQuestion(Buffer.from([0xc0, 12])), 'BAD_POINTER'],
    ['a name cut short', Buffer.concat([header, Buffer.from([5, 0x61])]), 'TRUNCATED'],
    ['an extended label type', withQuestion(Buffer.from([0x41, 0])), 'BAD_LABEL_TYPE'],
  ];
  for (const [what, bytes, codes] of cases) {
    it(`${what} → WireError ${codes}`, () => {
      assert.throws(() => decodeMessage(bytes), (e: unknown) => e instanceof WireError && new RegExp(`^(${codes})$`).test(e.code));
    });
  }

  it('never lets a RangeError escape, for 20,000 random and mutated messages', () => {
    const valid = encodeMessage(message(SAMPLES));
    let seed = 42;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    for (let i = 0; i < 20000; i++) {
      let bytes: Buffer;
      if (i % 2 === 0) {
        bytes = Buffer.from(valid.subarray(0, rand(valid.length + 1)));
        for (let k = rand(8); k > 0; k--) if (bytes.length) bytes[rand(bytes.length)] = rand(256);
      } else {
        bytes = Buffer.from(Array.from({ length: rand(80) }, () => rand(256)));
      }
      try {
        decodeMessage(bytes);
      } catch (e) {
        assert.ok(e instanceof WireError, `input ${bytes.toString('hex')} threw ${(e as Error).name}: ${(e as Error).message}`);
      }
    }
  });
});

describe('presentation names', () => {
  it('accept a trailing dot or not, escapes, and reject over-long labels', () => {
    assert.deepEqual(parseName('www.example.com.'), parseName('www.example.com'));
    assert.equal(formatName(parseName('a\\.b.example.com')), 'a\\.b.example.com.');
    assert.equal(formatName(parseName('\\065bc.example')), 'Abc.example.');
    assert.throws(() => parseName(`${'a'.repeat(64)}.com`), WireError);
    assert.throws(() => parseName('a..com'), WireError);
  });
});
