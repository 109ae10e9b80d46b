/**
 * PowerDNS's `content` (a record's data in presentation format, RFC 1035 §5.1) to and from the
 * fields of a zone file's [[records]] table (README, Zone files; src/zone/records.ts): the
 * address, and MX preference, SRV priority, weight and port, CAA flags and tag.
 */

/** A record's data fields in a zone file, `address` and the type's own. */
export type RecordFields = Record<string, string | number | string[]>;

/** The types a zone file holds (SOA lives in [domain]). */
export const RECORD_TYPES = ['A', 'AAAA', 'NS', 'CNAME', 'PTR', 'MX', 'TXT', 'SRV', 'CAA'] as const;

/**
 * RFC 1035 §5.1 <character-string>s: quoted (with `\"`, `\\` and `\DDD` escapes) or bare words.
 * A quote left open is an error.
 */
export function characterStrings(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === ' ' || text[i] === '\t') {
      i++;
      continue;
    }
    const quoted = text[i] === '"';
    if (quoted) i++;
    let s = '';
    for (;;) {
      if (i >= text.length) {
        if (quoted) throw new Error('a quoted string is not closed; end it with "');
        break;
      }
      const c = text[i];
      if (quoted ? c === '"' : c === ' ' || c === '\t') {
        if (quoted) i++;
        break;
      }
      if (c === '\\' && /^\d{3}/.test(text.slice(i + 1, i + 4))) {
        s += String.fromCharCode(Number(text.slice(i + 1, i + 4)));
        i += 4;
      } else if (c === '\\' && i + 1 < text.length) {
        s += text[i + 1];
        i += 2;
      } else {
        s += c;
        i++;
      }
    }
    out.push(s);
  }
  return out;
}

/** A <character-string> in presentation format: quoted, `"` and `\` escaped. */
export function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function uint(text: string, what: string, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) > max) throw new Error(`${what} "${text}" is not a whole number from 0 to ${max}`);
  return Number(text);
}

/** The fields of one record of `type` from its content; throws an Error saying what to write. */
export function contentFields(type: string, content: string): RecordFields {
  const words = content.trim().split(/\s+/);
  const expect = (n: number, example: string): void => {
    if (words.length !== n || words[0] === '') throw new Error(`${type} content "${content}" must be ${n === 1 ? 'one field' : `${n} fields`}, e.g. "${example}"`);
  };
  switch (type) {
    case 'A': expect(1, '192.0.2.1'); return { address: words[0] };
    case 'AAAA': expect(1, '2001:db8::1'); return { address: words[0] };
    case 'NS': case 'CNAME': case 'PTR': expect(1, 'host.example.com.'); return { address: words[0] };
    case 'MX':
      expect(2, '10 mail.example.com.');
      return { preference: uint(words[0], 'preference', 0xffff), address: words[1] };
    case 'SRV':
      expect(4, '10 5 443 host.example.com.');
      return { priority: uint(words[0], 'priority', 0xffff), weight: uint(words[1], 'weight', 0xffff), port: uint(words[2], 'port', 0xffff), address: words[3] };
    case 'TXT': {
      const strings = characterStrings(content);
      if (strings.length === 0) throw new Error('TXT content is empty; write it quoted, e.g. "\\"v=spf1 -all\\""');
      return { address: strings.length === 1 ? strings[0] : strings };
    }
    case 'CAA': {
      const m = /^\s*(\d+)\s+([A-Za-z0-9]+)\s+(.*)$/.exec(content);
      if (!m) throw new Error(`CAA content "${content}" must be flags, tag and value, e.g. "0 issue \\"letsencrypt.org\\""`);
      const value = characterStrings(m[3]);
      if (value.length !== 1) throw new Error(`CAA value "${m[3]}" must be one string, e.g. "letsencrypt.org"`);
      return { flags: uint(m[1], 'flags', 255), tag: m[2], address: value[0] };
    }
  }
  throw new Error(`type ${type} is not served; use one of ${RECORD_TYPES.join(', ')}`);
}

/** A name as PowerDNS writes it: absolute, with its trailing dot. */
const absolute = (name: string): string => (name.endsWith('.') ? name : `${name}.`);

/** A zone file record's content in presentation format (what PowerDNS's GET shows). */
export function fieldsContent(type: string, rec: Record<string, unknown>): string {
  const a = rec.address;
  switch (type) {
    case 'NS': case 'CNAME': case 'PTR': return absolute(String(a));
    case 'MX': return `${rec.preference ?? 10} ${absolute(String(a))}`;
    case 'SRV': return `${rec.priority ?? 0} ${rec.weight ?? 0} ${rec.port} ${absolute(String(a))}`;
    case 'TXT': return (Array.isArray(a) ? a : [String(a)]).map((s) => quote(String(s))).join(' ');
    case 'CAA': return `${rec.flags ?? 0} ${rec.tag} ${quote(String(a))}`;
    default: return String(a);
  }
}
