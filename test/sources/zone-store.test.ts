import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstCharactersOf, holdsZoneOtherwise } from '../../src/sources/zone-store.js';

describe('zone-store: the files that hold a zone under another name than the API addresses', () => {
  const cases: [file: string, domain: string, holds: boolean][] = [
    ['example.com.toml', 'example.com', false], // its own file
    ['Example.COM.toml', 'example.com', true],
    ['example.org.toml', 'example.com', false],
    ['Bücher.de.toml', 'xn--bcher-kva.de', true],
    ['bu\u0308cher.de.toml', 'xn--bcher-kva.de', true], // decomposed (NFD): IDNA composes it
    ['XN--BCHER-KVA.de.toml', 'xn--bcher-kva.de', true],
    ['bücher.de.toml', 'bucher.de', false],
    ['.Example.com.toml', 'example.com', false], // a dot file: no zone file
    ['Example.com.txt', 'example.com', false],
  ];
  for (const [file, domain, holds] of cases) {
    it(`${file} ${holds ? 'holds' : 'does not hold'} ${domain}${holds ? ', and a listing by its first character finds it' : ''}`, () => {
      assert.equal(holdsZoneOtherwise(file, domain), holds);
      if (holds) assert.ok(firstCharactersOf(domain).some((c) => file.startsWith(c)), firstCharactersOf(domain).join(' '));
    });
  }
  it('first characters: the name\'s in both cases, and the U-label\'s composed and decomposed', () => {
    assert.deepEqual(firstCharactersOf('example.com'), ['e', 'E']);
    assert.deepEqual(firstCharactersOf('xn--tda.de').sort(), ['U', 'u', 'X', 'x', 'Ü', 'ü'].sort());
  });
});
