import { isDeepStrictEqual } from 'node:util';
import { stringify } from 'smol-toml';
import { readPlainToml } from '../zone/toml.js';
import { zoneDoc, type ZoneDoc } from './zone-json.js';

/**
 * A PATCH made as an edit of the zone file's text, not a rewrite of it: the `[[records]]` tables
 * the change removes are cut out, the ones it adds are written where the change puts them, the
 * `[domain]` serial it raises is changed in its own line, and every other line (comments, blank
 * lines, the order and layout of a hand-written file) is kept as it was.
 *
 * Done only for files in the plain TOML zone files are written in (src/zone/toml.ts
 * readPlainToml), where every line is a blank line, a comment, a table header or one `key = value`,
 * so a table's lines are found without a parser of our own; and the edited text is read back and
 * must mean what the change means, else undefined (the caller writes canonical TOML instead).
 */

type Rec = Record<string, unknown>;

/** A `[[records]]` table's lines (0-based, inclusive): from the comments right above its header to its last key. */
interface TableLines {
  first: number;
  last: number;
}

type LineKind = 'blank' | 'comment' | 'header' | 'key';

function lineKind(line: string): LineKind {
  const t = line.trimStart();
  if (t === '') return 'blank';
  if (t[0] === '#') return 'comment';
  return t[0] === '[' ? 'header' : 'key';
}

const RECORDS_HEADER = /^\s*\[\[records\]\]/;
const DOMAIN_HEADER = /^\s*\[domain\]/;
/** The serial's line in [domain]: what comes before its value, and the value (a plain decimal integer). */
const SERIAL_LINE = /^(\s*serial\s*=\s*)(-?\d+)/;

/**
 * The `[[records]]` tables of plain TOML lines, in order. Comment lines right above a header (no
 * blank line between) are taken as the table's: they go with it when it is removed. A comment
 * after a blank line stays where it is, whatever goes.
 */
function recordTables(lines: readonly string[]): TableLines[] {
  const tables: TableLines[] = [];
  let open: TableLines | null = null;
  /** The last line of the table before, or of the top-level keys: comments above a header stop there. */
  let lastKey = -1;
  lines.forEach((line, i) => {
    const kind = lineKind(line);
    if (kind === 'key') {
      lastKey = i;
      if (open) open.last = i;
    } else if (kind === 'header') {
      let first = i;
      while (first - 1 > lastKey && lineKind(lines[first - 1]) === 'comment') first--;
      open = RECORDS_HEADER.test(line) ? { first, last: i } : null;
      if (open) tables.push(open);
      lastKey = i;
    }
  });
  return tables;
}

/** A record as its own table: `[[records]]` and its keys, as canonical TOML writes them. */
function tableLines(rec: Rec): string[] {
  return stringify({ records: [rec] }).trimEnd().split('\n');
}

/** Puts `serial` in the [domain] table's serial line; false when there is no such line. */
function setSerial(lines: string[], serial: number): boolean {
  const start = lines.findIndex((l) => DOMAIN_HEADER.test(l));
  if (start < 0) return false;
  for (let i = start + 1; i < lines.length && lineKind(lines[i]) !== 'header'; i++) {
    const m = SERIAL_LINE.exec(lines[i]);
    if (m) {
      lines[i] = m[1] + String(serial) + lines[i].slice(m[0].length);
      return true;
    }
  }
  return false;
}

function recordsOf(doc: ZoneDoc): Rec[] {
  return Array.isArray(doc.records) ? (doc.records as Rec[]) : [];
}

function serialOf(doc: ZoneDoc): unknown {
  return (doc.domain as Rec | undefined)?.serial;
}

/** A document as compared after the edit: a file whose records are all gone has no `records` key. */
function compared(doc: ZoneDoc): ZoneDoc {
  return { ...doc, records: recordsOf(doc) };
}

/**
 * The zone file `text` (its document: `before`) edited to say `after`: `after` is `before` with
 * record tables removed and added (the records it keeps are `before`'s own objects, in their order)
 * and, maybe, another serial. Undefined when the text is not plain TOML or the edit would not
 * read back as `after`.
 */
export function editedZoneText(text: string, before: ZoneDoc, after: ZoneDoc): string | undefined {
  if (readPlainToml(text) === undefined) return undefined;
  const lines = text.split('\n');
  const endsWithNewline = lines.at(-1) === '';
  if (endsWithNewline) lines.pop();
  const tables = recordTables(lines);
  const old = recordsOf(before);
  if (tables.length !== old.length) return undefined;
  const serial = serialOf(after);
  if (serial !== serialOf(before) && (typeof serial !== 'number' || !setSerial(lines, serial))) return undefined;

  // Each added record goes before the next record kept, or after the last table when none follows.
  const index = new Map(old.map((r, i) => [r, i]));
  const kept = new Set<number>();
  const addedBefore = new Map<number, Rec[]>();
  let added: Rec[] = [];
  for (const r of recordsOf(after)) {
    const i = index.get(r);
    if (i === undefined) {
      added.push(r);
      continue;
    }
    kept.add(i);
    if (added.length > 0) addedBefore.set(i, added);
    added = [];
  }

  const out: string[] = [];
  let next = 0;
  // The blank lines after a table that was cut out go with it when a blank line precedes it (no gap of two).
  let afterCut = false;
  const copyUpTo = (end: number): void => {
    for (; next < end; next++) {
      if (afterCut && lineKind(lines[next]) === 'blank' && (out.length === 0 || lineKind(out[out.length - 1]) === 'blank')) continue;
      afterCut = false;
      out.push(lines[next]);
    }
  };
  tables.forEach((table, i) => {
    copyUpTo(table.first);
    for (const r of addedBefore.get(i) ?? []) out.push(...tableLines(r), '');
    afterCut = !kept.has(i);
    if (!afterCut) out.push(...lines.slice(table.first, table.last + 1));
    next = table.last + 1;
  });
  // The records added last: after the last table, or at the end of a file that had none.
  if (tables.length === 0) copyUpTo(lines.length);
  if (added.length > 0) {
    for (const r of added) {
      if (out.length > 0 && out.at(-1) !== '') out.push('');
      out.push(...tableLines(r));
    }
    afterCut = false;
    if (next < lines.length && lineKind(lines[next]) !== 'blank') out.push('');
  }
  copyUpTo(lines.length);
  // A table cut out at the end leaves no blank line behind it that the file did not end with.
  while (out.at(-1) === '' && lines.at(-1) !== '') out.pop();

  const edited = out.join('\n') + (endsWithNewline ? '\n' : '');
  let reread: ZoneDoc;
  try {
    reread = zoneDoc(edited);
  } catch {
    return undefined;
  }
  return isDeepStrictEqual(compared(reread), compared(after)) ? edited : undefined;
}
