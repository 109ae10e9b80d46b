const LF = '\n';
const CR = '\r';
/**
 * A bare key (TOML v1.0.0: letters, digits, `_` and `-`). A table or bare key is found with the
 * fixed patterns below, which capture the name a line gives, rather than with a pattern made with
 * the name in it at every lookup: the two match the same lines, as a bare name's characters are
 * none of the spaces, quotes, brackets or `=` around it. Tables are named by the code (bare ones);
 * a key that is not bare (quoted, of any characters) gets a pattern of its own.
 */
const BARE = /^[A-Za-z0-9_-]+$/;
const TABLE_HEADER = /^\s*\[\s*([A-Za-z0-9_-]+)\s*\]/;
const ARRAY_HEADER = /^\s*\[\[\s*([A-Za-z0-9_-]+)\s*\]\]/;
const KEY_LINE = /^\s*["']?([A-Za-z0-9_-]+)["']?\s*=/;
const ANY_HEADER = /^\s*\[/;

/**
 * Maps TOML tables and keys to line numbers. smol-toml reports lines for syntax errors only, so
 * validation messages find their line by scanning the text for the table header and key. The
 * text is split into lines (at LF or CRLF) as far as a lookup reads, and only when a problem or a
 * warning needs a line: most files need none, or the first lines only ([domain]).
 */
export class LineIndex {
  private readonly lines: string[] = [];
  /** Where the next line not yet split starts; -1 once the whole text is. */
  private next = 0;
  private recordStarts?: number[];

  constructor(private readonly text: string) {}

  /** Line (1-based) of the Nth (1-based) [[records]] header, or of `key` inside it. */
  record(n: number, key?: string): number | undefined {
    this.recordStarts ??= this.headers(ARRAY_HEADER, 'records');
    const start = this.recordStarts[n - 1];
    if (start === undefined) return undefined;
    const end = this.recordStarts[n] ?? this.nextTable(start);
    return (key === undefined ? undefined : this.keyIn(key, start + 1, end)) ?? start + 1;
  }

  /** Line (1-based) of the Nth (1-based) `[[table]]` header, or of `key` inside it. */
  entry(table: string, n: number, key?: string): number | undefined {
    const start = this.headers(ARRAY_HEADER, table)[n - 1];
    if (start === undefined) return undefined;
    return (key === undefined ? undefined : this.keyIn(key, start + 1, this.nextTable(start))) ?? start + 1;
  }

  /** Line of `key` in `[table]`, or of the header. */
  table(table: string, key?: string): number | undefined {
    const start = this.firstLine(TABLE_HEADER, table);
    if (start === undefined) return undefined;
    return (key === undefined ? undefined : this.keyIn(key, start + 1, this.nextTable(start))) ?? start + 1;
  }

  /** Line of a top-level key (before any table header). */
  topLevel(key: string): number | undefined {
    return this.keyIn(key, 0, this.nextTable(-1));
  }

  /** Line `i` (0-based), split from the text when first read; undefined past the last. */
  private line(i: number): string | undefined {
    while (i >= this.lines.length && this.next >= 0) {
      const lf = this.text.indexOf(LF, this.next);
      if (lf < 0) {
        this.lines.push(this.text.slice(this.next));
        this.next = -1;
      } else {
        this.lines.push(this.text.slice(this.next, this.text[lf - 1] === CR ? lf - 1 : lf));
        this.next = lf + 1;
      }
    }
    return this.lines[i];
  }

  /** The first line (0-based) that is a `header` of `table`. */
  private firstLine(header: RegExp, table: string): number | undefined {
    for (let i = 0, l = this.line(0); l !== undefined; l = this.line(++i)) if (header.exec(l)?.[1] === table) return i;
    return undefined;
  }

  /** The lines (0-based) that are `header`s of `table`. */
  private headers(header: RegExp, table: string): number[] {
    const found: number[] = [];
    for (let i = 0, l = this.line(0); l !== undefined; l = this.line(++i)) if (header.exec(l)?.[1] === table) found.push(i);
    return found;
  }

  /** The first table header after line `after`, or the number of lines. */
  private nextTable(after: number): number {
    let i = after + 1;
    for (let l = this.line(i); l !== undefined; l = this.line(++i)) if (ANY_HEADER.test(l)) return i;
    return i;
  }

  /** Line (1-based) of `key = ` from line `from` to before `to` (0-based). */
  private keyIn(key: string, from: number, to: number): number | undefined {
    const isKey = BARE.test(key) ? (l: string) => KEY_LINE.exec(l)?.[1] === key : keyPattern(key);
    for (let i = from; i < to; i++) if (isKey(this.line(i)!)) return i + 1;
    return undefined;
  }
}

/** A test for the line of a key that is not bare (a quoted key of any characters). */
function keyPattern(key: string): (line: string) => boolean {
  const re = new RegExp(`^\\s*["']?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*=`);
  return (line) => re.test(line);
}
