/**
 * Maps TOML tables and keys to line numbers. smol-toml reports lines for syntax errors only, so
 * validation messages find their line by scanning the text for the table header and key.
 */
export class LineIndex {
  private readonly lines: string[];
  private readonly recordStarts: number[] = [];

  constructor(text: string) {
    this.lines = text.split(/\r?\n/);
    this.lines.forEach((l, i) => {
      if (/^\s*\[\[\s*records\s*\]\]/.test(l)) this.recordStarts.push(i);
    });
  }

  /** Line (1-based) of the Nth (1-based) [[records]] header, or of `key` inside it. */
  record(n: number, key?: string): number | undefined {
    const start = this.recordStarts[n - 1];
    if (start === undefined) return undefined;
    const end = this.recordStarts[n] ?? this.nextTable(start);
    return (key === undefined ? undefined : this.keyIn(key, start + 1, end)) ?? start + 1;
  }

  /** Line (1-based) of the Nth (1-based) `[[table]]` header, or of `key` inside it. */
  entry(table: string, n: number, key?: string): number | undefined {
    const re = new RegExp(`^\\s*\\[\\[\\s*${table}\\s*\\]\\]`);
    let seen = 0;
    const start = this.lines.findIndex((l) => re.test(l) && ++seen === n);
    if (start < 0) return undefined;
    return (key === undefined ? undefined : this.keyIn(key, start + 1, this.nextTable(start))) ?? start + 1;
  }

  /** Line of `key` in `[table]`, or of the header. */
  table(table: string, key?: string): number | undefined {
    const re = new RegExp(`^\\s*\\[\\s*${table}\\s*\\]`);
    const start = this.lines.findIndex((l) => re.test(l));
    if (start < 0) return undefined;
    return (key === undefined ? undefined : this.keyIn(key, start + 1, this.nextTable(start))) ?? start + 1;
  }

  /** Line of a top-level key (before any table header). */
  topLevel(key: string): number | undefined {
    return this.keyIn(key, 0, this.nextTable(-1));
  }

  private nextTable(after: number): number {
    for (let i = after + 1; i < this.lines.length; i++) if (/^\s*\[/.test(this.lines[i])) return i;
    return this.lines.length;
  }

  private keyIn(key: string, from: number, to: number): number | undefined {
    const re = new RegExp(`^\\s*["']?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*=`);
    for (let i = from; i < to; i++) if (re.test(this.lines[i])) return i + 1;
    return undefined;
  }
}
