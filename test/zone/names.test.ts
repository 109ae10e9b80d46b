import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatName } from '../../src/wire/name.js';
import { formatRData } from '../../src/wire/rdata.js';
import { parseZoneFile } from '../../src/zone/parse.js';
import { formatProblem, ZoneFileError } from '../../src/zone/problem.js';

/** Parses a file; returns its records as `owner data` lines, or its problems. */
function load(text: string, file = 'example.com.toml'): { records: string[]; soa: string } | { problems: string[] } {
  try {
    const parsed = parseZoneFile(text, `zones/${file}`, file);
    assert.ok(parsed.active);
    return {
      records: parsed.zone.records.map((r) => `${formatName(r.owner)} ${formatRData(r.data)}`),
      soa: `${formatName(parsed.zone.apex)} ${formatRData(parsed.zone.soa.data).split(' ').slice(0, 2).join(' ')}`,
    };
  } catch (e) {
    if (!(e instanceof ZoneFileError)) throw e;
    return { problems: e.problems.map(formatProblem) };
  }
}

const file = (records: string, domain = 'domain = "example.com"'): string => `[domain]\n${domain}\n${records}`;
const record = (fields: string): string => `[[records]]\n${fields}\n`;

describe('internationalised names become IDNA A-labels, one way in every field', () => {
  const cases: { what: string; fields: string; served: string }[] = [
    { what: 'owner with Latin-1 letters', fields: 'domain = "bücher"\naddress = "192.0.2.1"', served: 'xn--bcher-kva.example.com. 192.0.2.1' },
    { what: 'owner in capitals (UTS #46 maps case)', fields: 'domain = "BÜCHER"\naddress = "192.0.2.1"', served: 'xn--bcher-kva.example.com. 192.0.2.1' },
    { what: 'owner in CJK', fields: 'domain = "中文"\naddress = "192.0.2.1"', served: 'xn--fiq228c.example.com. 192.0.2.1' },
    { what: 'owner decomposed (NFD, as macOS writes names)', fields: 'domain = "bu\u0308cher"\naddress = "192.0.2.1"', served: 'xn--bcher-kva.example.com. 192.0.2.1' },
    { what: 'wildcard above an IDN label', fields: 'domain = "*.bücher"\naddress = "192.0.2.1"', served: '*.xn--bcher-kva.example.com. 192.0.2.1' },
    { what: 'underscore labels beside an IDN label', fields: 'domain = "_sip._tcp.bücher"\ntype = "SRV"\nport = 5060\naddress = "sip.bücher.example."', served: '_sip._tcp.xn--bcher-kva.example.com. 0 0 5060 sip.xn--bcher-kva.example.' },
    { what: 'ASCII labels as written', fields: 'domain = "_dmarc.Mail"\ntype = "TXT"\naddress = "v=DMARC1"', served: '_dmarc.Mail.example.com. "v=DMARC1"' },
    { what: 'an escape still gives a raw octet', fields: 'domain = "b\\\\252cher"\naddress = "192.0.2.1"', served: 'b\\252cher.example.com. 192.0.2.1' },
    { what: 'MX exchange', fields: 'type = "MX"\naddress = "mail.bücher.example."', served: 'example.com. 10 mail.xn--bcher-kva.example.' },
    { what: 'CNAME target', fields: 'domain = "www"\ntype = "CNAME"\naddress = "中文.example."', served: 'www.example.com. xn--fiq228c.example.' },
    { what: 'NS target', fields: 'domain = "sub"\ntype = "NS"\naddress = "ns.bücher.example."', served: 'sub.example.com. ns.xn--bcher-kva.example.' },
    { what: 'PTR target', fields: 'domain = "1.2"\ntype = "PTR"\naddress = "bücher.example."', served: '1.2.example.com. xn--bcher-kva.example.' },
  ];
  for (const c of cases) {
    it(c.what, () => assert.deepEqual(load(file(record(c.fields))), { records: [c.served], soa: 'example.com. ns.example.com. hostmaster.example.com.' }));
  }

  it('SOA names and the zone name itself; the file may be named either way', () => {
    const text = file('', 'domain = "bücher.de"\nsoa = "ns.bücher.de."\nrname = "höstmaster.bücher.de."');
    const want = { records: [], soa: 'xn--bcher-kva.de. ns.xn--bcher-kva.de. xn--hstmaster-07a.xn--bcher-kva.de.' };
    assert.deepEqual(load(text, 'bücher.de.toml'), want);
    assert.deepEqual(load(text, 'xn--bcher-kva.de.toml'), want);
    assert.deepEqual(load(file('', 'domain = "xn--bcher-kva.de"'), 'bücher.de.toml'), { records: [], soa: 'xn--bcher-kva.de. ns.xn--bcher-kva.de. hostmaster.xn--bcher-kva.de.' });
  });
});

describe('names that cannot be served are rejected, with the limit and what to write', () => {
  const long63 = 'a'.repeat(63);
  const cases: { what: string; text: string; file?: string; problems: string[] }[] = [
    {
      what: 'a label that UTS #46 refuses (a joiner)',
      text: file(record('domain = "a\u200db"\naddress = "192.0.2.1"')),
      problems: ['zones/example.com.toml:4: record 1: domain: label "a\u200db" in "a\u200db" is not a valid internationalised label (UTS #46 refuses it: a symbol, a joiner or a character not allowed in names); write its A-label (xn--…) or an ASCII name; write a name relative to the zone such as "www" or "*.dev"'],
    },
    {
      what: 'a URL delimiter beside non-ASCII letters (domainToASCII would cut the label there)',
      text: file(record('type = "MX"\naddress = "mail.ü/x.example."')),
      problems: ['zones/example.com.toml:5: record 1: address: label "ü/x" in "mail.ü/x.example." has non-ASCII letters and "/"; an internationalised label holds letters, digits and hyphens only; write an absolute name such as "host-1.example.com."'],
    },
    {
      what: 'fullwidth digits, which UTS #46 reads as an IPv4 address',
      text: file(record('domain = "１２３"\naddress = "192.0.2.1"')),
      problems: ['zones/example.com.toml:4: record 1: domain: label "１２３" in "１２３" is not a valid internationalised label (UTS #46 refuses it: a symbol, a joiner or a character not allowed in names); write its A-label (xn--…) or an ASCII name; write a name relative to the zone such as "www" or "*.dev"'],
    },
    {
      what: 'an IDN label whose A-label is over 63 octets',
      text: file(record(`domain = "${'ü'.repeat(60)}"\naddress = "192.0.2.1"`)),
      problems: [`zones/example.com.toml:4: record 1: domain: label "${'ü'.repeat(60)}" in "${'ü'.repeat(60)}" is xn--tda${'a'.repeat(59)} in IDNA form, 66 octets; a label holds at most 63 (RFC 1035 §2.3.4): shorten it`],
    },
    {
      what: 'an ASCII label over 63 octets',
      text: file(record(`type = "CNAME"\ndomain = "x"\naddress = "${long63}b.example."`)),
      problems: [`zones/example.com.toml:6: record 1: address: label "${long63}b" in "${long63}b.example." is 64 octets; a label holds at most 63 (RFC 1035 §2.3.4): shorten it`],
    },
    {
      what: 'an owner that makes the name over 255 octets with the zone',
      text: file(record(`domain = "${[long63, long63, long63, 'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuv'].join('.')}"\naddress = "192.0.2.1"`)),
      problems: [`zones/example.com.toml:4: record 1: domain: ${[long63, long63, long63, 'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuv'].join('.')}.example.com. is 264 octets in wire form; a name holds at most 255 (RFC 1035 §2.3.4): shorten the owner`],
    },
    {
      what: 'a target over 255 octets',
      text: file(record(`type = "MX"\naddress = "${[long63, long63, long63, long63].join('.')}"`)),
      problems: [`zones/example.com.toml:5: record 1: address: "${[long63, long63, long63, long63].join('.')}" is 257 octets in wire form; a name holds at most 255 (RFC 1035 §2.3.4): use fewer or shorter labels`],
    },
    {
      what: 'a file name that is no domain name (it used to escape as a WireError and stop the server)',
      text: file(''),
      file: 'a..b.toml',
      problems: ['zones/a..b.toml:2: [domain] domain: "example.com" does not match the file name a..b.toml; rename the file to example.com.toml or fix domain'],
    },
    {
      what: 'a file name with characters IDNA refuses',
      text: file(''),
      file: 'exa mple.com.toml',
      problems: ['zones/exa mple.com.toml:2: [domain] domain: "example.com" does not match the file name exa mple.com.toml; rename the file to example.com.toml or fix domain'],
    },
    {
      what: 'the file name of an IDN zone: the A-label is suggested',
      text: file('', 'domain = "bücher.de"'),
      file: 'buecher.de.toml',
      problems: ['zones/buecher.de.toml:2: [domain] domain: "bücher.de" does not match the file name buecher.de.toml; rename the file to xn--bcher-kva.de.toml or fix domain'],
    },
  ];
  for (const c of cases) {
    it(c.what, () => assert.deepEqual(load(c.text, c.file), { problems: c.problems }));
  }
});
