import { TomlError } from 'smol-toml';
import { TYPE } from '../wire/constants.js';
import { formatName, nameKey, type Name } from '../wire/name.js';
import { DEFAULT_TTL, MAX_TTL, readBool, readInt, readString, rejectUnknown, type Report } from './fields.js';
import { LineIndex } from './lines.js';
import { NumberedRecords, type HealthCheck, type SoaData, type ZoneFile, type ZoneRecord, type ZoneTransferLists } from './model.js';
import { ZoneFileError, type ZoneProblem } from './problem.js';
import { nameProblem, zoneName } from './names.js';
import { buildRecord, plainRecord, type RecordDefaults } from './records.js';
import { checkHealthRRsets, DEFAULT_HEALTH_TTL, readHealthChecks } from './health.js';
import { checkSizes } from './sizes.js';
import { zoneWarnings } from './warnings.js';
import { parseZoneToml, TablesOnDemand } from './toml.js';
import { textDigest } from './text.js';

/** A zone file's name: `<domain>.toml`. */
export const ZONE_FILE_SUFFIX = '.toml';

const TOP_FIELDS = new Set(['version', 'domain', 'defaults', 'records', 'health_checks']);
const DOMAIN_FIELDS = new Set([
  'domain', 'soa', 'rname', 'serial', 'refresh', 'retry', 'expire', 'minimum',
  'created', 'modified', 'verified', 'active', 'ownerid', 'allow_transfer', 'notify',
]);
const DEFAULTS_FIELDS = new Set(['ttl', 'type', 'class', 'health_ttl']);

/** The seed's SOA timers (refresh, retry, expire, minimum) when [domain] leaves them out. */
const SOA_DEFAULTS = { refresh: 28800, retry: 7200, expire: 604800, minimum: 60 };

type Table = Record<string, unknown>;

/**
 * Reads entry `n` (1-based) of a per-zone transfer list, or throws an Error saying which entry is
 * wrong and what to write. The syntaxes are XFR_ALLOW's and XFR_NOTIFY's, read in src/transfer/ (a
 * floor above this one), so the caller passes the readers in (answer/compile-file.ts does).
 */
export type ListEntryReader = (entry: string, n: number) => unknown;

/** The readers of `[domain] allow_transfer` and `[domain] notify` entries. */
export interface TransferListReaders {
  allowTransfer: ListEntryReader;
  notify: ListEntryReader;
}

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Hex digits of the serial's 32 bits. */
const SERIAL_HEX_DIGITS = 8;

/**
 * A serial that changes whenever the file does and is the same on every replica reading the same
 * file: the first 32 bits of the file's SHA-256, read from its hex digest (textDigest).
 */
function contentSerial(digest: string): number {
  return Number.parseInt(digest.slice(0, SERIAL_HEX_DIGITS), 16);
}

/** A serial as written by hand: the date and a number of the day (RFC 1912 §2.2). */
const SERIAL_EXAMPLE = '2024010101';

/**
 * Parses and validates one `<domain>.toml`. Every problem in the file is collected and thrown
 * together as a ZoneFileError; nothing is served from a file with a problem. Without `lists`, the
 * entries of the transfer lists are only checked to be strings (a file read again once accepted).
 * `digest`: textDigest(text), when the caller has made it (a file without a serial is served with
 * one read from it): not made again.
 */
export function parseZoneFile(text: string, origin: string, fileName: string, lists?: TransferListReaders, digest?: string): ZoneFile {
  const problems: ZoneProblem[] = [];
  let doc: Table;
  try {
    doc = parseZoneToml(text);
  } catch (e) {
    if (e instanceof TomlError) {
      const first = e.message.split('\n')[0].replace(/^Invalid TOML document: /, '');
      throw new ZoneFileError([{ origin, line: e.line, message: `TOML syntax: ${first} (column ${e.column})` }]);
    }
    throw e;
  }
  const lines = new LineIndex(text);
  const at = (table: string): Report => (field, message) =>
    problems.push({ origin, field: `[${table}] ${field}`, line: lines.table(table, field), message });
  const top: Report = (field, message) => problems.push({ origin, field, line: lines.topLevel(field), message });

  rejectUnknown(doc, TOP_FIELDS, top);
  if (doc.version !== undefined && typeof doc.version !== 'number') top('version', 'must be a number, e.g. version = 1.0');

  const domain = isTable(doc.domain) ? doc.domain : undefined;
  if (!domain) throw new ZoneFileError([{ origin, message: 'no [domain] table; start the file with [domain] and domain = "example.com"' }]);
  rejectUnknown(domain, DOMAIN_FIELDS, at('domain'));
  const apex = zoneApex(domain, fileName, at('domain'));
  const active = readBool(domain, 'active', at('domain')) ?? true;
  readBool(domain, 'verified', at('domain'));
  readInt(domain, 'ownerid', 0, Number.MAX_SAFE_INTEGER, at('domain'), '10');
  const transfer = transferLists(domain, at('domain'), lists);

  const defaultsRaw = doc.defaults === undefined ? {} : doc.defaults;
  const defaults: RecordDefaults = { ttl: DEFAULT_TTL, type: TYPE.A, class: 1 };
  let healthTtl = DEFAULT_HEALTH_TTL;
  if (!isTable(defaultsRaw)) {
    top('defaults', 'must be a table: [defaults] with ttl, type and class');
  } else {
    rejectUnknown(defaultsRaw, DEFAULTS_FIELDS, at('defaults'));
    defaults.ttl = readInt(defaultsRaw, 'ttl', 0, MAX_TTL, at('defaults'), '3600') ?? DEFAULT_TTL;
    defaults.type = (defaultsRaw.type as number | string | undefined) ?? TYPE.A;
    defaults.class = (defaultsRaw.class as number | string | undefined) ?? 1;
    healthTtl = readInt(defaultsRaw, 'health_ttl', 0, MAX_TTL, at('defaults'), String(DEFAULT_HEALTH_TTL)) ?? DEFAULT_HEALTH_TTL;
  }
  const healthChecks = readHealthChecks(doc.health_checks, (n, field, message) =>
    problems.push({ origin, field: `[[health_checks]] ${n}: ${field}`, line: lines.entry('health_checks', n, field), message }), top);

  const soa = apex && soaData(domain, apex, () => contentSerial(digest ?? textDigest(text)), at('domain'));

  const rawRecords = doc.records ?? [];
  const numbered = new NumberedRecords();
  // With [domain] domain unusable, the records are still checked, relative to the file's name, so
  // that one edit fixes every problem of the file.
  const recordsApex = apex ?? fileApex(fileName);
  if (!Array.isArray(rawRecords) && !(rawRecords instanceof TablesOnDemand)) {
    top('records', 'records are written as [[records]] tables, one per record');
  } else if (recordsApex) {
    // One report for all the records, of the record being read (reports are made while it is):
    // not a function made per record.
    let n = 0;
    const report: Report = (field, message) => problems.push({ origin, record: n, field, line: lines.record(n, field), message });
    const onDemand = rawRecords instanceof TablesOnDemand ? rawRecords : null;
    for (let i = 0; i < rawRecords.length; i++) {
      n = i + 1;
      // A plain record is read straight from its lines; any other from its table, which says what is wrong.
      const quick = onDemand === null ? undefined : plainRecord(onDemand, i, recordsApex, defaults);
      if (quick) {
        numbered.add(quick, n);
        continue;
      }
      const raw: unknown = rawRecords.at(i);
      if (!isTable(raw)) {
        report('record', 'must be a [[records]] table');
        continue;
      }
      const rec = buildRecord(raw, recordsApex, defaults, report, healthChecks);
      if (rec) numbered.add(rec, n);
    }
    const atRecord = (n: number, field: string, message: string): void => {
      problems.push({ origin, record: n, field, line: lines.record(n, field), message });
    };
    checkConsistency(numbered, recordsApex, atRecord, (n) => lines.record(n, 'type'));
    checkSizes(numbered, recordsApex, atRecord);
    checkHealthRRsets(numbered, healthTtl, atRecord);
  }

  if (problems.length > 0) throw new ZoneFileError(problems);
  if (!apex || !soa) throw new ZoneFileError([{ origin, message: 'zone has no usable domain' }]);
  if (!active) return { active: false, apex, warnings: [] };
  const warnings: ZoneProblem[] = [];
  zoneWarnings(numbered, apex, soa.mname, (n, field, message) => warnings.push(n === undefined
    ? { origin, field, line: lines.table('domain', field.replace(/^\[domain\] /, '')), message }
    : { origin, record: n, field, line: lines.record(n, field), message }));
  const { records } = numbered;
  const zoneChecks = usedChecks(records, healthChecks.checks);
  return { active: true, zone: { apex, soa: { ttl: defaults.ttl, data: soa }, records, ...(zoneChecks.size > 0 && { healthChecks: zoneChecks }) }, explicitSerial: domain?.serial !== undefined, transfer, warnings };
}

/** The checks that records use, in the file's order. */
function usedChecks(records: ZoneRecord[], checks: Map<string, HealthCheck>): Map<string, HealthCheck> {
  // Most files declare none: their records are not looked through.
  if (checks.size === 0) return checks;
  const used = new Set(records.map((r) => r.health?.check?.name));
  return new Map([...checks].filter(([name]) => used.has(name)));
}

/**
 * `[domain] domain`, which must match the file name (`<domain>.toml`). Both are compared as A-labels,
 * so an internationalised zone's file may be named either way: `bücher.de.toml` or
 * `xn--bcher-kva.de.toml` (the ASCII name suits every file system and S3 tool).
 */
function zoneApex(domain: Table, fileName: string, report: Report): Name | undefined {
  const text = readString(domain, 'domain', report, '"example.com"');
  if (text === undefined) {
    if (domain.domain === undefined) report('domain', 'missing; write domain = "example.com"');
    return undefined;
  }
  let apex: Name;
  try {
    apex = zoneName(text);
  } catch (e) {
    report('domain', nameProblem(e, 'write the zone name, e.g. domain = "example.com"'));
    return undefined;
  }
  if (apex.length === 0) {
    report('domain', 'the root zone is not served; write the zone name, e.g. domain = "example.com"');
    return undefined;
  }
  let named: Name | undefined;
  try {
    named = zoneName(fileName.slice(0, -ZONE_FILE_SUFFIX.length));
  } catch {
    named = undefined;
  }
  if (named === undefined || nameKey(named) !== nameKey(apex)) {
    const expected = formatName(apex).slice(0, -1) + ZONE_FILE_SUFFIX;
    report('domain', `"${text}" does not match the file name ${fileName}; rename the file to ${expected} or fix domain`);
    return undefined;
  }
  return apex;
}

/** `placeholder`: the serial of a file that sets none (hashing the file: made only then). */
function soaData(domain: Table, apex: Name, placeholder: () => number, report: Report): SoaData | undefined {
  const name = (field: string, fallback: Name): Name | undefined => {
    // The example is made only for a field that is there (it may be wrong).
    if (domain[field] === undefined) return fallback;
    const v = readString(domain, field, report, `"ns1.${formatName(apex)}"`);
    if (v === undefined) return fallback;
    try {
      return zoneName(v);
    } catch (e) {
      report(field, nameProblem(e, 'write an absolute name'));
      return undefined;
    }
  };
  // Seed defaults: mname from `soa` or ns.<domain>, rname hostmaster.<domain>.
  const mname = name('soa', ['ns', ...apex]);
  const rname = name('rname', ['hostmaster', ...apex]);
  const u32 = (f: string, fallback: number): number =>
    readInt(domain, f, 0, 0xffffffff, report, String(fallback)) ?? fallback;
  const serial = readInt(domain, 'serial', 0, 0xffffffff, report, SERIAL_EXAMPLE) ?? placeholder();
  const timers = {
    refresh: u32('refresh', SOA_DEFAULTS.refresh),
    retry: u32('retry', SOA_DEFAULTS.retry),
    expire: u32('expire', SOA_DEFAULTS.expire),
    minimum: u32('minimum', SOA_DEFAULTS.minimum),
  };
  if (!mname || !rname) return undefined;
  return { t: 'SOA', mname, rname, serial, ...timers };
}

/**
 * `[domain] allow_transfer` (addresses and address/prefix blocks, as XFR_ALLOW) and `[domain]
 * notify` (`address[:port]`, as XFR_NOTIFY): arrays of strings, each entry read by `lists`.
 */
function transferLists(domain: Table, report: Report, lists: TransferListReaders | undefined): ZoneTransferLists {
  const read = (field: string, example: string, reader: ListEntryReader | undefined): string[] | undefined => {
    const v = domain[field];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((e) => typeof e !== 'string')) {
      report(field, `must be a list of quoted strings; write e.g. ${field} = ${example}`);
      return undefined;
    }
    const entries = (v as string[]).map((e) => e.trim());
    entries.forEach((e, i) => {
      try {
        reader?.(e, i + 1);
      } catch (err) {
        report(field, (err as Error).message);
      }
    });
    return entries;
  };
  const allowTransfer = read('allow_transfer', '["192.0.2.1", "2001:db8::/32"] (or [] for no transfers of this zone)', lists?.allowTransfer);
  const notify = read('notify', '["192.0.2.1", "[2001:db8::1]:5353"]', lists?.notify);
  return { ...(allowTransfer && { allowTransfer }), ...(notify && { notify }) };
}

/** RFC 1034 §3.6.2 / RFC 2181 §10.1: a CNAME owner has no other data; the apex has no CNAME. */
function checkConsistency(
  numbered: NumberedRecords, apex: Name, report: (n: number, field: string, message: string) => void,
  lineOf: (n: number) => number | undefined,
): void {
  // RFC 1034 §3.6.2, RFC 2181 §10.1: a name with a CNAME holds nothing else. Each conflict names
  // the record it conflicts with, and its line.
  const at = (n: number): string => {
    const line = lineOf(n);
    return line === undefined ? `record ${n}` : `record ${n}, line ${line}`;
  };
  // Only names with a CNAME can conflict: the records of other names are passed over.
  const { records } = numbered;
  const cnameOwners = new Set<string>();
  for (let i = 0; i < records.length; i++) if (records[i].type === TYPE.CNAME) cnameOwners.add(numbered.ownerKey(i));
  if (cnameOwners.size === 0) return;
  const byOwner = new Map<string, { firstCname?: number; firstOther?: number }>();
  for (let i = 0; i < records.length; i++) {
    const key = numbered.ownerKey(i);
    if (!cnameOwners.has(key)) continue;
    const r = records[i];
    const n = numbered.n(i);
    const entry = byOwner.get(key) ?? {};
    byOwner.set(key, entry);
    if (r.type === TYPE.CNAME) {
      if (key === nameKey(apex)) report(n, 'type', 'a CNAME cannot stand at the zone apex (it holds SOA and NS); use A/AAAA records there');
      else if (entry.firstCname !== undefined) report(n, 'type', `${formatName(r.owner)} already has a CNAME (${at(entry.firstCname)}); a name has one CNAME at most`);
      else if (entry.firstOther !== undefined) report(n, 'type', `${formatName(r.owner)} has other records (${at(entry.firstOther)}); a CNAME must be the only record at its name`);
      entry.firstCname ??= n;
    } else {
      if (entry.firstCname !== undefined) report(n, 'type', `${formatName(r.owner)} has a CNAME (${at(entry.firstCname)}); a name with a CNAME holds nothing else`);
      entry.firstOther ??= n;
    }
  }
}

/** The zone a file's name says (`example.com.toml`: example.com), if it is a name at all. */
function fileApex(fileName: string): Name | undefined {
  try {
    const apex = zoneName(fileName.slice(0, -ZONE_FILE_SUFFIX.length));
    return apex.length > 0 ? apex : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a file or object name is a zone file (`<domain>.toml`; dot files are editors' and ConfigMaps'). */
export function isZoneFileName(fileName: string): boolean {
  return fileName.endsWith(ZONE_FILE_SUFFIX) && !fileName.startsWith('.') && fileName.length > ZONE_FILE_SUFFIX.length;
}
