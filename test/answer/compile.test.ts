import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as packet from 'dns-packet';
import { FALLBACK_TYPE, type Answer } from '../../src/answer/answer.js';
import { compileZone } from '../../src/answer/compile.js';
import { typeName } from '../../src/wire/constants.js';
import { parseZoneFile } from '../../src/zone/parse.js';
import type { Decoded } from '../helpers/dns.js';

const ZONE = `
[domain]
domain = "example.com"
serial = 42
[[records]]
address = "192.0.2.1"
[[records]]
domain = "www"
type = "CNAME"
address = "example.com."
[[records]]
domain = "*.w"
address = "192.0.2.9"
[[records]]
domain = "sub"
type = "NS"
address = "ns.sub.example.com."
[[records]]
domain = "ns.sub"
address = "192.0.2.54"
`;

const file = parseZoneFile(ZONE, 'example.com.toml', 'example.com.toml');
assert.ok(file.active);
const compiled = compileZone(file.zone);

/**
 * What is sent for `a` to a question for `name` of `type` (as long as the name it was compiled for):
 * its header, the question, its body, as the server puts them together (src/answer/respond.ts).
 */
function sent(a: Answer, name: string, type: number): Buffer {
  const question = packet.encode({ questions: [{ name, type: typeName(type) as packet.RecordType }] }).subarray(12);
  assert.equal(12 + question.length, a.qEnd, `a question for ${name} as long as the one ${a.qEnd} was compiled with`);
  const stored = compiled.packets.subarray(a.at, a.at + a.length);
  return Buffer.concat([stored.subarray(0, 12), question, stored.subarray(12)]);
}

/** An entry's key as "name type": the wire name's labels, then the type (0 is the fallback). */
function keyText(key: string): string {
  const labels: string[] = [];
  let i = 0;
  for (; key.charCodeAt(i) !== 0; i += key.charCodeAt(i) + 1) labels.push(key.slice(i + 1, i + 1 + key.charCodeAt(i)));
  const type = (key.charCodeAt(i + 1) << 8) | key.charCodeAt(i + 2);
  return `${labels.join('.')} ${type === FALLBACK_TYPE ? '*' : typeName(type)}`;
}

describe('compile: a zone into answer packets per (name, type)', () => {
  it('keeps the apex, serial and record count', () => {
    assert.equal(compiled.apexKey, '\x07example\x03com\x00');
    assert.equal(compiled.serial, 42);
    assert.equal(compiled.records, 6);
  });

  it('compiles each name\'s own types, a fallback per name, and one referral entry per delegation', () => {
    assert.deepEqual([...compiled.entries.keys()].map(keyText).sort(), [
      '*.w.example.com *', '*.w.example.com A', '*.w.example.com ANY',
      'example.com *', 'example.com A', 'example.com ANY', 'example.com SOA',
      // An NS target below the cut gets the referral under its own name (its letter case: as NSD).
      'ns.sub.example.com *',
      'sub.example.com *', 'sub.example.com DS',
      'w.example.com *',
      // A CNAME answers every type the zone holds, and DS and ANY: the chain's end decides.
      'www.example.com *', 'www.example.com A', 'www.example.com ANY', 'www.example.com CNAME', 'www.example.com DS',
      'www.example.com NS', 'www.example.com SOA',
    ]);
  });

  it('writes packets an independent decoder reads as the answers they stand for', () => {
    const a = packet.decode(sent(compiled.entries.get('\x07example\x03com\x00\x00\x01')!, 'example.com', 1)) as Decoded;
    assert.equal(a.flag_aa, true);
    assert.deepEqual(a.answers!.map((r) => `${r.name} ${r.type} ${(r as { data: unknown }).data}`), ['example.com A 192.0.2.1']);
    const referral = packet.decode(sent(compiled.entries.get('\x03sub\x07example\x03com\x00\x00\x00')!, 'sub.example.com', 1)) as Decoded;
    assert.equal(referral.flag_aa, false);
    assert.deepEqual(referral.authorities!.map((r) => `${r.name} ${r.type}`), ['sub.example.com NS']);
    assert.deepEqual(referral.additionals!.map((r) => `${r.name} ${r.type}`), ['ns.sub.example.com A']);
  });

  it('gives names below a wildcard\'s parent the synthesized answer, per type', () => {
    const below = compiled.entries.get('\x01w\x07example\x03com\x00\x00\x00')!.below!;
    assert.deepEqual([...below.byType.keys()].map(typeName).sort(), ['A', 'ANY']);
    const a = packet.decode(sent(below.byType.get(1)!, 'x.w.example.com', 1)) as Decoded;
    assert.deepEqual(a.answers!.map((r) => (r as { data: unknown }).data), ['192.0.2.9']);
  });
});
