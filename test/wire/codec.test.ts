import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as packet from 'dns-packet';
import { CLASS, TYPE } from '../../src/wire/constants.js';
import { WireError } from '../../src/wire/errors.js';
import { formatName, parseName, readName, writeName, type Name } from '../../src/wire/name.js';
import { parseIPv4, parseIPv6, formatIPv6 } from '../../src/wire/address.js';
import { formatRData, writeRData, type RData } from '../../src/wire/rdata.js';
import { WireReader } from '../../src/wire/reader.js';
import { WireWriter } from '../../src/wire/writer.js';

interface ResourceRecord {
  name: Name;
  type: number;
  class: number;
  ttl: number;
  data: RData;
}

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

/**
 * A response holding `records` in its answer section, written with our encoder as the compiler
 * writes answers (names compressed), for an independent decoder to read.
 */
function message(records: ResourceRecord[]): Buffer {
  const w = new WireWriter();
  for (const v of [0xbeef, 0x8400, 1, records.length, 0, 0]) w.u16(v);
  writeName(w, parseName('example.com'), true);
  w.u16(TYPE.ANY);
  w.u16(CLASS.IN);
  for (const r of records) {
    writeName(w, r.name, true);
    w.u16(r.type);
    w.u16(r.class);
    w.u32(r.ttl);
    writeRData(w, r.data, true);
  }
  return w.result();
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
  it('encodes messages that dns-packet, an independent decoder, reads record for record', () => {
    const decoded = packet.decode(message(SAMPLES));
    assert.equal(decoded.id, 0xbeef);
    const answers = decoded.answers ?? [];
    assert.equal(answers.length, SAMPLES.length);
    SAMPLES.forEach((s, i) => {
      const a = answers[i] as { name: string; type: string; ttl: number; data: unknown };
      assert.equal(a.name, formatName(s.name).slice(0, -1));
      assert.equal(a.ttl, s.ttl);
      assert.deepEqual(a.data, asDnsPacket(s), `type ${a.type}`);
    });
  });

  it('compresses repeated names: a second owner is a 2-octet pointer', () => {
    const one = message([SAMPLES[0]]);
    const two = message([SAMPLES[0], SAMPLES[0]]);
    // The second A record costs its owner pointer (2) + type/class/ttl/rdlength (10) + 4.
    assert.equal(two.length - one.length, 16);
  });

  it('reads compressed names (RFC 1035 §4.1.4), keeping their letter case', () => {
    // Question Example.COM at 12; then a pointer to it, and mx + a pointer to it.
    const header = Buffer.from('0007840000010001000000000', 'hex').subarray(0, 12);
    const qname = Buffer.from('076578616d706c6503434f4d00', 'hex');
    const bytes = Buffer.concat([header, qname, Buffer.from('c00c', 'hex'), Buffer.from('026d78c00c', 'hex')]);
    const r = new WireReader(bytes, 12);
    const names = [readName(r), readName(r), readName(r)].map(formatName);
    assert.deepEqual(names, ['example.COM.', 'example.COM.', 'mx.example.COM.']);
    assert.equal(r.pos, bytes.length);
  });

  it('prints RDATA as dig does', () => {
    assert.deepEqual(SAMPLES.map((s) => formatRData(s.data)), [
      '192.0.2.1', '2001:db8::ff00:42:8329', 'ns1.example.com.', 'example.com.',
      'ns1.example.com. hostmaster.example.com. 4294967295 28800 7200 604800 60', 'example.com.', '10 mail.example.com.',
      `"v=spf1 -all" "${'a'.repeat(255)}" ""`, '10 5 5060 sip.example.com.', '128 issue "letsencrypt.org"',
    ]);
  });

  it('prints IPv6 in RFC 5952 form and parses every textual form', () => {
    assert.equal(formatIPv6(parseIPv6('2001:0db8:0000:0000:0000:0000:0000:0001')), '2001:db8::1');
    assert.equal(formatIPv6(parseIPv6('::ffff:192.0.2.1')), '::ffff:c000:201');
    assert.equal(formatIPv6(parseIPv6('1:0:0:2:0:0:0:3')), '1:0:0:2::3');
    assert.throws(() => parseIPv6('2001:db8::g'), WireError);
    assert.throws(() => parseIPv4('256.1.1.1'), WireError);
  });

  it('reads a dotted quad, and rejects every other IPv4 text', () => {
    const good: [string, number[]][] = [['0.0.0.0', [0, 0, 0, 0]], ['192.0.2.1', [192, 0, 2, 1]], ['255.255.255.255', [255, 255, 255, 255]], ['10.0.100.9', [10, 0, 100, 9]]];
    for (const [text, octets] of good) assert.deepEqual([...parseIPv4(text)], octets, text);
    const bad = ['', '1.2.3', '1.2.3.4.', '.1.2.3', '1..2.3', '1.2.3.4.5', '256.0.0.1', '1.2.3.256', '01.2.3.4', '1.2.3.04', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.a', '1.2.3.-1', '1000.1.1.1', '::1'];
    for (const text of bad) assert.throws(() => parseIPv4(text), WireError, JSON.stringify(text));
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
      assert.throws(() => readName(new WireReader(bytes, 12)), (e: unknown) => e instanceof WireError && new RegExp(`^(${codes})$`).test(e.code));
    });
  }

  it('never lets a RangeError escape, for 20,000 random and mutated messages', () => {
    const valid = message(SAMPLES);
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
        // Every name of the message, as far as the reader gets: the owner names follow fixed fields.
        for (const r = new WireReader(bytes, 12); r.pos < bytes.length; r.pos += 10) readName(r);
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
