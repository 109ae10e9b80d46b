import { domainToASCII } from 'node:url';
import { MAX_LABEL_LENGTH, MAX_NAME_LENGTH } from '../wire/constants.js';
import { WireError } from '../wire/errors.js';
import { FNV_OFFSET, FNV_PRIME } from '../wire/fnv.js';
import { formatName, parseName, wireLength, type Name } from '../wire/name.js';
import { MIN_SLICED } from './text.js';

const NON_ASCII = /[^\x00-\x7f]/;
const NON_ASCII_ALL = /[^\x00-\x7f]/gu;
/** Letters, digits and hyphens (RFC 5890 §2.3.1, LDH): an A-label, and the ASCII in a U-label. */
const LDH = /^[A-Za-z0-9-]*$/;

/**
 * A name as a zone file writes it, in wire labels. A label with non-ASCII characters is an
 * internationalised label: it becomes its IDNA A-label (`bücher` → `xn--bcher-kva`) by UTS #46,
 * as browsers map it (Node.js's url.domainToASCII), so the name answers to the form resolvers ask
 * for. ASCII labels are kept as written: `_dmarc`, `_sip`, `hello_a` and `*` are not IDNA labels
 * (UTS #46 may refuse the underscore), and `\DDD` escapes still give raw octets.
 */
export function zoneName(text: string): Name {
  return plainName(text) ?? parseName(NON_ASCII.test(text) ? toALabels(text) : text);
}

/**
 * A zone's name as the stores and the HTTP API name it (a `<name>.toml` file, a table's key):
 * lower case, A-labels, no trailing dot. Throws as zoneName does.
 */
export function storedZoneName(text: string): string {
  return formatName(zoneName(text)).slice(0, -1).toLowerCase();
}

/** Whether a text holds characters beyond ASCII (then a zone name in it is written with U-labels). */
export function hasUnicode(text: string): boolean {
  return NON_ASCII.test(text);
}

const DOT = 0x2e;
const BACKSLASH = 0x5c;
const ASCII_MAX = 0x7f;

/** Pairs of slots of the labels made lately (a power of two). */
const RECENT_PAIRS = 2048;
/**
 * Labels made lately, by a hash of their characters: two slots per hash, the label met last first.
 * A zone's names repeat most of their labels (`www`, `example`, `net`, the numbers of a reverse
 * zone): each is kept once, not once per name (a million-record zone holds two names per record
 * while it compiles). Two slots, so that the labels met once (a host's own) do not push out those
 * that come again.
 */
const recentLabels: string[] = new Array<string>(2 * RECENT_PAIRS).fill('');

/**
 * The label from `start` to `end` of `text`, whose characters hash to `hash`: the same one as
 * lately, if any. A copy of its own: as a view of the text (a zone file of megabytes), a long label
 * would keep the text in memory as long as its name lives (in a difference kept for IXFR, say).
 */
function label(text: string, start: number, end: number, hash: number): string {
  const slot = 2 * (hash & (RECENT_PAIRS - 1));
  const last = recentLabels[slot];
  if (last.length === end - start && text.startsWith(last, start)) return last;
  const before = recentLabels[slot + 1];
  recentLabels[slot + 1] = last;
  if (before.length === end - start && text.startsWith(before, start)) return (recentLabels[slot] = before);
  // Joined from two pieces, a long label is copied.
  const made = end - start < MIN_SLICED ? text.slice(start, end) : [text.slice(start, end - 1), text[end - 1]].join('');
  return (recentLabels[slot] = made);
}

/**
 * The labels of the name being split, at the start of an array kept from name to name: only the
 * name's own array is made (an array grown by push would be made and grown first, per name).
 */
const scratch: string[] = [];

/** The root's labels: none. */
const ROOT: Name = [];

/**
 * The labels of a name as parseName reads it, then those of `suffix`, when the name is the usual
 * kind: ASCII without escapes, each label 1 to 63 octets, 255 in all (a dot may end it). Such a
 * name is split at its dots without parseName's copying of each character; any other gives
 * undefined, and is read by parseName and the IDNA conversion, which say what is wrong.
 */
function plainName(text: string, suffix: Name = ROOT): string[] | undefined {
  const end = text.endsWith('.') ? text.length - 1 : text.length;
  // The name's wire form: its characters but the dots, and a length octet per label and the root.
  if (end + 2 > MAX_NAME_LENGTH) return undefined;
  let count = 0;
  let start = 0;
  let hash = FNV_OFFSET;
  for (let i = 0; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : DOT;
    if (c === BACKSLASH || c > ASCII_MAX) return undefined;
    if (c !== DOT) {
      hash = Math.imul(hash ^ c, FNV_PRIME);
      continue;
    }
    if (i === start || i - start > MAX_LABEL_LENGTH) return undefined;
    scratch[count++] = label(text, start, i, hash);
    start = i + 1;
    hash = FNV_OFFSET;
  }
  for (const l of suffix) scratch[count++] = l;
  // An array of the name's length (RDATA names are held as long as their zone's model, and owners
  // while it compiles), and the labels let go of: a long one holds on to the text it was sliced from.
  const labels = scratch.slice(0, count);
  scratch.fill('', 0, count);
  return labels;
}

/**
 * An owner written relative to the zone, as the seed does: "" and "@" are the apex, "www" and
 * "www." are www.<zone>, "*." is the wildcard at the apex.
 */
export function ownerName(text: string, apex: Name): Name {
  if (text === '' || text === '@') return apex;
  const rel = text.endsWith('.') && !text.endsWith('\\.') ? text.slice(0, -1) : text;
  // One array exactly as long as the name (a spread's, like one grown by push, has room for 16
  // labels), and a million-record zone holds a name per record while it compiles.
  const full = plainName(rel, apex) ?? zoneName(rel).concat(apex);
  const octets = wireLength(full);
  if (octets > MAX_NAME_LENGTH) {
    throw new WireError('NAME_TOO_LONG', `${formatName(full)} is ${octets} octets in wire form; a name holds at most ${MAX_NAME_LENGTH} (RFC 1035 §2.3.4): shorten the owner`);
  }
  return full;
}

/** What to tell the operator about a name that failed: length errors say the fix; syntax errors get an example. */
export function nameProblem(e: unknown, example: string): string {
  if (!(e instanceof WireError)) throw e;
  return e.code === 'BAD_TEXT' ? `${e.message}; ${example}` : e.message;
}

/** Presentation text with each non-ASCII label replaced by its A-label; dots escaped as `\.` do not split. */
function toALabels(text: string): string {
  const labels: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length) {
      cur += c + text[++i];
    } else if (c === '.') {
      labels.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  labels.push(cur);
  return labels.map((l) => (NON_ASCII.test(l) ? aLabel(l, text) : l)).join('.');
}

function aLabel(label: string, text: string): string {
  // domainToASCII parses a URL host: '/', '?', '#' end it and '%' escapes, so "ü/x" would come
  // back as the A-label of "ü" alone. Only letters, digits and hyphens may stand beside non-ASCII.
  const ascii = label.replace(NON_ASCII_ALL, '');
  if (!LDH.test(ascii)) {
    const bad = [...ascii].find((c) => !LDH.test(c))!;
    throw new WireError('BAD_TEXT', `label "${label}" in "${text}" has non-ASCII letters and ${JSON.stringify(bad)}; an internationalised label holds letters, digits and hyphens only`);
  }
  const a = domainToASCII(label);
  // Empty when UTS #46 refuses the label; with dots or other ASCII when it maps to something
  // that is not one label (fullwidth dots, fullwidth digits read as an IPv4 address).
  if (a === '' || !LDH.test(a)) {
    throw new WireError('BAD_TEXT', `label "${label}" in "${text}" is not a valid internationalised label (UTS #46 refuses it: a symbol, a joiner or a character not allowed in names); write its A-label (xn--…) or an ASCII name`);
  }
  if (a.length > MAX_LABEL_LENGTH) {
    throw new WireError('LABEL_TOO_LONG', `label "${label}" in "${text}" is ${a} in IDNA form, ${a.length} octets; a label holds at most ${MAX_LABEL_LENGTH} (RFC 1035 §2.3.4): shorten it`);
  }
  return a;
}
