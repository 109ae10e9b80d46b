import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseName } from '../../src/wire/name.js';
import { writeRData, type RData } from '../../src/wire/rdata.js';
import { WireWriter } from '../../src/wire/writer.js';
import { compileZone } from '../../src/answer/compile.js';
import { parseZoneFile } from '../../src/zone/parse.js';
import { formatProblem, ZoneFileError } from '../../src/zone/problem.js';
import { MAX_RRSET_OCTETS, rdataLength } from '../../src/zone/sizes.js';

const HEAD = '[domain]\ndomain = "example.com"\n';

function problems(text: string): string[] {
  try {
    parseZoneFile(text, 'zones/example.com.toml', 'example.com.toml');
  } catch (e) {
    assert.ok(e instanceof ZoneFileError);
    return e.problems.map(formatProblem);
  }
  return [];
}

/** A TXT value whose RDATA is `octets` long: 255-octet strings, each after its length octet. */
function txtOfRdata(octets: number): string {
  const full = Math.floor(octets / 256);
  const rest = octets - full * 256;
  assert.ok(rest !== 1, 'an RDATA length of 256k + 1 cannot be made of split strings');
  return 'x'.repeat(full * 255 + Math.max(0, rest - 1));
}

/** What a record takes in an answer besides its RDATA: a 2-octet owner pointer, TYPE, CLASS, TTL, RDLENGTH. */
const RR_FIXED = 12;

describe('values the compiler cannot encode are rejected with file, line, record and field', () => {
  const cases: { what: string; records: string; problems: string[] }[] = [
    {
      what: 'a TXT value over 65,535 octets (it threw in the compiler and crashed every worker)',
      records: `[[records]]\ndomain = "big"\ntype = "TXT"\naddress = "${'x'.repeat(70000)}"\n`,
      problems: ['zones/example.com.toml:6: record 1: address: the TXT data is 70,275 octets on the wire; a record holds at most 65,535 (RFC 1035 §3.2.1): split the text over several TXT records'],
    },
    {
      what: 'a CAA value over 65,535 octets',
      records: `[[records]]\ntype = "CAA"\ntag = "issue"\naddress = "${'x'.repeat(70000)}"\n`,
      problems: ['zones/example.com.toml:6: record 1: address: the CAA data is 70,007 octets on the wire; a record holds at most 65,535 (RFC 1035 §3.2.1): shorten it'],
    },
    {
      what: 'one TXT record that fits RDLENGTH but no message',
      records: `[[records]]\ntype = "TXT"\naddress = "${txtOfRdata(MAX_RRSET_OCTETS - RR_FIXED + 256)}"\n`,
      problems: ['zones/example.com.toml:5: record 1: address: this TXT record takes 65,509 octets in an answer; an answer holds the whole RRset in one message of at most 65,535 octets (RFC 1035 §4.2.2, RFC 2181 §9), which leaves 65,253 for its records: shorten them, or spread them over several names'],
    },
    {
      what: 'an RRset of many records that no message can carry (reported once, at the record that overflows)',
      records: Array.from({ length: 4100 }, (_, i) => `[[records]]\ndomain = "many"\naddress = "10.0.${i >> 8}.${i & 255}"\n`).join(''),
      problems: ['zones/example.com.toml:12239: record 4079: address: the 4079 A records of many.example.com. up to this one take 65,264 octets in an answer; an answer holds the whole RRset in one message of at most 65,535 octets (RFC 1035 §4.2.2, RFC 2181 §9), which leaves 65,253 for its records: shorten them, or spread them over several names'],
    },
    {
      what: 'the same RRset, its owner written in other cases, among thousands of other names (RFC 4343 §3)',
      records: Array.from({ length: 4100 }, (_, i) => `[[records]]\ndomain = "${i % 2 ? 'MANY' : 'many'}"\naddress = "10.0.${i >> 8}.${i & 255}"\n`).join('') +
        Array.from({ length: 3000 }, (_, i) => `[[records]]\ndomain = "h${i}"\naddress = "10.1.${i >> 8}.${i & 255}"\n`).join(''),
      problems: ['zones/example.com.toml:12239: record 4079: address: the 4079 A records of many.example.com. up to this one take 65,264 octets in an answer; an answer holds the whole RRset in one message of at most 65,535 octets (RFC 1035 §4.2.2, RFC 2181 §9), which leaves 65,253 for its records: shorten them, or spread them over several names'],
    },
  ];
  for (const c of cases) it(c.what, () => assert.deepEqual(problems(HEAD + c.records), c.problems));

  it('accepts the largest record, which compiles to an answer that fits TCP; one octet more is rejected', () => {
    const largest = HEAD + `[[records]]\ntype = "TXT"\naddress = "${txtOfRdata(MAX_RRSET_OCTETS - RR_FIXED)}"\n`;
    assert.equal(MAX_RRSET_OCTETS, 65535 - 12 - (255 + 4) - 11);
    const parsed = parseZoneFile(largest, 'zones/example.com.toml', 'example.com.toml');
    assert.ok(parsed.active);
    // Each answer is sent behind its question: its header and body, and the question's qEnd - 12 octets.
    const longest = Math.max(...compileZone(parsed.zone).entries.answers.map((a) => a.length + a.qEnd - 12));
    assert.ok(longest > MAX_RRSET_OCTETS && longest <= 65535, `longest answer: ${longest} octets`);
    assert.equal(problems(HEAD + `[[records]]\ntype = "TXT"\naddress = "${txtOfRdata(MAX_RRSET_OCTETS - RR_FIXED + 1)}"\n`).length, 1);
  });
});

describe('rdataLength is what writeRData writes, for every type served', () => {
  const name = parseName('host-1.example.com');
  const cases: RData[] = [
    { t: 'A', address: new Uint8Array(4) },
    { t: 'AAAA', address: new Uint8Array(16) },
    { t: 'NS', target: name },
    { t: 'CNAME', target: name },
    { t: 'PTR', target: name },
    { t: 'SOA', mname: name, rname: parseName('hostmaster.example.com'), serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5 },
    { t: 'MX', preference: 10, exchange: name },
    { t: 'TXT', strings: [new Uint8Array(255), new Uint8Array(0), new Uint8Array(7)] },
    { t: 'SRV', priority: 1, weight: 2, port: 3, target: name },
    { t: 'CAA', flags: 0, tag: 'issue', value: Buffer.from('ca.example.net') },
    { t: 'OPAQUE', type: 99, data: new Uint8Array(9) },
  ];
  for (const d of cases) {
    it(d.t, () => {
      const w = new WireWriter();
      writeRData(w, d, false);
      assert.equal(rdataLength(d), w.pos - 2);
    });
  }
});
