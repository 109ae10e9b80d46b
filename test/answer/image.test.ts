/**
 * The packed image of a zone (src/answer/image.ts) is dense: answers that send the same octets
 * share one packet and one record, a name's later entries do not repeat it, its index is at most
 * 3/4 full, and a 50-record zone of the 20,000-zone benchmark packs into under 7,000 octets
 * (16,660 before). And the answers a client gets through a real socket stay NSD's, for the
 * questions that now share a packet.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as packet from 'dns-packet';
import { compileFile } from '../../src/answer/compile-file.js';
import { hashBytes } from '../../src/answer/hash.js';
import { IMAGE } from '../../src/answer/image.js';
import { Responder } from '../../src/answer/respond.js';
import { QueryResult } from '../../src/answer/result.js';
import { AnswerTable } from '../../src/answer/table.js';
import { ServedZone } from '../../src/answer/zone.js';
import { TYPE } from '../../src/wire/constants.js';
import { nameKey, parseName } from '../../src/wire/name.js';
import { type Decoded, makeQuery, udpRaw } from '../helpers/dns.js';
import { besideNsd, sameAnswersAsNsd } from '../helpers/nsd.js';

const record = (domain: string, address: string, type = 'A'): string => `[[records]]\ndomain = "${domain}"\ntype = "${type}"\naddress = "${address}"\n`;

/**
 * Names of the zone: a1 and a2, one A record each, the same; b1: another address; abc1: a1's
 * address on a longer name; both: A, then AAAA; big: a TXT past the inline bound; a wildcard. With
 * `ns`, NS records at the apex (then an A answer carries them in its authority section and an ANY
 * answer does not, as NSD answers) and a delegation.
 */
function zoneText(apex: string, ns: boolean): string {
  return `[domain]\ndomain = "${apex}"\nsoa = "ns1.${apex}"\nserial = 7\n[defaults]\nttl = 300\n`
    + (ns ? record('', `ns1.${apex}.`, 'NS') + record('sub', `ns.sub.${apex}.`, 'NS') + record('ns.sub', '192.0.2.30') : '')
    + record('ns1', '192.0.2.53') + record('', '192.0.2.1')
    + record('a1', '192.0.2.10') + record('a2', '192.0.2.10') + record('b1', '192.0.2.11') + record('abc1', '192.0.2.10')
    + record('both', '192.0.2.12') + record('both', '2001:db8::12', 'AAAA')
    + record('big', 'x'.repeat(200), 'TXT') + record('*.w', '192.0.2.20');
}
const ZONES: Record<string, string> = { 'dense.test': zoneText('dense.test', true), 'flat.test': zoneText('flat.test', false) };

function served(text: string, apex: string): ServedZone {
  const file = compileFile(text, `${apex}.toml`, `${apex}.toml`);
  assert.ok(file.kind === 'zone', `${apex} compiles`);
  return new ServedZone(file.facts, file.image);
}

/** The entry for (name, type) in `zone`. */
function entryOf(zone: ServedZone, name: string, type: number): number {
  const key = Buffer.from(nameKey(parseName(name)) + String.fromCharCode(type >> 8, type & 0xff), 'latin1');
  const entry = zone.find(key, 0, key.length, hashBytes(key, 0, key.length));
  assert.ok(entry >= 0, `${name} type ${type} has an entry`);
  return entry;
}

const answerOf = (zone: ServedZone, name: string, type: number): number => zone.answerOf(entryOf(zone, name, type));

/** Whether the entry's packet lies beside its key, where the hot path copies it from. */
function inline(zone: ServedZone, name: string, type: number): boolean {
  const at = zone.inlineAt(entryOf(zone, name, type));
  return zone.bytes.readUInt16BE(at) !== 0;
}

/** The benchmark's zone shape (bench/lib/dataset.mjs scaleZone): apex A, MX and TXT, then h3 … h49 A. */
function scaleZone(z: number, hosts = 50): string {
  let t = `[domain]\ndomain = "z${z}.scale"\n[defaults]\nttl = 3600\n` + record('', '10.1.0.1')
    + `[[records]]\ntype = "MX"\npreference = 10\naddress = "mail.z${z}.scale."\n` + record('', 'v=spf1 mx -all', 'TXT');
  for (let h = 3; h < hosts; h++) t += record(`h${h}`, `10.${(z >> 8) & 0xff}.${z & 0xff}.${h & 0xff}`);
  return t;
}

describe('zone image: answers that send the same octets share one record, the index is at most 3/4 full', () => {
  const zones = new Map(Object.entries(ZONES).map(([apex, text]) => [apex, served(text, apex)]));
  const zoneOf = (name: string): ServedZone => zones.get(name.endsWith('flat.test') ? 'flat.test' : 'dense.test')!;
  const sharing: [string, [string, number], [string, number], boolean][] = [
    ['a one-RRset name: A and ANY', ['a1.flat.test', TYPE.A], ['a1.flat.test', TYPE.ANY], true],
    ['two names as long, the same records: A and A', ['a1.flat.test', TYPE.A], ['a2.flat.test', TYPE.A], true],
    ['two names as long, the same records: A and ANY', ['a1.flat.test', TYPE.A], ['a2.flat.test', TYPE.ANY], true],
    ['a TXT past the inline bound: TXT and ANY', ['big.flat.test', TYPE.TXT], ['big.flat.test', TYPE.ANY], true],
    // RFC 8482 §4.1: ANY is answered with one RRset, the name's first, as NSD does.
    ['a name with A, then AAAA: A and ANY', ['both.flat.test', TYPE.A], ['both.flat.test', TYPE.ANY], true],
    ['a name with A, then AAAA: AAAA and ANY', ['both.flat.test', TYPE.AAAA], ['both.flat.test', TYPE.ANY], false],
    ['another address', ['a1.flat.test', TYPE.A], ['b1.flat.test', TYPE.A], false],
    ['the same address on a longer name', ['a1.flat.test', TYPE.A], ['abc1.flat.test', TYPE.A], false],
    ['with NS at the apex, two names as long: A and A', ['a1.dense.test', TYPE.A], ['a2.dense.test', TYPE.A], true],
    ['with NS at the apex, two names as long: ANY and ANY', ['a1.dense.test', TYPE.ANY], ['a2.dense.test', TYPE.ANY], true],
    ['with NS at the apex (in the A answer\'s authority section): A and ANY', ['a1.dense.test', TYPE.A], ['a1.dense.test', TYPE.ANY], false],
  ];
  for (const [what, [n1, t1], [n2, t2], shared] of sharing) {
    it(`${shared ? 'shares' : 'does not share'} an answer record: ${what}`, () => {
      assert.equal(answerOf(zoneOf(n1), n1, t1) === answerOf(zoneOf(n2), n2, t2), shared);
    });
  }

  it('keeps every name\'s A answer beside its key, shared or not; an ANY answer is read through its shared record', () => {
    const flat = zoneOf('flat.test');
    for (const n of ['a1', 'a2', 'b1', 'abc1', 'both']) assert.ok(inline(flat, `${n}.flat.test`, TYPE.A), `${n} A inline`);
    assert.ok(inline(flat, 'both.flat.test', TYPE.AAAA));
    for (const n of ['a1', 'a2', 'both']) assert.ok(!inline(flat, `${n}.flat.test`, TYPE.ANY), `${n} ANY read through its record`);
    assert.ok(!inline(flat, 'big.flat.test', TYPE.TXT), 'a TXT past the inline bound');
  });

  it('keeps its index at most 3/4 full, in the fewest slots (a power of two, 16 at least)', () => {
    for (const hosts of [3, 4, 8, 20, 40, 50, 100, 300]) {
      const file = compileFile(scaleZone(1, hosts), 'z1.scale.toml', 'z1.scale.toml');
      assert.ok(file.kind === 'zone');
      const entries = file.image.ints[IMAGE.ENTRIES];
      const slots = file.image.ints[IMAGE.SLOTS];
      const least = Math.max(16, 2 ** Math.ceil(Math.log2((4 * entries) / 3)));
      assert.equal(slots, least, `${entries} entries in ${slots} slots`);
      assert.ok(4 * entries <= 3 * slots);
    }
  });

  it('finds every entry of a name whose entries lie more than 65,535 octets apart (then written in full again)', () => {
    let text = '[domain]\ndomain = "far.test"\n[[records]]\ntype = "NS"\naddress = "ns.example."\n';
    for (let i = 0; i < 150; i++) text += record('big', `${i} ${'t'.repeat(240)}`, 'TXT');
    for (let i = 0; i < 1500; i++) text += record('big', `2001:db8::${i.toString(16)}`, 'AAAA');
    const table = new AnswerTable();
    table.install(served(text, 'far.test'));
    const responder = new Responder(table, 1232);
    const out = Buffer.alloc(65535);
    const ask = (name: string, type: string): Decoded => {
      const q = makeQuery(name, type, { id: 1 });
      return packet.decode(out.subarray(0, responder.respond(q, q.length, out, true, new QueryResult()))) as Decoded;
    };
    assert.equal(ask('big.far.test', 'TXT').answers?.length, 150);
    assert.equal(ask('big.far.test', 'AAAA').answers?.length, 1500);
    const any = ask('BIG.far.test', 'ANY').answers ?? [];
    assert.ok(any.length > 0 && any.every((r) => r.type === any[0].type), 'ANY: one RRset (RFC 8482 §4.1)');
    const nodata = ask('big.far.test', 'MX');
    assert.deepEqual([nodata.rcode, nodata.answers?.length, nodata.authorities?.[0]?.type], ['NOERROR', 0, 'SOA']);
    assert.equal(ask('x.big.far.test', 'A').rcode, 'NXDOMAIN');
  });

  it('answers every name of a zone large enough to be laid out in its image\'s own memory, its index filled a part at a time', () => {
    // 100,000 PTR names: an image of over 32 MiB (its octets' bound and ints), an index of 2^19 slots.
    const names = 100_000;
    const owner = (i: number): string => `${i & 255}.${(i >> 8) & 255}.${i >> 16}`;
    const parts = ['[domain]\ndomain = "10.in-addr.arpa"\n[defaults]\nttl = 3600\n', record('', 'ns1.example.net.', 'NS')];
    for (let i = 0; i < names; i++) parts.push(record(owner(i), `host-${i}.example.net.`, 'PTR'));
    const zone = served(parts.join(''), '10.in-addr.arpa');
    assert.ok(zone.bytes.buffer.byteLength >= 32 << 20, `an image of ${zone.bytes.buffer.byteLength} octets`);
    const table = new AnswerTable();
    table.install(zone);
    const responder = new Responder(table, 1232);
    const out = Buffer.alloc(1232);
    const ask = (name: string, type: string): Decoded => {
      const q = makeQuery(name, type, { id: 7 });
      return packet.decode(out.subarray(0, responder.respond(q, q.length, out, true, new QueryResult()))) as Decoded;
    };
    for (let i = 0; i < names; i += 97) {
      const a = ask(`${owner(i)}.10.IN-addr.arpa`, 'PTR');
      assert.deepEqual([a.rcode, a.answers?.map((r) => (r as { data: unknown }).data)], ['NOERROR', [`host-${i}.example.net`]], `${owner(i)} PTR`);
      assert.equal(ask(`${owner(i)}.10.in-addr.arpa`, 'A').answers?.length, 0, `${owner(i)} A: NODATA`);
    }
    assert.equal(ask('1.2.200.10.in-addr.arpa', 'PTR').rcode, 'NXDOMAIN');
    assert.deepEqual(ask('10.in-addr.arpa', 'NS').answers?.map((r) => (r as { data: unknown }).data), ['ns1.example.net']);
  });

  it('packs a 50-record zone of the 20,000-zone benchmark into under 7,000 octets', () => {
    const file = compileFile(scaleZone(12345), 'z12345.scale.toml', 'z12345.scale.toml');
    assert.ok(file.kind === 'zone');
    const octets = file.image.bytes.length + file.image.ints.byteLength;
    assert.ok(octets < 7000, `${octets} octets (16,660 before shared answers, question-less packets, names written once, 5-int answer records, a 3/4 index)`);
  });
});

describe('zone image: shared answers through a real socket, as NSD answers them', () => {
  const both = besideNsd(Object.entries(ZONES).map(([apex, text]) => [`${apex}.toml`, text]));

  /** Shared answers asked every way a client can: ANY and A, 0x20 case, names that do not exist. */
  const QUESTIONS: [string, string][] = [];
  for (const apex of ['DeNsE.test', 'fLaT.TEST']) {
    for (const name of ['a1', 'A2', 'aBc1', 'b1', 'BOTH', 'big', 'nope', 'x.W', 'x.sub', 'ns.sub', 'a1.nope', '']) {
      for (const type of ['A', 'ANY', 'AAAA', 'TXT', 'MX']) QUESTIONS.push([`${name}${name ? '.' : ''}${apex}`, type]);
    }
  }

  sameAnswersAsNsd(QUESTIONS, () => ({ ours: both.server.port, nsd: both.nsd.port }), [1232]);

  it('sends a shared packet for A (or TXT) and for ANY with the same octets but the question\'s QTYPE, in the query\'s case', async () => {
    for (const [name, type, code] of [['a1.flat.test', 'A', TYPE.A], ['A2.fLaT.TEST', 'A', TYPE.A], ['BiG.flat.test', 'TXT', TYPE.TXT]] as const) {
      const one = await udpRaw(both.server.port, makeQuery(name, type, { id: 9 }));
      const any = await udpRaw(both.server.port, makeQuery(name, 'ANY', { id: 9 }));
      assert.ok(one && any, `replies for ${name}`);
      const qtypeAt = 12 + parseName(name).reduce((n, l) => n + 1 + l.length, 1);
      assert.equal(any.readUInt16BE(qtypeAt), TYPE.ANY);
      any.writeUInt16BE(code, qtypeAt);
      assert.deepEqual(any, one, name);
      assert.ok(one.subarray(12, qtypeAt).toString('latin1').includes(name.split('.')[0]), `${name}: the query's own case`);
    }
  });
});
