import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { mulberry32 } from '../helpers/random.js';
import { parse, TomlDate, TomlError } from 'smol-toml';
import { parseZoneToml, readPlainToml, TablesOnDemand } from '../../src/zone/toml.js';

const root = new URL('../../../', import.meta.url);
const ZONES = readdirSync(new URL('zones/', root)).map((f) => readFileSync(new URL(`zones/${f}`, root), 'utf8'));
const HEAD_OF = '[domain]\ndomain = "example.com"\n\n';
const EDGE = readFileSync(new URL('test/fixtures/edge.test.toml', root), 'utf8');

/** The keys of every table, in order, and the prototype of each: what deepStrictEqual leaves out. */
function layout(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(layout);
  if (typeof v !== 'object' || v === null) return typeof v;
  // What a TomlDate keeps in private fields shows in these.
  if (v instanceof TomlDate) return { proto: Object.getPrototypeOf(v), iso: v.toISOString(), date: v.isDate(), time: v.isTime(), local: v.isLocal() };
  return { proto: Object.getPrototypeOf(v), entries: Object.entries(v).map(([k, x]) => [k, layout(x)]) };
}

/** What smol-toml makes of `text`: the document, or its error's message, line and column. */
function outcome(read: (text: string) => unknown, text: string): unknown {
  try {
    const doc = read(text);
    return { doc, layout: layout(doc) };
  } catch (e) {
    assert.ok(e instanceof TomlError, `${(e as Error).message}`);
    return { error: e.message, line: e.line, column: e.column };
  }
}

/** The document with its tables read on demand read, in their place: as smol-toml reads it. */
function withTables(doc: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  for (const [key, v] of Object.entries(doc ?? {})) {
    if (v instanceof TablesOnDemand) doc![key] = Array.from({ length: v.length }, (_, i) => v.at(i));
  }
  return doc;
}

/** The document read on the quick path with its [[records]] tables read on demand, then read. */
const onDemand = (text: string): unknown => withTables(readPlainToml(text, 'records'));

/**
 * Read on the quick path, and the same as smol-toml, to the order of keys and the prototypes, with
 * the [[records]] tables read at once or on demand.
 */
function assertPlain(text: string): void {
  const doc = readPlainToml(text);
  assert.ok(doc !== undefined, `not read on the quick path:\n${text}`);
  assert.deepStrictEqual(outcome(() => doc, text), outcome(parse, text));
  assert.deepStrictEqual(outcome(onDemand, text), outcome(parse, text));
}

/** Left to smol-toml, with the same result or error. */
function assertLeft(text: string): void {
  assert.equal(readPlainToml(text), undefined, `read on the quick path:\n${text}`);
  assert.equal(readPlainToml(text, 'records'), undefined, `read on the quick path, [[records]] on demand:\n${text}`);
  assert.deepStrictEqual(outcome(parseZoneToml, text), outcome(parse, text));
}

describe('the TOML of zone files', () => {
  it('reads the zone files\' part of TOML as smol-toml does', () => {
    const inside = [
      '',
      '\n\n',
      '# only a comment',
      'version = 1.0\n',
      'version = 1.0',
      '[domain]\ndomain = "example.com"\nactive = true\nverified = false\n',
      '[domain]\ndomain = "example.com"\n[defaults]\nttl = 3600\ntype = "A"\nclass = 1\n',
      '[[records]]\ndomain = ""\naddress = "10.0.0.1"\n[[records]]\ndomain = "www"\naddress = "10.0.0.2"\n',
      // Keys in the order they first appear, records after them in theirs.
      'version = 1.0\n[[records]]\naddress = "a"\n[domain]\ndomain = "x"\n[[records]]\ntype = "MX"\n',
      // Integers: zero, negative zero (0 in smol-toml), negative, 15 digits.
      'a = 0\nb = -0\nc = -7\nd = 7\ne = 123456789012345\nf = -123456789012345\ng = 4294967296\n',
      // Fractions, -0.0 kept negative, as parseFloat reads them.
      'a = 0.1\nb = -0.0\nc = 1.0\nd = 3.14159265358979323846\ne = 0.2\nf = -12.50\n',
      // Arrays on one line: strings, integers, a trailing comma, empty, mixed, spaces and tabs.
      'allow_transfer = ["192.0.2.1", "2001:db8::/32"]\nnotify = []\nexpect = [200,204]\nx = [ 1 , "a",\ttrue, 0.5, ]\ny = [ ]\n',
      // Comments after values and headers, indentation, tabs, keys without spaces.
      '  [domain]   # the zone\n\tdomain\t=\t"example.com"# name\nttl=60 #\n#\n   \n[[records]] #r\n',
      // Strings with #, =, [, quotes of the other kind, tabs and non-ASCII text.
      'a = "v=spf1 mx -all # not a comment"\nb = "[x]"\nc = "it\'s"\nd = "bücher.de"\ne = "a\tb"\nf = "中文 😀"\n',
      // Bare keys: digits, dashes, underscores, keys named like Object.prototype's.
      'a-b = 1\n_c = 2\n123 = 3\n-x = 4\nconstructor = 5\ntoString = "x"\nhasOwnProperty = true\n',
      '[domain]\ndomain = "z0.scale"\n[constructor]\nx = 1\n[[toString]]\n',
      'a = 1\n[b]\nc = 2',
      // Keys that differ only in length or in one character, a key again in the next table.
      '[[records]]\nab = 1\nb = 2\nba = 3\nabc = 4\n[[records]]\nab = 5\n',
      'a = true\nb = false #x',
      'a = "#"',
      '# ü: a comment with non-ASCII text\na = 1\n',
      // The seed's dates: UTC date-times, alone or in an array.
      '[domain]\ncreated = 2021-05-27T07:32:00Z\nmodified = 1979-12-31T23:59:59Z # x\nd = [2000-02-29T00:00:00Z]\n',
    ];
    for (const text of inside) assertPlain(text);
  });

  it('reads the shipped zone files and the benchmark\'s kind of file on the quick path', () => {
    for (const text of ZONES) assertPlain(text);
    // As bench/'s generated zones (20,000 of them for a million records) are written.
    const hosts = Array.from({ length: 50 }, (_, i) => `[[records]]\ndomain = "h${i}"\naddress = "10.0.0.${i}"\n`);
    assertPlain(`version = 1.0\n\n[domain]\ndomain = "z0.scale"\nactive = true\n\n[defaults]\nttl = 3600\n\n${hosts.join('\n')}`);
  });

  it('reads the [[records]] tables when asked for, each time from the text, or scans their pairs without a table made', () => {
    assert.ok(parseZoneToml(`${HEAD_OF}[[records]]\ndomain = "a"\n`).records instanceof TablesOnDemand, 'records read on demand');
    const text = '[[records]]\ndomain = "a"\n[domain]\ndomain = "example.com"\n[[records]]\n# r\ndomain = "b"\nttl = 60\n\n[[health_checks]]\nname = "web"\n';
    const doc = readPlainToml(text, 'records')!;
    assert.deepStrictEqual(Object.keys(doc), ['records', 'domain', 'health_checks']);
    const records = doc.records;
    assert.ok(records instanceof TablesOnDemand, 'records read on demand');
    assert.ok(Array.isArray(doc.health_checks), 'other arrays of tables read at once');
    assert.equal(records.length, 2);
    assert.notEqual(records.at(1), records.at(1), 'a new table each time');
    assert.deepStrictEqual(layout(records.at(1)), layout(Object.assign(Object.create(null), { domain: 'b', ttl: 60 })));
    assert.deepStrictEqual(records.at(1), Object.assign(Object.create(null), { domain: 'b', ttl: 60 }));
    assert.deepStrictEqual(records.at(0), Object.assign(Object.create(null), { domain: 'a' }));
    const pairs: [string, unknown][] = [];
    assert.equal(records.scan(1, (t, from, to, v) => pairs.push([t.slice(from, to), v]) > 0), true, 'scanned to the end');
    assert.deepStrictEqual(pairs, [['domain', 'b'], ['ttl', 60]]);
    assert.equal(records.scan(1, () => false), false, 'stopped');
  });

  it('leaves all else to smol-toml: the same document or the same error, line and column', () => {
    const outside = [
      // Not in the part read here, but valid.
      'a = "tab\\t"\n', 'a = "q\\""\n', 'a = \'literal\'\n', 'a = """multi\nline"""\n', "a = '''x'''\n",
      'a = 1_000\n', 'a = 0x10\n', 'a = 0o7\n', 'a = 0b1\n', 'a = +1\n', 'a = 1e3\n', 'a = 1.5E-3\n', 'a = inf\n', 'a = -nan\n',
      'a = 1234567890123456\n', 'a = 1979-05-27\n', 'a = 07:32:00\n', 'a = 1979-05-27T07:32:00\n',
      'a = 1979-05-27T07:32:00+01:00\n', 'a = 1979-05-27T07:32:00.5Z\n', 'a = 1979-05-27 07:32:00Z\n', 'a = 1979-05-27t07:32:00z\n',
      'a.b = 1\n', '"a" = 1\n', "'a' = 1\n", '[a.b]\n', '[ a ]\n', '[[ a ]]\n', '["a"]\n',
      'a = { b = 1 }\n', 'a = [[1], [2]]\n', 'a = [\n1,\n2\n]\n', 'a = [1, # c\n2]\n', 'a = [{ b = 1 }]\n',
      'a = 1\r\nb = 2\r\n', '\ufeffa = 1\n', '__proto__ = 1\n', '[__proto__]\n', '[[__proto__]]\nx = 1\n',
      'a = "x"\n[b]\n[b.c]\n',
      // Errors.
      'a = 1\na = 2\n', '[[records]]\nb = 1\nb = 2\n', '[[records]]\nab = 1\nb = 2\n# x\nab = 3\n', '[a]\n[a]\n', 'a = 1\n[a]\n', '[a]\n[[a]]\n', '[[a]]\n[a]\n', '[[a]]\nb = 1\nb = 2\n',
      'a = \n', 'a\n', '= 1\n', 'a = "unterminated\n', 'a = "x" y\n', 'a = 1 2\n', 'a = truex\n', 'a = tru\n',
      'a = 01\n', 'a = -01\n', 'a = 1.\n', 'a = .5\n', 'a = 1..2\n', 'a = -\n', 'a = "a\u0001"\n', 'a = "\u007f"\n',
      'a = [1, 2\n', 'a = [1 2]\n', 'a = [,]\n', 'a = [1,,2]\n', '[a\n', '[[a]\n', '[a]]\n', '[]\n', '[[]]\n', '[a] b = 1\n',
      'a = 1,\n', 'a = ""x\n', 'a = """\n', '# bad \u0000 comment\n', 'a = 1 # \u007f\n', 'a = 1\rb = 2\n', 'a = "x"\n\tb c = 1\n',
      'a = ü\n', 'ü = 1\n', '[ü]\n',
      'a = 1979-05-27T24:00:00Z\n', 'a = 1979-13-27T07:32:00Z\n', 'a = 1979-05-27T07:32:0xZ\n',
      'a = 1979-05-27T07:32:00Zx\n', 'a = 1979-05-27T07:32:00Z1\n', 'a = -979-05-27T07:32:00Z\n',
    ];
    for (const text of outside) assertLeft(text);
    // The test fixture's TXT escapes take it off the quick path.
    assertLeft(EDGE);
  });

  it('agrees with smol-toml on thousands of mutated zone files', () => {
    // Every run checks the same texts.
    const random = mulberry32(20261201);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
    const CHARS = ['"', "'", '\\', '[', ']', '=', '#', '.', ',', '-', '+', '_', '0', '1', '9', 'e', 'x', ' ', '\t', '\n', '\r',
      '{', '}', ':', 'ü', '\u0000', '\u007f', '\ufeff', 't', 'f', 'n'];
    const rich = [
      'version = 1.0', '', '[domain]', 'domain = "example.com"   # zone', 'serial = 42', 'active = true',
      'created = 2021-05-27T07:32:00Z',
      'allow_transfer = ["192.0.2.1", "2001:db8::/32"]', 'notify = []', '', '[defaults]', 'ttl = 300', 'health_ttl = 30', '',
      '[[health_checks]]', 'name = "web"', 'expect = [200, 204]', 'interval = 0.5', 'timeout = -1', '',
      '[[records]]', 'domain = "@"', 'type = "TXT"', 'address = ["a", "b c"]', '[[records]]', 'domain = "www"', 'ttl = 0',
      'address = "192.0.2.1"', 'health_check = "web"', '',
    ].join('\n');
    const texts = [...ZONES, rich];
    const mutate = (text: string): string => {
      const times = 1 + Math.floor(random() * 3);
      for (let m = 0; m < times; m++) {
        const at = Math.floor(random() * (text.length + 1));
        const lines = text.split('\n');
        const line = Math.floor(random() * lines.length);
        switch (Math.floor(random() * 7)) {
          case 0: text = text.slice(0, at) + pick(CHARS) + text.slice(at); break;
          case 1: text = text.slice(0, at) + text.slice(at + 1); break;
          case 2: text = text.slice(0, at) + text.slice(at, at + 1) + text.slice(at); break;
          case 3: lines.splice(line, 0, lines[line]); text = lines.join('\n'); break;
          case 4: lines.splice(line, 1); text = lines.join('\n'); break;
          case 5: lines.splice(line, 0, pick(lines)); text = lines.join('\n'); break;
          default: text = text.replace(random() < 0.5 ? '"' : /"/g, "'");
        }
      }
      return text;
    };
    let quick = 0;
    let left = 0;
    for (let i = 0; i < 4000; i++) {
      const text = mutate(pick(texts));
      if (readPlainToml(text) === undefined) left++;
      else quick++;
      const expected = outcome(parse, text);
      assert.deepStrictEqual(outcome((t) => withTables(parseZoneToml(t) as Record<string, unknown>), text), expected, `differs from smol-toml:\n${text}`);
      if (readPlainToml(text, 'records') === undefined) assert.equal(readPlainToml(text), undefined, `read on the quick path only with [[records]] read at once:\n${text}`);
      else assert.deepStrictEqual(outcome(onDemand, text), expected, `differs from smol-toml, [[records]] read on demand:\n${text}`);
    }
    // Both paths are exercised, so that the comparison means something either way.
    assert.ok(quick > 400 && left > 400, `${quick} read on the quick path, ${left} left to smol-toml`);
  });
});
