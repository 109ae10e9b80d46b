import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatProblem, ZoneFileError } from '../../src/zone/problem.js';
import { decodeZoneText, utf8Octets, zoneTextOf } from '../../src/zone/text.js';

/** The problems `check` reports for these bytes, or [] when it takes them. */
function problems(check: (bytes: Uint8Array, origin: string) => unknown, bytes: Buffer): string[] {
  try {
    check(bytes, 'zones/example.com.toml');
    return [];
  } catch (e) {
    assert.ok(e instanceof ZoneFileError);
    return e.problems.map(formatProblem);
  }
}

const HEAD = Buffer.from('[domain]\ndomain = "example.com"\n[[records]]\ntype = "TXT"\n');
const txt = (...value: (string | number[])[]): Buffer =>
  Buffer.concat([HEAD, Buffer.from('address = "'), ...value.map((v) => (typeof v === 'string' ? Buffer.from(v) : Buffer.from(v))), Buffer.from('"\n')]);
const at5 = (excerpt: string): string[] => [
  `zones/example.com.toml:5: not UTF-8: bytes that are no character, shown as \uFFFD in "${excerpt}"; save the file as UTF-8 (a zone file is TOML, which is UTF-8)`,
];

describe('a zone file that is not UTF-8 is rejected, naming the line', () => {
  const cases: { what: string; bytes: Buffer; problems: string[] }[] = [
    { what: 'UTF-8 with letters, CJK and an emoji', bytes: txt('bücher 中文 💩'), problems: [] },
    { what: 'a Latin-1 ü (0xFC), as an editor set to ISO-8859-1 writes it', bytes: txt('b', [0xfc], 'cher'), problems: at5('address = "b\uFFFDcher"') },
    { what: 'a stray continuation byte', bytes: txt('a', [0x80], 'b'), problems: at5('address = "a\uFFFDb"') },
    { what: 'an overlong encoding of "/"', bytes: txt([0xc0, 0xaf]), problems: at5('address = "\uFFFD\uFFFD"') },
    { what: 'an encoded UTF-16 surrogate', bytes: txt([0xed, 0xa0, 0x80]), problems: at5('address = "\uFFFD\uFFFD\uFFFD"') },
    { what: 'a sequence cut short by the end of the line', bytes: txt([0xe2, 0x82]), problems: at5('address = "\uFFFD"') },
    {
      what: 'a sequence cut short by the end of the file',
      bytes: Buffer.concat([HEAD, Buffer.from([0xe2])]),
      problems: ['zones/example.com.toml:5: not UTF-8: bytes that are no character, shown as \uFFFD in "\uFFFD"; save the file as UTF-8 (a zone file is TOML, which is UTF-8)'],
    },
  ];
  for (const c of cases) {
    it(c.what, () => assert.deepEqual(problems(decodeZoneText, c.bytes), c.problems));
    // A large file's octets are checked where they are read and decoded where they are compiled.
    it(`${c.what}: the octets' check says the same`, () => assert.deepEqual(problems(utf8Octets, c.bytes), c.problems));
  }

  it('decodes valid UTF-8 to the same text Buffer#toString gives (a BOM stays)', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), txt('bücher')]);
    assert.equal(decodeZoneText(bytes, 'x'), bytes.toString('utf8'));
    assert.equal(zoneTextOf(utf8Octets(bytes, 'x'), 'x'), bytes.toString('utf8'));
  });
});
