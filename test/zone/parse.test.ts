import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { formatName } from '../../src/wire/name.js';
import { formatRData } from '../../src/wire/rdata.js';
import { parseZoneFile } from '../../src/zone/parse.js';
import { formatProblem, ZoneFileError } from '../../src/zone/problem.js';

const SEED = readFileSync(new URL('../../../zones/hello_a.net.toml', import.meta.url), 'utf8');

function problems(text: string, file = 'example.com.toml'): string[] {
  try {
    parseZoneFile(text, `zones/${file}`, file);
  } catch (e) {
    assert.ok(e instanceof ZoneFileError);
    return e.problems.map(formatProblem);
  }
  assert.fail('the file was accepted');
}

function zone(records: string, domain = '', file = 'example.com.toml') {
  const parsed = parseZoneFile(`[domain]\ndomain = "example.com"\n${domain}\n${records}`, `zones/${file}`, file);
  assert.ok(parsed.active);
  return parsed.zone;
}

const shown = (z: ReturnType<typeof zone>): string[] =>
  z.records.map((r) => `${formatName(r.owner)} ${r.ttl} ${formatRData(r.data)}`);

describe('zone files', () => {
  it('read the seed example as the seed means it', () => {
    const parsed = parseZoneFile(SEED, 'zones/hello_a.net.toml', 'hello_a.net.toml');
    assert.ok(parsed.active);
    const z = parsed.zone;
    assert.equal(formatName(z.apex), 'hello_a.net.');
    assert.deepEqual(shown(z), [
      'hello_a.net. 3600 203.100.1.1',
      'www.hello_a.net. 3600 203.100.1.1',
      'host-1.hello_a.net. 3600 203.100.1.2',
      'host-2.hello_a.net. 3600 203.100.1.3',
      'hello_a.net. 3600 10 host-1.hello_a.net.',
      'hello_a.net. 3600 20 host-2.hello_a.net.',
      'hello_a.net. 3600 "v=spf1 ip:203.100.1.2 ip:203.100.1.3 mx a -all"',
      'hello_a.net. 3600 "google-site-verification=3a13e1788d7a1c3b4602afc083e855de"',
      'hello_a.net. 3600 ns.hello_a.net.',
      'ns.hello_a.net. 3600 203.100.1.53',
    ]);
    assert.deepEqual(parsed.warnings, []);
    // Seed SOA defaults: mname ns.<domain>, rname hostmaster.<domain>, 28800/7200/604800/60.
    const soa = z.soa.data;
    assert.equal(formatRData(soa).replace(/ \d+ 28800/, ' SERIAL 28800'), 'ns.hello_a.net. hostmaster.hello_a.net. SERIAL 28800 7200 604800 60');
  });

  it('derive a serial that changes when the file changes, and is stable otherwise', () => {
    const serial = (t: string): number => {
      const p = parseZoneFile(t, 'x', 'hello_a.net.toml');
      assert.ok(p.active);
      return p.zone.soa.data.serial;
    };
    assert.equal(serial(SEED), serial(SEED));
    assert.notEqual(serial(SEED), serial(SEED + '\n# changed\n'));
    // The first 32 bits of the text's SHA-256, from the digest the caller made when it gives one.
    assert.equal(serial(SEED), Number.parseInt(createHash('sha256').update(SEED).digest('hex').slice(0, 8), 16));
    const given = parseZoneFile(SEED, 'x', 'hello_a.net.toml', undefined, `89abcdef${'0'.repeat(56)}`);
    assert.ok(given.active);
    assert.equal(given.zone.soa.data.serial, 0x89abcdef);
  });

  it('take a serial written in the file as it is, and show a dated example for one out of range', () => {
    assert.equal(zone('', 'serial = 2024010101').soa.data.serial, 2024010101);
    assert.deepEqual(problems('[domain]\ndomain = "example.com"\nserial = -1\n'), [
      'zones/example.com.toml:3: [domain] serial: -1 is not a whole number from 0 to 4294967295; write e.g. serial = 2024010101',
    ]);
  });

  it('resolve owners relative to the zone: "", "@", "www", "www.", wildcards', () => {
    const z = zone(['', '@', 'www', 'www.', '*.', '*.dev'].map((d) => `[[records]]\ndomain = "${d}"\naddress = "192.0.2.1"`).join('\n'));
    assert.deepEqual(z.records.map((r) => formatName(r.owner)), [
      'example.com.', 'example.com.', 'www.example.com.', 'www.example.com.', '*.example.com.', '*.dev.example.com.',
    ]);
  });

  it('take a type as number or mnemonic, and TTL from the record, then [defaults], then 3600', () => {
    const z = zone(`[[records]]\ntype = 15\naddress = "mx.example.com"\n[[records]]\ntype = "mx"\npreference = 5\nttl = 60\naddress = "mx2.example.com."`);
    assert.deepEqual(shown(z), ['example.com. 3600 10 mx.example.com.', 'example.com. 60 5 mx2.example.com.']);
    const d = zone('[[records]]\naddress = "192.0.2.1"', '[defaults]\nttl = 120');
    assert.equal(d.records[0].ttl, 120);
  });

  it('split TXT over 255 bytes into 255-byte strings; an array gives them explicitly', () => {
    const long = 'x'.repeat(600);
    const z = zone(`[[records]]\ntype = "TXT"\naddress = "${long}"\n[[records]]\ntype = "TXT"\naddress = ["a", "b"]`);
    const [split, explicit] = z.records.map((r) => r.data);
    assert.ok(split.t === 'TXT' && explicit.t === 'TXT');
    assert.deepEqual(split.strings.map((s) => s.length), [255, 255, 90]);
    assert.deepEqual(explicit.strings.map((s) => Buffer.from(s).toString()), ['a', 'b']);
  });

  it('read SRV and CAA with their extra fields', () => {
    const z = zone('[[records]]\ndomain = "_sip._tcp"\ntype = "SRV"\npriority = 1\nweight = 2\nport = 5060\naddress = "sip.example.com"\n' +
      '[[records]]\ntype = "CAA"\ntag = "issue"\naddress = "ca.example.net"');
    assert.deepEqual(shown(z), ['_sip._tcp.example.com. 3600 1 2 5060 sip.example.com.', 'example.com. 3600 0 issue "ca.example.net"']);
  });

  it('with active = false, are valid but not served', () => {
    const p = parseZoneFile('[domain]\ndomain = "example.com"\nactive = false', 'x', 'example.com.toml');
    assert.equal(p.active, false);
  });
});

describe('a zone file with problems', () => {
  it('is rejected when its domain differs from its file name', () => {
    assert.deepEqual(problems('[domain]\ndomain = "example.org"\n'), [
      'zones/example.com.toml:2: [domain] domain: "example.org" does not match the file name example.com.toml; rename the file to example.org.toml or fix domain',
    ]);
  });

  it('reports every problem at once, each with file, line, record, field and the fix', () => {
    const text = [
      '[domain]', 'domain = "example.com"', '', // 1-3
      '[[records]]', 'domain = "www"', 'address = "300.1.1.1"', '', // 4-7
      '[[records]]', 'type = "MX"', 'preference = "ten"', 'address = "mx.example.com"', '', // 8-12
      '[[records]]', 'type = "HINFO"', 'address = "x"', '', // 13-16
      '[[records]]', 'adress = "192.0.2.1"', // 17-18
    ].join('\n');
    assert.deepEqual(problems(text), [
      'zones/example.com.toml:6: record 1: address: "300.1.1.1" is not an IPv4 address (write it as 192.0.2.1)',
      'zones/example.com.toml:10: record 2: preference: "ten" is not a whole number from 0 to 65535; write e.g. preference = 10',
      'zones/example.com.toml:14: record 3: type: type "HINFO" is not served; use one of A, AAAA, NS, CNAME, PTR, MX, TXT, SRV, CAA (or its number)',
      'zones/example.com.toml:18: record 4: adress: unknown field; the fields here are domain, type, class, ttl, address, preference, priority, weight, port, flags, tag, health_check, check_address, failover',
      'zones/example.com.toml:17: record 4: address: missing; an A record needs an address',
    ]);
  });

  it('gives the line and column of a TOML syntax error', () => {
    assert.deepEqual(problems('[domain]\ndomain = "example.com"\n[[records]]\naddress = 192.0.2.1\n'), [
      'zones/example.com.toml:4: TOML syntax: illegal character in numeric literal (column 16)',
    ]);
  });

  it('rejects a CNAME beside other data and at the apex (RFC 1034 §3.6.2)', () => {
    const text = '[domain]\ndomain = "example.com"\n[[records]]\ndomain = "www"\naddress = "192.0.2.1"\n' +
      '[[records]]\ndomain = "www"\ntype = "CNAME"\naddress = "example.com"\n[[records]]\ntype = "CNAME"\naddress = "example.net"\n';
    assert.deepEqual(problems(text), [
      'zones/example.com.toml:8: record 2: type: www.example.com. has other records (record 1, line 3); a CNAME must be the only record at its name',
      'zones/example.com.toml:11: record 3: type: a CNAME cannot stand at the zone apex (it holds SOA and NS); use A/AAAA records there',
    ]);
  });

  it('names the line of both records of a CNAME conflict', () => {
    const text = '[domain]\ndomain = "example.com"\n[[records]]\ndomain = "www"\ntype = "CNAME"\naddress = "a.example.com"\n' +
      '[[records]]\ndomain = "www"\ntype = "CNAME"\naddress = "b.example.com"\n[[records]]\ndomain = "www"\ntype = "TXT"\naddress = "x"\n';
    assert.deepEqual(problems(text), [
      'zones/example.com.toml:9: record 2: type: www.example.com. already has a CNAME (record 1, line 5); a name has one CNAME at most',
      'zones/example.com.toml:13: record 3: type: www.example.com. has a CNAME (record 1, line 5); a name with a CNAME holds nothing else',
    ]);
  });

  it('reports the records\' problems with those of [domain] and [defaults], in one pass', () => {
    const text = '[domain]\ndomain = "example.org"\n[defaults]\nttl = "long"\n[[records]]\naddress = "300.1.1.1"\n';
    const found = problems(text);
    assert.equal(found.length, 3, found.join('\n'));
    assert.match(found[0], /\[domain\] domain: "example.org" does not match the file name example.com.toml/);
    assert.match(found[1], /\[defaults\] ttl/);
    assert.match(found[2], /:6: record 1: address: /);
  });

  it('rejects values out of range and fields that do not belong to the type', () => {
    const text = '[domain]\ndomain = "example.com"\n[[records]]\nttl = -1\npreference = 5\naddress = "192.0.2.1"\n' +
      '[[records]]\ntype = "SRV"\naddress = "sip.example.com"\n[[records]]\ntype = "TXT"\naddress = ["' + 'y'.repeat(256) + '"]\n';
    assert.deepEqual(problems(text), [
      'zones/example.com.toml:5: record 1: preference: an A record has no preference; remove it or set type = "MX"',
      'zones/example.com.toml:4: record 1: ttl: -1 is not a whole number from 0 to 2147483647; write e.g. ttl = 3600',
      'zones/example.com.toml:7: record 2: port: missing; an SRV record needs port = <0–65535>',
      'zones/example.com.toml:12: record 3: address: string 1 is 256 octets; each string in the array must be at most 255 (or give one string and it is split for you)',
    ]);
  });
});
