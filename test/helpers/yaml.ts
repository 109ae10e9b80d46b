/**
 * Just enough YAML to read our own manifests in tests (no YAML library in the project): block
 * mappings and sequences, `- key: value` items, plain, quoted and `|` literal scalars, simple
 * flow lists, comments, `---` between documents. Anything else throws, naming the line.
 */
export type Yaml = string | number | boolean | null | Yaml[] | { [key: string]: Yaml };

interface Line {
  indent: number;
  text: string;
  n: number;
}

export function parseYamlDocuments(source: string): Yaml[] {
  const docs: Line[][] = [[]];
  source.split('\n').forEach((raw, i) => {
    if (/^---\s*$/.test(raw)) docs.push([]);
    else docs[docs.length - 1].push({ indent: raw.length - raw.trimStart().length, text: raw.trimEnd().trimStart(), n: i + 1 });
  });
  return docs.map((lines) => new Parser(lines).document()).filter((d) => d !== null);
}

const KEY = /^([A-Za-z0-9_.\/-]+|"[^"]*"):(?: +(.*))?$/;

class Parser {
  private i = 0;
  constructor(private readonly lines: Line[]) {}

  document(): Yaml {
    const first = this.next();
    return first ? this.block(first.indent) : null;
  }

  /** The next line that is not blank or a comment. */
  private next(): Line | undefined {
    while (this.i < this.lines.length && (this.lines[this.i].text === '' || this.lines[this.i].text.startsWith('#'))) this.i++;
    return this.lines[this.i];
  }

  private block(indent: number): Yaml {
    const line = this.next()!;
    return line.text === '-' || line.text.startsWith('- ') ? this.sequence(indent) : this.mapping(indent);
  }

  private mapping(indent: number): Yaml {
    const out: Record<string, Yaml> = {};
    for (let line = this.next(); line && line.indent === indent && !line.text.startsWith('-'); line = this.next()) {
      const m = KEY.exec(line.text);
      if (!m) throw new Error(`line ${line.n}: expected "key: value", got ${JSON.stringify(line.text)}`);
      const key = m[1].startsWith('"') ? (JSON.parse(m[1]) as string) : m[1];
      if (key in out) throw new Error(`line ${line.n}: duplicate key ${key}`);
      this.i++;
      out[key] = this.value(m[2] ?? '', indent, line.n);
    }
    return out;
  }

  private sequence(indent: number): Yaml {
    const out: Yaml[] = [];
    for (let line = this.next(); line && line.indent === indent && (line.text === '-' || line.text.startsWith('- ')); line = this.next()) {
      const rest = line.text.slice(1).trimStart();
      if (KEY.test(rest)) {
        // "- key: value": a mapping whose keys line up two columns in.
        this.lines[this.i] = { indent: indent + 2, text: rest, n: line.n };
        out.push(this.mapping(indent + 2));
      } else {
        this.i++;
        out.push(this.value(rest, indent, line.n));
      }
    }
    return out;
  }

  /** The value after "key:" or "- ": inline, a `|` block, or a nested block on the next lines. */
  private value(inline: string, indent: number, n: number): Yaml {
    if (inline === '|' || inline === '|-') return this.literal(indent, inline === '|-');
    if (inline !== '' && !inline.startsWith('#')) return scalar(inline, n);
    const next = this.next();
    if (!next) return null;
    if (next.indent > indent) return this.block(next.indent);
    if (next.indent === indent && next.text.startsWith('- ')) return this.sequence(indent);
    return null;
  }

  private literal(indent: number, strip: boolean): string {
    const body: string[] = [];
    let at = -1;
    while (this.i < this.lines.length) {
      const l = this.lines[this.i];
      if (l.text !== '' && l.indent <= indent) break;
      if (at < 0 && l.text !== '') at = l.indent;
      body.push(l.text === '' ? '' : ' '.repeat(l.indent - at) + l.text);
      this.i++;
    }
    while (body.length && body[body.length - 1] === '') body.pop();
    return body.join('\n') + (strip ? '' : '\n');
  }
}

function scalar(raw: string, n: number): Yaml {
  let s = raw;
  if (s.startsWith('"')) return JSON.parse(s) as string;
  if (s.startsWith("'")) {
    if (!s.endsWith("'")) throw new Error(`line ${n}: unterminated quote`);
    return s.slice(1, -1).replace(/''/g, "'");
  }
  s = s.replace(/\s+#.*$/, '');
  if (s.startsWith('[')) {
    if (!s.endsWith(']')) throw new Error(`line ${n}: flow list must end on its line`);
    const inner = s.slice(1, -1).trim();
    return inner === '' ? [] : inner.split(',').map((p) => scalar(p.trim(), n));
  }
  if (s === '{}') return {};
  if (/^[{&*!%@`]/.test(s)) throw new Error(`line ${n}: unsupported YAML: ${s}`);
  if (s === 'true' || s === 'false') return s === 'true';
  if (s === 'null' || s === '~') return null;
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  return s;
}
