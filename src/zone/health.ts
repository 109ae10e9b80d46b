import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../wire/address.js';
import { formatName } from '../wire/name.js';
import { TYPE } from '../wire/constants.js';
import { readInt, readString, rejectUnknown, type Report } from './fields.js';
import type { HealthCheck, NumberedRecords, RecordHealth, ZoneRecord } from './model.js';

/** The fields of a `[[health_checks]]` entry. */
const CHECK_FIELDS = new Set(['name', 'type', 'port', 'path', 'host', 'expect', 'interval', 'timeout', 'rise', 'fall', 'fail']);
const CHECK_TYPES = ['http', 'https', 'tcp'] as const;
/** The record fields of health-checked answers. */
export const HEALTH_RECORD_FIELDS = ['health_check', 'check_address', 'failover'] as const;

/** Defaults of a check (gdnsd's and Route 53's usual values). */
const DEFAULT_INTERVAL = 10;
const DEFAULT_TIMEOUT = 2;
const DEFAULT_RISE = 2;
const DEFAULT_FALL = 3;
const DEFAULT_PORT = { http: 80, https: 443 } as const;
/** Bounds of a check's timing, in seconds: fractions are allowed (tests probe every 0.2 s). */
const MIN_SECONDS = 0.1;
const MAX_INTERVAL = 3600;
const MAX_TIMEOUT = 60;
const MAX_THRESHOLD = 10;
/** Default of `[defaults] health_ttl`: health-checked RRsets are served with a TTL no higher. */
export const DEFAULT_HEALTH_TTL = 30;
/**
 * Health-checked records (distinct probes) in one RRset at most: every health state of the RRset
 * is compiled ahead of time (2^8 = 256 answers at most), so a state change only swaps a packet.
 */
export const MAX_RRSET_PROBES = 8;

const CHECK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

function readSeconds(raw: Record<string, unknown>, field: string, max: number, fallback: number, report: Report): number {
  const v = raw[field];
  if (v === undefined) return fallback;
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < MIN_SECONDS || n > max) {
    report(field, `${JSON.stringify(typeof v === 'bigint' ? String(v) : v)} is not a number of seconds from ${MIN_SECONDS} to ${max}; write e.g. ${field} = ${fallback}`);
    return fallback;
  }
  return n;
}

/**
 * The checks of a zone file by name; `declared`: every name an entry gives, its entry valid or
 * not (a record naming a check with problems of its own is not reported again).
 */
export interface HealthChecks {
  checks: Map<string, HealthCheck>;
  declared: Set<string>;
}

/**
 * Reads `[[health_checks]]`: each entry checked, problems reported per entry (`report(n, ...)`,
 * n 1-based). Returns the checks by name (entries with problems left out).
 */
export function readHealthChecks(raw: unknown, report: (n: number, field: string, message: string) => void, top: Report): HealthChecks {
  const checks = new Map<string, HealthCheck>();
  const declared = new Set<string>();
  const result = { checks, declared };
  if (raw === undefined) return result;
  if (!Array.isArray(raw)) {
    top('health_checks', 'health checks are written as [[health_checks]] tables, one per check');
    return result;
  }
  raw.forEach((entry: unknown, i) => {
    const n = i + 1;
    const at: Report = (field, message) => report(n, field, message);
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return at('health_checks', 'must be a [[health_checks]] table');
    const named = (entry as Record<string, unknown>).name;
    if (typeof named === 'string') declared.add(named);
    const check = readCheck(entry as Record<string, unknown>, at);
    if (check === undefined) return;
    if (checks.has(check.name)) return at('name', `"${check.name}" is already the name of another check; give each check its own name`);
    checks.set(check.name, check);
  });
  return result;
}

function readCheck(raw: Record<string, unknown>, report: Report): HealthCheck | undefined {
  const before = problemsOf(report);
  rejectUnknown(raw, CHECK_FIELDS, before.report);
  const name = readString(raw, 'name', before.report, '"web"');
  if (name === undefined && raw.name === undefined) before.report('name', 'missing; a check needs name = "web", which records name in health_check');
  else if (name !== undefined && !CHECK_NAME.test(name)) before.report('name', `"${name}" is not a check name: 1 to 63 letters, digits, "-", "_" or "."; write e.g. name = "web"`);
  const type = readString(raw, 'type', before.report, '"http"');
  if (type === undefined && raw.type === undefined) before.report('type', 'missing; write type = "http", "https" or "tcp"');
  const kind = CHECK_TYPES.find((t) => t === type?.toLowerCase());
  if (type !== undefined && kind === undefined) before.report('type', `"${type}" is not a check type; write type = "http", "https" or "tcp"`);
  let port = readInt(raw, 'port', 1, 0xffff, before.report, '80');
  if (port === undefined && raw.port === undefined) {
    if (kind === 'tcp') before.report('port', 'missing; a tcp check needs the port to connect to, e.g. port = 25');
    else if (kind !== undefined) port = DEFAULT_PORT[kind];
  }
  const http = kind === 'http' || kind === 'https';
  for (const f of ['path', 'host', 'expect']) {
    if (kind === 'tcp' && raw[f] !== undefined) before.report(f, `a tcp check has no ${f} (it only connects); remove it or set type = "http"`);
  }
  const path = readString(raw, 'path', before.report, '"/healthz"') ?? '/';
  if (http && !/^\/[\x21-\x7e]*$/.test(path)) before.report('path', `${JSON.stringify(path)} is not a request path: it starts with "/" and holds no spaces; write e.g. path = "/healthz"`);
  const host = readString(raw, 'host', before.report, '"www.example.com"');
  if (host !== undefined && !HOST_NAME.test(host)) before.report('host', `${JSON.stringify(host)} is not a host name; write the name the server expects in Host and TLS SNI, e.g. host = "www.example.com"`);
  const expect = readExpect(raw.expect, before.report);
  const interval = readSeconds(raw, 'interval', MAX_INTERVAL, DEFAULT_INTERVAL, before.report);
  const timeout = readSeconds(raw, 'timeout', MAX_TIMEOUT, Math.min(DEFAULT_TIMEOUT, interval), before.report);
  if (timeout > interval) before.report('timeout', `${timeout} s is longer than the interval (${interval} s); a probe ends before the next starts: write e.g. timeout = ${Math.min(DEFAULT_TIMEOUT, interval)}`);
  const rise = readInt(raw, 'rise', 1, MAX_THRESHOLD, before.report, String(DEFAULT_RISE)) ?? DEFAULT_RISE;
  const fall = readInt(raw, 'fall', 1, MAX_THRESHOLD, before.report, String(DEFAULT_FALL)) ?? DEFAULT_FALL;
  const fail = readString(raw, 'fail', before.report, '"closed"') ?? 'open';
  if (fail !== 'open' && fail !== 'closed') before.report('fail', `"${fail}" is not a failure mode; write fail = "open" (serve every record when all are down, the default) or fail = "closed" (serve none)`);
  if (before.count() > 0 || name === undefined || kind === undefined || port === undefined) return undefined;
  return {
    name, type: kind, port, path, ...(host !== undefined && { host }), ...(expect !== undefined && { expect }),
    interval, timeout, rise, fall, fail: fail as 'open' | 'closed',
  };
}

function readExpect(v: unknown, report: Report): number[] | undefined {
  if (v === undefined) return undefined;
  const codes = (Array.isArray(v) ? v : [v]).map((c) => (typeof c === 'bigint' ? Number(c) : c));
  if (codes.length === 0 || codes.some((c) => typeof c !== 'number' || !Number.isInteger(c) || c < 100 || c > 599)) {
    report('expect', `${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x))} is not a list of HTTP status codes (100–599); write e.g. expect = [200, 204]`);
    return undefined;
  }
  return codes as number[];
}

/** A report that counts what passes through it. */
function problemsOf(report: Report): { report: Report; count: () => number } {
  let n = 0;
  return { report: (f, m) => (n++, report(f, m)), count: () => n };
}

/**
 * A record's health fields (`health_check`, `check_address`, `failover`): A and AAAA records only.
 * `address`: the record's own address, probed unless `check_address` is set.
 */
export function readRecordHealth(
  raw: Record<string, unknown>, type: string, address: string | undefined, { checks, declared }: HealthChecks, report: Report,
): RecordHealth | undefined {
  const present = HEALTH_RECORD_FIELDS.filter((f) => raw[f] !== undefined);
  if (present.length === 0) return undefined;
  if (type !== 'A' && type !== 'AAAA') {
    for (const f of present) report(f, `${/^[AEIOU]/.test(type) ? 'an' : 'a'} ${type} record has no ${f}; health checks and failover are for A and AAAA records`);
    return undefined;
  }
  const before = problemsOf(report);
  const failover = readString(raw, 'failover', before.report, '"secondary"') ?? 'primary';
  if (failover !== 'primary' && failover !== 'secondary') {
    before.report('failover', `"${failover}" is not a failover role; write failover = "secondary" (served only while no primary record of this name and type is up) or leave it out`);
  }
  const name = readString(raw, 'health_check', before.report, '"web"');
  if (name !== undefined && !declared.has(name)) {
    const known = [...checks.keys()];
    before.report('health_check', `no [[health_checks]] entry is named "${name}"; ${known.length > 0 ? `the checks here are ${known.map((k) => `"${k}"`).join(', ')}` : 'declare it: [[health_checks]] with name = "' + name + '"'}`);
  }
  const checkAddress = readString(raw, 'check_address', before.report, '"192.0.2.10"');
  if (checkAddress !== undefined) {
    if (normalAddress(checkAddress) === undefined) {
      before.report('check_address', `"${checkAddress}" is not an IP address; probes go to addresses only (a name would be looked up at every probe): write e.g. check_address = "192.0.2.10"`);
    } else if (raw.health_check === undefined) {
      before.report('check_address', 'is the address a health check probes, but this record has no health_check; add health_check = "<name>" or remove check_address');
    }
  }
  if (before.count() > 0 || (name !== undefined && !checks.has(name))) return undefined;
  const target = normalAddress(checkAddress ?? address ?? '');
  return {
    ...(name !== undefined && target !== undefined && { check: { name, address: target } }),
    secondary: failover === 'secondary',
  };
}

/**
 * The address in one spelling (so that "2001:db8::1" and "2001:DB8:0::1" are one probe), or
 * undefined when `a` is no IPv4 or IPv6 address.
 */
function normalAddress(a: string): string | undefined {
  for (const [parse, format] of [[parseIPv4, formatIPv4], [parseIPv6, formatIPv6]] as const) {
    try {
      return format(parse(a));
    } catch {
      // Not this family.
    }
  }
  return undefined;
}

/**
 * Checks across the records of one RRset, and caps the TTL of every RRset with a health-checked or
 * failover record at `healthTtl` (resolvers must not keep an address long after it went down).
 */
export function checkHealthRRsets(
  numbered: NumberedRecords, healthTtl: number, report: (n: number, field: string, message: string) => void,
): void {
  const { records } = numbered;
  // Without health fields, no RRset is health-checked: nothing to check or cap.
  if (!records.some((rec) => rec.health !== undefined)) return;
  const sets = new Map<string, { rec: ZoneRecord; n: number }[]>();
  for (let i = 0; i < records.length; i++) {
    const rec = records[i];
    if (rec.type !== TYPE.A && rec.type !== TYPE.AAAA) continue;
    const key = `${numbered.ownerKey(i)}/${rec.type}`;
    const x = { rec, n: numbered.n(i) };
    const set = sets.get(key);
    if (set) set.push(x);
    else sets.set(key, [x]);
  }
  for (const set of sets.values()) {
    if (!set.some((x) => x.rec.health !== undefined)) continue;
    for (const x of set) x.rec.ttl = Math.min(x.rec.ttl, healthTtl);
    const probes = new Set<string>();
    const addresses = new Map<string, number>();
    for (const { rec, n } of set) {
      const check = rec.health?.check;
      if (check) probes.add(`${check.name}\0${check.address}`);
      const address = JSON.stringify(rec.data);
      const first = addresses.get(address);
      if (first !== undefined) report(n, 'address', `${formatName(rec.owner)} has this address already (record ${first}); in a health-checked RRset each address is one record`);
      else addresses.set(address, n);
    }
    if (probes.size > MAX_RRSET_PROBES) {
      report(set[0].n, 'health_check', `${formatName(set[0].rec.owner)} has ${probes.size} health-checked records of this type; at most ${MAX_RRSET_PROBES} (each health state is compiled ahead of time)`);
    }
  }
}
