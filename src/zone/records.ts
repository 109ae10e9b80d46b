import { CLASS, TYPE, typeName } from '../wire/constants.js';
import { WireError } from '../wire/errors.js';
import { parseIPv4, parseIPv6 } from '../wire/address.js';
import type { Name } from '../wire/name.js';
import type { RData } from '../wire/rdata.js';
import { MAX_TTL, readInt, readString, rejectUnknown, type Report } from './fields.js';
import { HEALTH_RECORD_FIELDS, readRecordHealth, type HealthChecks } from './health.js';
import type { ZoneRecord } from './model.js';
import { nameProblem, ownerName, zoneName } from './names.js';
import type { TablesOnDemand } from './toml.js';

/** Record types a zone file may hold; SOA lives in [domain]. */
const SERVED_TYPES = ['A', 'AAAA', 'NS', 'CNAME', 'PTR', 'MX', 'TXT', 'SRV', 'CAA'] as const;
type ServedType = (typeof SERVED_TYPES)[number];

const RECORD_FIELDS: ReadonlySet<string> = new Set([
  'domain', 'type', 'class', 'ttl', 'address', 'preference', 'priority', 'weight', 'port', 'flags', 'tag',
  ...HEALTH_RECORD_FIELDS,
]);

/** The fields of some types only. */
const TYPE_FIELDS = ['preference', 'priority', 'weight', 'port', 'flags', 'tag'];
/**
 * The fields of any record but health-checked ones. A record with no other field (most records)
 * is not looked through for the type-only and health fields.
 */
const COMMON_FIELDS: ReadonlySet<string> = new Set(['domain', 'type', 'class', 'ttl', 'address']);

/** Fields each type needs besides the common ones, for "unknown field" checks per type. */
const EXTRA_FIELDS: Record<ServedType, readonly string[]> = {
  A: [], AAAA: [], NS: [], CNAME: [], PTR: [], TXT: [],
  MX: ['preference'],
  SRV: ['priority', 'weight', 'port'],
  CAA: ['flags', 'tag'],
};

/** Seed default: an MX without `preference` gets 10. */
const DEFAULT_MX_PREFERENCE = 10;
/** RFC 1035 §3.3: a <character-string> holds at most 255 octets. */
const MAX_CHARACTER_STRING = 255;

export interface RecordDefaults {
  ttl: number;
  type: number | string;
  class: number | string;
}

/**
 * The served type a record's `type` names, as the string of SERVED_TYPES (the record's data holds
 * it: one string for all records, not the file's text of each), or what it is, for the message.
 */
function resolveType(v: unknown): ServedType | string {
  const name = typeof v === 'number' || typeof v === 'bigint' ? typeName(Number(v)) : typeof v === 'string' ? v.toUpperCase() : undefined;
  // indexOf, not find: no closure made for each record.
  const served = name === undefined ? -1 : (SERVED_TYPES as readonly string[]).indexOf(name);
  if (served >= 0) return SERVED_TYPES[served];
  if (typeof v === 'number' || typeof v === 'bigint') return `type ${v} (${name})`;
  return typeof v === 'string' ? `type "${v}"` : `type ${JSON.stringify(v)}`;
}

/** "an A record", "a CNAME record". */
function article(t: ServedType): string {
  return /^[AEIOU]/.test(t) ? 'an' : 'a';
}

function isServed(t: string): t is ServedType {
  return (SERVED_TYPES as readonly string[]).includes(t);
}

function target(addr: string, field: string, report: Report): Name | undefined {
  try {
    return zoneName(addr);
  } catch (e) {
    report(field, nameProblem(e, 'write an absolute name such as "host-1.example.com."'));
    return undefined;
  }
}

/** TXT: a string is split into 255-octet pieces; an array gives the pieces explicitly. */
function txtStrings(v: unknown, report: Report): Uint8Array[] | undefined {
  if (typeof v === 'string') {
    const bytes = Buffer.from(v, 'utf8');
    const out: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += MAX_CHARACTER_STRING) out.push(bytes.subarray(i, i + MAX_CHARACTER_STRING));
    return out.length ? out : [new Uint8Array(0)];
  }
  if (Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string')) {
    const out = v.map((s: string) => Buffer.from(s, 'utf8'));
    const long = out.findIndex((b) => b.length > MAX_CHARACTER_STRING);
    if (long >= 0) {
      report('address', `string ${long + 1} is ${out[long].length} octets; each string in the array must be at most 255 (or give one string and it is split for you)`);
      return undefined;
    }
    return out;
  }
  report('address', 'TXT needs the text as a quoted string, or an array of quoted strings: address = "v=spf1 -all"');
  return undefined;
}

function rdata(t: ServedType, raw: Record<string, unknown>, report: Report): RData | undefined {
  const v = raw.address;
  if (t === 'TXT') {
    const strings = txtStrings(v, report);
    return strings && { t, strings };
  }
  if (typeof v !== 'string') {
    report('address', v === undefined ? `missing; ${article(t)} ${t} record needs an address` : `must be a quoted string`);
    return undefined;
  }
  try {
    switch (t) {
      case 'A': return { t, address: parseIPv4(v) };
      case 'AAAA': return { t, address: parseIPv6(v) };
      case 'NS': case 'CNAME': case 'PTR': {
        const name = target(v, 'address', report);
        return name && { t, target: name };
      }
      case 'MX': {
        const exchange = target(v, 'address', report);
        const preference = readInt(raw, 'preference', 0, 0xffff, report, '10') ?? DEFAULT_MX_PREFERENCE;
        return exchange && { t, preference, exchange };
      }
      case 'SRV': {
        const name = target(v, 'address', report);
        const priority = readInt(raw, 'priority', 0, 0xffff, report, '10') ?? 0;
        const weight = readInt(raw, 'weight', 0, 0xffff, report, '5') ?? 0;
        const port = readInt(raw, 'port', 0, 0xffff, report, '443');
        if (raw.port === undefined) report('port', 'missing; an SRV record needs port = <0–65535>');
        return name && port !== undefined ? { t, priority, weight, port, target: name } : undefined;
      }
      case 'CAA': {
        const flags = readInt(raw, 'flags', 0, 255, report, '0') ?? 0;
        const tag = readString(raw, 'tag', report, '"issue"');
        // RFC 8659 §4.1: the tag is 1–15 ASCII letters and digits.
        if (tag === undefined) {
          if (raw.tag === undefined) report('tag', 'missing; a CAA record needs tag = "issue", "issuewild" or "iodef"');
          return undefined;
        }
        if (!/^[A-Za-z0-9]{1,15}$/.test(tag)) {
          report('tag', `"${tag}" is not a CAA tag: 1 to 15 letters and digits, e.g. tag = "issue"`);
          return undefined;
        }
        return { t, flags, tag, value: Buffer.from(v, 'utf8') };
      }
    }
  } catch (e) {
    if (e instanceof WireError) report('address', e.message);
    else throw e;
    return undefined;
  }
}

/** Reports the fields of other types than `t` (an A record's `preference`). */
function rejectOtherTypesFields(raw: Record<string, unknown>, t: ServedType, report: Report): void {
  for (const f of TYPE_FIELDS) {
    if (raw[f] !== undefined && !EXTRA_FIELDS[t].includes(f)) {
      report(f, `${article(t)} ${t} record has no ${f}; remove it${f === 'preference' ? ' or set type = "MX"' : ''}`);
    }
  }
}

/** Builds one record from its [[records]] table; problems go to `report`. `checks`: the file's health checks. */
export function buildRecord(
  raw: Record<string, unknown>, apex: Name, defaults: RecordDefaults, report: Report, checks: HealthChecks = { checks: new Map(), declared: new Set() },
): ZoneRecord | undefined {
  const onlyCommon = rejectUnknown(raw, RECORD_FIELDS, report).every((k) => COMMON_FIELDS.has(k));
  const resolved = resolveType(raw.type ?? defaults.type);
  if (!isServed(resolved)) {
    const soa = resolved.includes('SOA');
    report('type', soa
      ? 'SOA is not a record here: set soa, rname, serial, refresh, retry, expire and minimum in [domain]'
      : `${resolved} is not served; use one of ${SERVED_TYPES.join(', ')} (or its number)`);
    return undefined;
  }
  if (!onlyCommon) rejectOtherTypesFields(raw, resolved, report);
  const klass = raw.class ?? defaults.class;
  if (klass !== CLASS.IN && klass !== BigInt(CLASS.IN) && String(klass).toUpperCase() !== 'IN') {
    report('class', `${JSON.stringify(String(klass))} is not served; only class 1 (IN) is`);
  }
  const ttl = readInt(raw, 'ttl', 0, MAX_TTL, report, '3600') ?? defaults.ttl;
  const domain = raw.domain ?? '';
  let owner: Name | undefined;
  if (typeof domain !== 'string') {
    report('domain', 'must be a quoted name relative to the zone: "" or "@" for the apex, "www" for www.<zone>');
  } else {
    try {
      owner = ownerName(domain, apex);
    } catch (e) {
      report('domain', nameProblem(e, 'write a name relative to the zone such as "www" or "*.dev"'));
    }
  }
  const data = rdata(resolved, raw, report);
  const health = onlyCommon ? undefined : readRecordHealth(raw, resolved, typeof raw.address === 'string' ? raw.address : undefined, checks, report);
  if (!owner || !data) return undefined;
  // Two literals rather than a spread of `health`: a spread copies through a slow path, per record.
  const type = TYPE[resolved];
  return health ? { owner, type, ttl, data, health } : { owner, type, ttl, data };
}

/**
 * The fields of the record plainRecord is reading, as its scan finds them (undefined: not in the
 * table); read by rdata as a table of them.
 */
const fields = { domain: undefined as unknown, type: undefined as unknown, ttl: undefined as unknown, address: undefined as unknown, preference: undefined as unknown };
/** Whether reading the record's data found something wrong (then buildRecord says what). */
let wrong = false;
const noteWrong: Report = () => {
  wrong = true;
};

/** Takes one key/value pair into `fields`, or stops the scan at a field of no plain record. */
function plainField(text: string, from: number, to: number, value: unknown): boolean {
  switch (to - from) {
    case 3: if (text.startsWith('ttl', from)) return (fields.ttl = value), true; break;
    case 4: if (text.startsWith('type', from)) return (fields.type = value), true; break;
    case 6: if (text.startsWith('domain', from)) return (fields.domain = value), true; break;
    case 7: if (text.startsWith('address', from)) return (fields.address = value), true; break;
    case 10: if (text.startsWith('preference', from)) return (fields.preference = value), true; break;
  }
  return false;
}

/** The types of plain records, by how `type` (or [defaults] type) names them: upper case, or their number. */
const PLAIN_TYPES: ReadonlyMap<unknown, ServedType> = new Map<unknown, ServedType>(
  (['A', 'AAAA', 'NS', 'CNAME', 'PTR', 'MX', 'TXT'] as const).flatMap((t) => [[t, t], [TYPE[t], t]]),
);

/**
 * Record `i` of `tables` read straight from its lines, when it is plain: no fields but domain,
 * type, ttl, address (and an MX's preference), of a type of PLAIN_TYPES, of class IN, its TXT one
 * string, none of them wrong. It is then what buildRecord builds from the record's table, without
 * the table made or its fields looked up by name; most records of most files are plain. Undefined
 * for any other record, which buildRecord is to read, and report on.
 */
export function plainRecord(tables: TablesOnDemand, i: number, apex: Name, defaults: RecordDefaults): ZoneRecord | undefined {
  fields.domain = fields.type = fields.ttl = fields.address = fields.preference = undefined;
  if (!tables.scan(i, plainField)) return undefined;
  const t = PLAIN_TYPES.get(fields.type ?? defaults.type);
  if (t === undefined || (defaults.class !== CLASS.IN && defaults.class !== 'IN') || (fields.preference !== undefined && t !== 'MX')) return undefined;
  const ttl = fields.ttl ?? defaults.ttl;
  const domain = fields.domain ?? '';
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0 || ttl > MAX_TTL || typeof domain !== 'string' || typeof fields.address !== 'string') return undefined;
  let owner: Name;
  try {
    owner = ownerName(domain, apex);
  } catch {
    return undefined;
  }
  wrong = false;
  const data = rdata(t, fields, noteWrong);
  if (wrong || data === undefined) return undefined;
  return { owner, type: TYPE[t], ttl, data };
}
