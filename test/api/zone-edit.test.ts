import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'smol-toml';
import { applyChanges, type RRsetChange } from '../../src/api/rrsets.js';
import { editedZoneText } from '../../src/api/zone-edit.js';
import { zoneDoc, type ZoneDoc } from '../../src/api/zone-json.js';

/** A hand-written file: comments above tables, after values, between sections, at the end. */
const HAND_WRITTEN = `# shop.test: edited by hand and by the API
version = 1

[domain]
domain = "shop.test"
serial = 2026120101 # raised by the API on each PATCH
created = 2021-05-27T07:32:00Z

[defaults]
ttl = 3600

# name servers
[[records]]
domain = "@"
type = "NS"
address = "ns1.shop.test."

[[records]]
domain = "ns1"
address = "192.0.2.53"

# the web front: two boxes
[[records]]
domain = "www"
address = "192.0.2.10" # old box
[[records]]
domain = "www"
address = "192.0.2.11"

# end of zone
`;

const nextSerial = (doc: ZoneDoc): ZoneDoc => ({ ...doc, domain: { ...(doc.domain as object), serial: ((doc.domain as { serial: number }).serial) + 1 } });

interface Case {
  what: string;
  text: string;
  changes: RRsetChange[];
  serial?: boolean;
  /** The file written; undefined: not edited (written as canonical TOML instead). */
  expected: string | undefined;
}

const wwwReplaced = HAND_WRITTEN
  .replace('# the web front: two boxes\n[[records]]\ndomain = "www"\naddress = "192.0.2.10" # old box\n[[records]]\ndomain = "www"\naddress = "192.0.2.11"\n',
    '[[records]]\ndomain = "www"\ntype = "A"\nttl = 300\naddress = "192.0.2.20"\n')
  .replace('2026120101', '2026120102');

const CASES: Case[] = [
  {
    what: 'REPLACE: the RRset\'s tables and the comment right above them go, the new ones take their place; the serial is raised in its line',
    text: HAND_WRITTEN,
    changes: [{ name: 'www.shop.test.', type: 'A', ttl: 300, changetype: 'REPLACE', records: [{ content: '192.0.2.20' }] }],
    serial: true,
    expected: wwwReplaced,
  },
  {
    what: 'PRUNE: one table of two goes, with its trailing comment; the other keeps the comment above the RRset',
    text: HAND_WRITTEN,
    changes: [{ name: 'www.shop.test.', type: 'A', changetype: 'PRUNE', records: [{ content: '192.0.2.11' }] }],
    expected: HAND_WRITTEN.replace('address = "192.0.2.10" # old box\n[[records]]\ndomain = "www"\naddress = "192.0.2.11"\n', 'address = "192.0.2.10" # old box\n'),
  },
  {
    what: 'EXTEND: the new record after the last table, before the comment that ends the file',
    text: HAND_WRITTEN,
    changes: [{ name: 'shop.test.', type: 'MX', ttl: 600, changetype: 'EXTEND', records: [{ content: '10 mail.shop.test.' }] }],
    expected: HAND_WRITTEN.replace('address = "192.0.2.11"\n', 'address = "192.0.2.11"\n\n[[records]]\ndomain = "@"\ntype = "MX"\nttl = 600\npreference = 10\naddress = "mail.shop.test."\n'),
  },
  {
    what: 'DELETE of the first table: the blank line after it goes too, the section comment above it stays',
    text: HAND_WRITTEN.replace('# name servers\n', '# name servers\n\n'),
    changes: [{ name: 'shop.test.', type: 'NS', changetype: 'DELETE', records: [] }],
    expected: HAND_WRITTEN.replace('# name servers\n[[records]]\ndomain = "@"\ntype = "NS"\naddress = "ns1.shop.test."\n\n', '# name servers\n\n'),
  },
  {
    what: 'DELETE of every record of a file ending with one: no blank line left at the end',
    text: 'version = 1\n\n[domain]\ndomain = "shop.test"\n\n[[records]]\ndomain = "www"\naddress = "192.0.2.10"\n',
    changes: [{ name: 'www.shop.test.', type: 'A', changetype: 'DELETE', records: [] }],
    expected: 'version = 1\n\n[domain]\ndomain = "shop.test"\n',
  },
  {
    what: 'a file without records gets its first at the end',
    text: '[domain]\ndomain = "shop.test" # no records yet\n',
    changes: [{ name: 'www.shop.test.', type: 'TXT', changetype: 'REPLACE', records: [{ content: '"a b" "c"' }] }],
    expected: '[domain]\ndomain = "shop.test" # no records yet\n\n[[records]]\ndomain = "www"\ntype = "TXT"\naddress = [ "a b", "c" ]\n',
  },
  {
    what: 'tables of another array between the records stay where they are',
    text: '[domain]\ndomain = "shop.test"\n\n[[records]]\ndomain = "a"\naddress = "192.0.2.1"\n\n[[health_checks]]\nname = "web"\ntype = "tcp"\nport = 80\n\n[[records]]\ndomain = "b"\naddress = "192.0.2.2"\n',
    changes: [{ name: 'a.shop.test.', type: 'A', changetype: 'DELETE', records: [] }, { name: 'c.shop.test.', type: 'A', changetype: 'EXTEND', records: [{ content: '192.0.2.3' }] }],
    expected: '[domain]\ndomain = "shop.test"\n\n[[health_checks]]\nname = "web"\ntype = "tcp"\nport = 80\n\n[[records]]\ndomain = "b"\naddress = "192.0.2.2"\n\n[[records]]\ndomain = "c"\ntype = "A"\naddress = "192.0.2.3"\n',
  },
  {
    what: 'a file outside plain TOML (a multi-line string) is not edited',
    text: '[domain]\ndomain = "shop.test"\nnote = """\ntwo lines\n"""\n\n[[records]]\ndomain = "a"\naddress = "192.0.2.1"\n',
    changes: [{ name: 'a.shop.test.', type: 'A', changetype: 'DELETE', records: [] }],
    expected: undefined,
  },
  {
    what: 'a file with CRLF line ends is not edited',
    text: '[domain]\r\ndomain = "shop.test"\r\n\r\n[[records]]\r\ndomain = "a"\r\naddress = "192.0.2.1"\r\n',
    changes: [{ name: 'a.shop.test.', type: 'A', changetype: 'DELETE', records: [] }],
    expected: undefined,
  },
];

describe('a PATCH edits the zone file where the change lies: every other line, comment and date kept', () => {
  for (const c of CASES) {
    it(c.what, () => {
      const before = zoneDoc(c.text);
      let after = applyChanges(before, 'shop.test', c.changes);
      if (c.serial) after = nextSerial(after);
      const edited = editedZoneText(c.text, before, after);
      assert.equal(edited, c.expected);
      if (edited === undefined) return;
      // Read by smol-toml, the general parser, it is the change applied.
      const reread = JSON.parse(JSON.stringify(parse(edited))) as ZoneDoc;
      assert.deepEqual(reread.records ?? [], after.records);
      assert.deepEqual(reread.domain, after.domain);
    });
  }

  it('an edit that would not read back as the change is not made', () => {
    const before = zoneDoc(HAND_WRITTEN);
    // A change to what the edit never touches (here [defaults]) cannot be made by editing records and the serial.
    const after = { ...applyChanges(before, 'shop.test', []), defaults: { ttl: 60 } };
    assert.equal(editedZoneText(HAND_WRITTEN, before, after), undefined);
  });
});
