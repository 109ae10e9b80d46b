import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseZoneFile } from '../../src/zone/parse.js';
import { formatProblem } from '../../src/zone/problem.js';

const NS = '[[records]]\ntype = "NS"\naddress = "ns1.example.net."\n'; // records 1, lines 4-6

/** The warnings of a file that loads (with an apex NS unless `ns` is false). */
function warnings(records: string, ns = true, soa = 'soa = "ns1.example.net."'): string[] {
  const parsed = parseZoneFile(`[domain]\ndomain = "example.com"\n${soa}\n${ns ? NS : ''}${records}`, 'zones/example.com.toml', 'example.com.toml');
  assert.ok(parsed.active, 'the zone still loads');
  return parsed.warnings.map(formatProblem);
}

const cname = (owner: string, target: string): string => `[[records]]\ndomain = "${owner}"\ntype = "CNAME"\naddress = "${target}"\n`;

describe('zones that load but will not work as meant give warnings with file, line, record and field', () => {
  const cases: { what: string; records: string; ns?: boolean; warnings: string[] }[] = [
    {
      what: 'an MX exchange that is a CNAME (RFC 2181 §10.3)',
      records: cname('mail', 'mx.example.net.') + '[[records]]\ntype = "MX"\naddress = "mail.example.com."\n',
      warnings: ['zones/example.com.toml:13: record 3: address: mail.example.com. is an alias (the CNAME of record 2), and RFC 2181 §10.3 says an MX target must not be one; write the name it leads to, mx.example.net., or give mail.example.com. A/AAAA records instead of the CNAME'],
    },
    {
      what: 'an NS target that is a CNAME (RFC 2181 §10.3)',
      records: cname('ns', 'host.example.net.') + '[[records]]\ndomain = "sub"\ntype = "NS"\naddress = "NS.example.com"\n',
      warnings: ['zones/example.com.toml:14: record 3: address: NS.example.com. is an alias (the CNAME of record 2), and RFC 2181 §10.3 says an NS target must not be one; write the name it leads to, host.example.net., or give NS.example.com. A/AAAA records instead of the CNAME'],
    },
    {
      what: 'an SRV target that is a CNAME (RFC 2782)',
      records: cname('sip', 'pbx.example.net.') + '[[records]]\ndomain = "_sip._udp"\ntype = "SRV"\nport = 5060\naddress = "sip.example.com."\n',
      warnings: ['zones/example.com.toml:15: record 3: address: sip.example.com. is an alias (the CNAME of record 2), and RFC 2782 says an SRV target must not be one; write the name it leads to, pbx.example.net., or give sip.example.com. A/AAAA records instead of the CNAME'],
    },
    {
      what: 'a CNAME to itself',
      records: cname('self', 'self.example.com.'),
      warnings: ['zones/example.com.toml:10: record 2: address: CNAME loop: self.example.com. → self.example.com.; resolvers answer SERVFAIL for these names: point one of them at a name that has data'],
    },
    {
      what: 'a loop of three, reported once at its first record in the file, and a chain into it not as a loop',
      records: cname('into', 'b.example.com.') + cname('c', 'a.example.com.') + cname('a', 'b.example.com.') + cname('b', 'c.example.com.'),
      warnings: ['zones/example.com.toml:14: record 3: address: CNAME loop: c.example.com. → a.example.com. → b.example.com. → c.example.com.; resolvers answer SERVFAIL for these names: point one of them at a name that has data'],
    },
    {
      what: 'a long chain that ends in data is no loop',
      records: cname('a', 'b.example.com.') + cname('b', 'c.example.com.') + '[[records]]\ndomain = "c"\naddress = "192.0.2.1"\n',
      warnings: [],
    },
    {
      what: 'a zone without NS at its apex (RFC 1034 §4.2.1)',
      records: '[[records]]\naddress = "192.0.2.1"\n',
      ns: false,
      warnings: ['zones/example.com.toml:2: [domain] domain: the zone has no NS records at its apex (RFC 1034 §4.2.1: resolvers and the parent zone look for them); add one [[records]] per name server: domain = "@", type = "NS", address = "ns1.example.com."'],
    },
  ];
  for (const c of cases) it(c.what, () => assert.deepEqual(warnings(c.records, c.ns ?? true), c.warnings));

  it('an SOA MNAME in the zone with no address (RFC 1996 §2), as the seed\'s default ns.<domain> often is', () => {
    const mname = 'zones/example.com.toml:1: [domain] soa: the SOA names ns.example.com. as the primary name server, and the zone has no address for it; add its A or AAAA record, or write soa = "<the primary\'s name>."';
    assert.deepEqual(warnings('', true, '# no soa: ns.example.com.'), [mname]);
    assert.deepEqual(warnings('[[records]]\ndomain = "ns"\naddress = "192.0.2.53"\n', true, '# no soa: ns.example.com.'), []);
    assert.deepEqual(warnings('', true, 'soa = "ns1.example.net."'), [], 'out of the zone: not ours to check');
  });

  it('none for the example zones', () => {
    for (const f of ['example.com.toml', 'hello_a.net.toml']) {
      const text = readFileSync(new URL(`../../../zones/${f}`, import.meta.url), 'utf8');
      const parsed = parseZoneFile(text, f, f);
      assert.deepEqual(parsed.warnings, [], f);
    }
  });
});
