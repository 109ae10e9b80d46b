import { parse as parseToml, TomlDate } from 'smol-toml';
import { MIN_SLICED } from './text.js';

/**
 * The TOML of a zone file. Zone files are written in a small part of TOML: `[table]` and
 * `[[array-of-tables]]` headers, `key = value` lines with bare keys, basic strings without escapes,
 * decimal integers, plain decimal fractions (`1.0`), booleans, UTC date-times as the seed's files
 * write them (`created = 2021-05-27T07:32:00Z`), one-line arrays of these, comments and blank
 * lines. `readPlainToml` reads that part three to four times quicker than smol-toml's general
 * parser (a cold start reads a million records); anything else, every error included, is left to
 * smol-toml, so that what a file means and how a bad one is reported (message, line, column) are
 * smol-toml's in every case. Where both read a file, they return the same: the same keys in the
 * same order, tables of null prototype, integers as numbers.
 */

/** A TOML table as smol-toml returns it (of null prototype). */
export type TomlTable = Record<string, unknown>;

/**
 * The `[[records]]` tables of a document read by readPlainToml, each read again from the text when
 * asked for: made into a table by `at(i)`, or scanned (`scan(i, …)`), which makes none (most
 * records are built straight from their key/value pairs: records.ts plainRecord). A zone of a
 * million records held as tables would take more memory while it is parsed than the parsed zone
 * does, and every table would outlive the young generation (Node.js's garbage collector copies
 * each such object twice); in a small file, making the tables cost more than reading their lines
 * twice (bench/RESULTS.md). `length` and `at(i)`, as an array of the tables has.
 */
export class TablesOnDemand {
  /** Where each table's first line starts in the text. */
  private readonly starts: number[] = [];

  constructor(private readonly text: string) {}

  get length(): number {
    return this.starts.length;
  }

  /** Table `i` (0-based), a new one at each call. */
  at(i: number): TomlTable {
    const table = nullPrototypeTable();
    keyValues(this.text, this.starts[i], table);
    return table;
  }

  add(start: number): void {
    this.starts.push(start);
  }

  /**
   * Table `i`'s key/value pairs in order, without a table made: `visit` gets each key's place in
   * the text and its value, and returns false to stop. Returns whether it was not stopped.
   */
  scan(i: number, visit: (text: string, keyFrom: number, keyTo: number, value: unknown) => boolean): boolean {
    const s = this.text;
    const n = s.length;
    let at = this.starts[i];
    // Checked when the document was read: every line is a key/value pair of the subset.
    while ((at = nextLine(s, at)) >= 0 && at < n && s.charCodeAt(at) !== OPEN) {
      const v = keyValue(s, at);
      at = end;
      if (!visit(s, keyFrom, keyTo, v)) return false;
    }
    return true;
  }
}

/**
 * An empty table of null prototype, as smol-toml's: made so from an empty literal, its properties
 * stay in V8's fast mode (Object.create(null) makes a dictionary), quicker to add and read by name,
 * and smaller.
 */
function nullPrototypeTable(): TomlTable {
  return Object.setPrototypeOf({}, null) as TomlTable;
}

/** The array of tables a zone file has a million of. */
const RECORDS = 'records';

/**
 * The document of a zone file's text, as smol-toml's `parse` returns it, but for `records` when
 * the quick reader reads it: its tables are then a TablesOnDemand. Throws smol-toml's TomlError.
 */
export function parseZoneToml(text: string): TomlTable {
  return readPlainToml(text, RECORDS) ?? (parseToml(text) as TomlTable);
}

const TAB = 0x09;
const LF = 0x0a;
const SPACE = 0x20;
const QUOTE = 0x22;
const HASH = 0x23;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const EQUALS = 0x3d;
const OPEN = 0x5b;
const BACKSLASH = 0x5c;
const CLOSE = 0x5d;
const DEL = 0x7f;

/**
 * Integers of up to 15 digits are read digit by digit, exactly; a longer one (which may not be a
 * safe integer, an error in smol-toml) is left to smol-toml.
 */
const MAX_INT_DIGITS = 15;

/** A value outside the subset (or wrong): the text goes to smol-toml. */
const OUTSIDE = Symbol('outside');

/** Where the value read last ended (read positions are threaded through this, not allocated). */
let end = 0;

/** A–Z, a–z, 0–9, `_` and `-`: the characters of a bare key (TOML 1.0 §Keys). */
function isBareKeyChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= ZERO && c <= NINE) || c === 0x5f || c === MINUS;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/** The end of the spaces and tabs from `i`. */
function skipBlank(s: string, i: number): number {
  let c = s.charCodeAt(i);
  while (c === SPACE || c === TAB) c = s.charCodeAt(++i);
  return i;
}

/**
 * The end of the bare key at `i` (`i` itself if there is none), when the key is one this reader
 * takes: `__proto__` is left to smol-toml, which gives it its own treatment.
 */
function bareKeyEnd(s: string, i: number): number {
  let j = i;
  while (isBareKeyChar(s.charCodeAt(j))) j++;
  if (j - i === 9 && s.startsWith('__proto__', i)) return i;
  return j;
}

/** The comment or the end of line after a value or a header: the position past the line, or -1. */
function lineEnd(s: string, i: number): number {
  i = skipBlank(s, i);
  let c = s.charCodeAt(i);
  if (c === HASH) {
    // TOML 1.0 §Comment: control characters other than tab are not allowed in comments (CR
    // included: files with CRLF line ends are left to smol-toml).
    while ((c = s.charCodeAt(++i)) >= SPACE ? c !== DEL : c === TAB);
  }
  if (c === LF) return i + 1;
  return i >= s.length ? i : -1;
}

/**
 * The value at `i`: a basic string without escapes, a decimal integer or fraction, a boolean, or
 * (outside arrays) a one-line array of these; its end is left in `end`.
 */
function value(s: string, i: number, inArray: boolean): unknown {
  let c = s.charCodeAt(i);
  if (c === QUOTE) {
    let j = i + 1;
    // Control characters but tab are errors, escapes and `"""` strings are left to smol-toml.
    while ((c = s.charCodeAt(j)) !== QUOTE) {
      if (c < SPACE ? c !== TAB : c === BACKSLASH || c === DEL) return OUTSIDE;
      if (j >= s.length) return OUTSIDE;
      j++;
    }
    end = j + 1;
    if (s.charCodeAt(end) === QUOTE) return OUTSIDE;
    return s.slice(i + 1, j);
  }
  if (c === 0x74 /* t */ && s.startsWith('true', i)) return (end = i + 4), true;
  if (c === 0x66 /* f */ && s.startsWith('false', i)) return (end = i + 5), false;
  if (c === OPEN && !inArray) return array(s, i);
  // smol-toml's own test for a date: `-` 4 and 7 characters in.
  if (s.charCodeAt(i + 4) === MINUS && s.charCodeAt(i + 7) === MINUS && c !== MINUS) return dateTime(s, i);
  let j = i;
  if (c === MINUS) c = s.charCodeAt(++j);
  const digits = j;
  if (c === ZERO) c = s.charCodeAt(++j);
  else while (isDigit(c)) c = s.charCodeAt(++j);
  if (j === digits) return OUTSIDE;
  if (c === DOT) {
    const fraction = ++j;
    while (isDigit(s.charCodeAt(j))) j++;
    if (j === fraction) return OUTSIDE;
    end = j;
    return Number.parseFloat(s.slice(i, j));
  }
  if (j - digits > MAX_INT_DIGITS) return OUTSIDE;
  let n = 0;
  for (let k = digits; k < j; k++) n = n * 10 + (s.charCodeAt(k) - ZERO);
  end = j;
  // `-0` is 0 in smol-toml (not -0).
  return i === digits || n === 0 ? n : -n;
}

/** Where a UTC date-time `YYYY-MM-DDTHH:MM:SSZ` has digits, and its other characters. */
const DATE_TIME_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
const DATE_TIME_MARKS: [number, number][] = [[4, MINUS], [7, MINUS], [10, 0x54 /* T */], [13, 0x3a /* : */], [16, 0x3a], [19, 0x5a /* Z */]];
const DATE_TIME_LENGTH = 20;

/**
 * A UTC date-time at `i`, as smol-toml makes it (its TomlDate reads this form the same way through
 * its public constructor); other forms of dates and times, and impossible dates, are left to it.
 */
function dateTime(s: string, i: number): TomlDate | typeof OUTSIDE {
  for (const d of DATE_TIME_DIGITS) if (!isDigit(s.charCodeAt(i + d))) return OUTSIDE;
  for (const [at, c] of DATE_TIME_MARKS) if (s.charCodeAt(i + at) !== c) return OUTSIDE;
  const date = new TomlDate(s.slice(i, i + DATE_TIME_LENGTH));
  if (!date.isValid()) return OUTSIDE;
  end = i + DATE_TIME_LENGTH;
  return date;
}

/** A one-line array of plain values at `i` (a trailing comma allowed, as TOML 1.0 does). */
function array(s: string, i: number): unknown[] | typeof OUTSIDE {
  const items: unknown[] = [];
  i = skipBlank(s, i + 1);
  while (s.charCodeAt(i) !== CLOSE) {
    const v = value(s, i, true);
    if (v === OUTSIDE) return OUTSIDE;
    items.push(v);
    i = skipBlank(s, end);
    const c = s.charCodeAt(i);
    if (c === COMMA) i = skipBlank(s, i + 1);
    else if (c !== CLOSE) return OUTSIDE;
  }
  end = i + 1;
  return items;
}

/** Slots of recentKeys: a power of two. */
const RECENT_KEYS = 64;
/** Keys and table names met lately, by their length and first character (see keyString). */
const recentKeys: string[] = new Array<string>(RECENT_KEYS).fill('');

/**
 * The key (or table name) from `from` to `to` of `s`: the string met last for the same characters,
 * if it is in its slot. A file names its tables with a few keys, over and over (`records`,
 * `domain`, `address`): a new string for each is looked up in V8's table of property names each
 * time it names a property, where the same string is looked up once (those lookups were the
 * largest cost of reading a zone file's TOML: bench/RESULTS.md). A long key, a view of the text
 * (MIN_SLICED), is not kept.
 */
function keyString(s: string, from: number, to: number): string {
  if (to - from >= MIN_SLICED) return s.slice(from, to);
  const slot = (31 * (to - from) + s.charCodeAt(from)) & (RECENT_KEYS - 1);
  const last = recentKeys[slot];
  if (last.length === to - from && s.startsWith(last, from)) return last;
  return (recentKeys[slot] = s.slice(from, to));
}

/** Where the key of the line read last by keyValue starts and ends. */
let keyFrom = 0;
let keyTo = 0;

/**
 * The value of the `key = value` line at `i` (past its blanks), its key's place left in keyFrom
 * and keyTo and the position past the line in `end`; OUTSIDE for a line outside the subset.
 */
function keyValue(s: string, i: number): unknown {
  const to = bareKeyEnd(s, i);
  if (to === i) return OUTSIDE;
  let j = skipBlank(s, to);
  if (s.charCodeAt(j) !== EQUALS) return OUTSIDE;
  j = skipBlank(s, j + 1);
  const v = value(s, j, false);
  if (v === OUTSIDE) return OUTSIDE;
  const next = lineEnd(s, end);
  if (next < 0) return OUTSIDE;
  keyFrom = i;
  keyTo = to;
  end = next;
  return v;
}

/**
 * The first line from `i` that is not blank or a comment: where it starts (past its blanks), or
 * -1 at a comment outside the subset.
 */
function nextLine(s: string, i: number): number {
  const n = s.length;
  for (;;) {
    i = skipBlank(s, i);
    const c = s.charCodeAt(i);
    if ((c !== LF && c !== HASH) || i >= n) return i;
    i = lineEnd(s, i);
    if (i < 0 || i >= n) return i;
  }
}

/**
 * Reads the `key = value` lines (and blank and comment lines) from `i` into `table`, up to a table
 * header or the end: returns where the header starts (or the text's length), or -1 at a line
 * outside the subset (or wrong).
 */
function keyValues(s: string, i: number, table: TomlTable): number {
  const n = s.length;
  while ((i = nextLine(s, i)) >= 0 && i < n && s.charCodeAt(i) !== OPEN) {
    const v = keyValue(s, i);
    if (v === OUTSIDE) return -1;
    const name = keyString(s, keyFrom, keyTo);
    if (table[name] !== undefined) return -1;
    table[name] = v;
    i = end;
  }
  return i;
}

/** Where the keys of the table being checked start and end in the text. */
const keyStarts: number[] = [];
const keyEnds: number[] = [];

/** Whether the key from `from` to `to` is one of the first `count` of keyStarts and keyEnds. */
function seenKey(s: string, from: number, to: number, count: number): boolean {
  for (let k = 0; k < count; k++) {
    const start = keyStarts[k];
    if (keyEnds[k] - start !== to - from) continue;
    let i = 0;
    while (i < to - from && s.charCodeAt(start + i) === s.charCodeAt(from + i)) i++;
    if (i === to - from) return true;
  }
  return false;
}

/**
 * keyValues without a table: the lines are checked, and the same ones taken (a key twice as well),
 * but no table and no key is made.
 */
function checkKeyValues(s: string, i: number): number {
  const n = s.length;
  let keys = 0;
  while ((i = nextLine(s, i)) >= 0 && i < n && s.charCodeAt(i) !== OPEN) {
    if (keyValue(s, i) === OUTSIDE || seenKey(s, keyFrom, keyTo, keys)) return -1;
    keyStarts[keys] = keyFrom;
    keyEnds[keys++] = keyTo;
    i = end;
  }
  return i;
}

/**
 * The document of `text` if it is written in the zone files' part of TOML (see above), else
 * undefined (smol-toml is then to read it, and report its errors). The array of tables named
 * `onDemand`, if any, is a TablesOnDemand: its tables are checked here, and read again one at a time
 * when asked for. Exported for the tests, which check that the files they expect to be read here are.
 */
export function readPlainToml(s: string, onDemand?: string): TomlTable | undefined {
  const root: TomlTable = Object.create(null);
  // The root's keys made by `[[key]]` headers: another `[[key]]` adds a table to them.
  const arrays = new Set<string>();
  const n = s.length;
  let i = keyValues(s, 0, root);
  while (i >= 0 && i < n) {
    // A header: keyValues stops at its `[`.
    const many = s.charCodeAt(i + 1) === OPEN;
    const from = many ? i + 2 : i + 1;
    const to = bareKeyEnd(s, from);
    if (to === from || s.charCodeAt(to) !== CLOSE || (many && s.charCodeAt(to + 1) !== CLOSE)) return undefined;
    const name = keyString(s, from, to);
    const start = lineEnd(s, many ? to + 2 : to + 1);
    if (start < 0) return undefined;
    // The tables read on demand are only checked here.
    const lazy = many && name === onDemand;
    const table: TomlTable | undefined = lazy ? undefined : nullPrototypeTable();
    if (!Object.hasOwn(root, name)) {
      root[name] = table === undefined ? new TablesOnDemand(s) : many ? [table] : table;
      if (many) arrays.add(name);
    } else if (!many || !arrays.has(name)) {
      return undefined;
    } else if (table !== undefined) {
      (root[name] as TomlTable[]).push(table);
    }
    if (table === undefined) {
      (root[name] as TablesOnDemand).add(start);
      i = checkKeyValues(s, start);
    } else {
      i = keyValues(s, start, table);
    }
  }
  return i < 0 ? undefined : root;
}
