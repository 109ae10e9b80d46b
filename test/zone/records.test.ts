import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from '../helpers/random.js';
import { TYPE } from '../../src/wire/constants.js';
import type { Name } from '../../src/wire/name.js';
import { buildRecord, plainRecord, type RecordDefaults } from '../../src/zone/records.js';
import { parseZoneToml, TablesOnDemand } from '../../src/zone/toml.js';

const APEX: Name = ['example', 'com'];
const DEFAULTS: RecordDefaults = { ttl: 3600, type: TYPE.A, class: 1 };

/** The record of a file holding `lines` as its one [[records]] table, as the quick reader reads it. */
function tables(lines: string): TablesOnDemand {
  const records = parseZoneToml(`[domain]\ndomain = "example.com"\n\n[[records]]\n${lines}\n`).records;
  assert.ok(records instanceof TablesOnDemand, `not read on the quick path:\n${lines}`);
  return records;
}

/** What buildRecord makes of the record's table, and what it reports. */
function built(t: TablesOnDemand, defaults: RecordDefaults) {
  const problems: string[] = [];
  const rec = buildRecord(t.at(0), APEX, defaults, (field, message) => problems.push(`${field}: ${message}`));
  return { rec, problems };
}

describe('records: a plain record is read straight from its lines, as buildRecord reads its table', () => {
  // [the record's lines, plain: read by plainRecord; else left to buildRecord, which reads the table]
  const cases: [lines: string, plain: boolean, defaults?: Partial<RecordDefaults>][] = [
    ['domain = "www"\naddress = "192.0.2.1"', true],
    ['domain = "@"\ntype = "AAAA"\nttl = 60\naddress = "2001:db8::1"', true],
    ['domain = ""\ntype = "NS"\naddress = "ns1.example.com."', true],
    ['domain = "web"\ntype = "CNAME"\naddress = "www.example.com."', true],
    ['domain = "1.2"\ntype = "PTR"\naddress = "host.example.com."', true],
    ['domain = ""\ntype = "MX"\naddress = "mail.example.com."', true],
    ['domain = ""\ntype = "MX"\npreference = 20\naddress = "mail.example.com."', true],
    ['domain = ""\ntype = "TXT"\naddress = "v=spf1 -all"', true],
    ['type = 28\naddress = "2001:db8::2"', true],
    ['domain = "*.dev"\naddress = "192.0.2.9"', true],
    ['domain = "bücher"\naddress = "192.0.2.10"', true],
    ['domain = "www."\naddress = "192.0.2.11"\nttl = 0', true],
    ['domain = "www"\naddress = "2001:db8::3"', true, { type: 'AAAA' }],
    ['domain = "www"\naddress = "192.0.2.1"', true, { class: 'IN' }],
    // Left to buildRecord: other fields, types and forms, and every wrong one (it says what is wrong).
    ['domain = "www"\nclass = "IN"\naddress = "192.0.2.1"', false],
    ['domain = "www"\ntype = "a"\naddress = "192.0.2.1"', false],
    ['domain = "www"\naddress = "192.0.2.1"', false, { type: 'aaaa' }],
    ['domain = "www"\naddress = "192.0.2.1"', false, { class: 'ch' }],
    ['domain = "_sip._tcp"\ntype = "SRV"\nport = 5060\naddress = "sip.example.com."', false],
    ['domain = ""\ntype = "CAA"\nflags = 0\ntag = "issue"\naddress = "ca.example"', false],
    ['domain = ""\ntype = "TXT"\naddress = ["a", "b"]', false],
    ['domain = "www"\naddress = "192.0.2.1"\nhealth_check = "web"', false],
    ['domain = "www"\npreference = 10\naddress = "192.0.2.1"', false],
    ['domain = "www"\naddress = "192.0.2.256"', false],
    ['domain = "www"\ntype = "AAAA"\naddress = "2001:db8::g"', false],
    ['domain = "www"\naddress = "192.0.2.1"\nttl = -1', false],
    ['domain = "www"\naddress = "192.0.2.1"\nttl = 1.5', false],
    ['domain = "www"\naddress = "192.0.2.1"\nttl = 2147483648', false],
    ['domain = 7\naddress = "192.0.2.1"', false],
    ['domain = "a..b"\naddress = "192.0.2.1"', false],
    ['domain = "www"', false],
    ['domain = "www"\naddress = 1', false],
    ['domain = ""\ntype = "MX"\npreference = 65536\naddress = "mail.example.com."', false],
    ['domain = ""\ntype = "CNAME"\naddress = "bad..name."', false],
    ['domain = "www"\ntype = "SOA"\naddress = "x"', false],
    ['domain = "www"\nadress = "192.0.2.1"', false],
  ];
  for (const [lines, plain, d] of cases) {
    const defaults = { ...DEFAULTS, ...d };
    it(`${plain ? 'plain' : 'left to buildRecord'}: ${lines.replaceAll('\n', '; ')}${d ? ` (defaults ${JSON.stringify(d)})` : ''}`, () => {
      const t = tables(lines);
      const quick = plainRecord(t, 0, APEX, defaults);
      const slow = built(t, defaults);
      if (plain) {
        assert.deepStrictEqual(slow.problems, []);
        assert.deepStrictEqual(quick, slow.rec);
      } else {
        assert.equal(quick, undefined);
      }
    });
  }

  it('agrees with buildRecord on thousands of random records: the same record, or left to it', () => {
    // Every run checks the same records.
    const random = mulberry32(20261201);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
    const VALUES: Record<string, readonly string[]> = {
      domain: ['"www"', '"@"', '""', '"*.dev"', '"a.b."', '"Mixed.Case"', '"bücher"', '"a..b"', '"-x"', '7', '"x_y"'],
      type: ['"A"', '"AAAA"', '"NS"', '"CNAME"', '"PTR"', '"MX"', '"TXT"', '"SRV"', '"a"', '"SOA"', '1', '28', '15', 'true'],
      ttl: ['0', '60', '3600', '2147483647', '2147483648', '-1', '1.5', '"60"'],
      address: ['"192.0.2.1"', '"192.0.2.256"', '"2001:db8::1"', '"::ffff:192.0.2.1"', '"host.example.com."', '"mail"', '"v=spf1 -all"', '""', '["a", "b"]', '5'],
      preference: ['10', '0', '65535', '65536', '"10"'],
      class: ['"IN"', '1', '"CH"'],
      port: ['53'],
      health_check: ['"web"'],
    };
    const KEYS = Object.keys(VALUES);
    let plain = 0;
    for (let i = 0; i < 3000; i++) {
      const keys = new Set<string>(['domain', 'address']);
      while (random() < 0.6) keys.add(pick(KEYS));
      const lines = [...keys].map((k) => `${k} = ${pick(VALUES[k])}`).join('\n');
      const defaults: RecordDefaults = { ttl: 300, type: pick([TYPE.A, 'AAAA', 'mx', 'MX']), class: pick([1, 'IN', 'in']) };
      const t = tables(lines);
      const quick = plainRecord(t, 0, APEX, defaults);
      if (quick === undefined) continue;
      plain++;
      const slow = built(t, defaults);
      assert.deepStrictEqual(slow.problems, [], `plain, but buildRecord finds problems:\n${lines}`);
      assert.deepStrictEqual(quick, slow.rec, `not as buildRecord builds it:\n${lines}`);
    }
    assert.ok(plain >= 200, `only ${plain} of 3,000 random records were plain: too few to compare`);
  });
});
