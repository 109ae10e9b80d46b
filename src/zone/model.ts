import { nameKey, type Name } from '../wire/name.js';
import type { RData } from '../wire/rdata.js';
import type { ZoneProblem } from './problem.js';

export type SoaData = Extract<RData, { t: 'SOA' }>;

/** One record of a zone, its owner absolute and its data typed. */
export interface ZoneRecord {
  owner: Name;
  type: number;
  ttl: number;
  data: RData;
  /** Health-checked answers (README, Health checks): A and AAAA records only. */
  health?: RecordHealth;
}

/**
 * The records of a file as its checks see them: each with its number in the file (1-based), for
 * their messages, and its owner's nameKey, made once for all of them when the first asks (most
 * checks of most zones need none). Arrays side by side, not an object per record: a million-record
 * zone keeps them until its parse ends.
 */
export class NumberedRecords {
  readonly records: ZoneRecord[] = [];
  private readonly numbers: number[] = [];
  /** The keys made so far; '' for the others (a nameKey is never empty). */
  private keys: string[] | undefined;

  get length(): number {
    return this.records.length;
  }

  add(rec: ZoneRecord, n: number): void {
    this.records.push(rec);
    this.numbers.push(n);
  }

  /** The number in the file of record `i` (0-based). */
  n(i: number): number {
    return this.numbers[i];
  }

  /** The nameKey of record `i`'s owner. */
  ownerKey(i: number): string {
    this.keys ??= new Array<string>(this.records.length).fill('');
    return this.keys[i] || (this.keys[i] = nameKey(this.records[i].owner));
  }
}

/**
 * A `[[health_checks]]` entry: how to probe an address. `interval` and `timeout` in seconds
 * (fractions allowed); `fail`: what an RRset whose records are all down serves (open: all of them;
 * closed: none, NODATA).
 */
export interface HealthCheck {
  name: string;
  type: 'http' | 'https' | 'tcp';
  port: number;
  /** http(s): the request path, and the Host header and TLS SNI (none: the address). */
  path: string;
  host?: string;
  /** http(s): status codes that count as up; none: 200–399. */
  expect?: number[];
  interval: number;
  timeout: number;
  rise: number;
  fall: number;
  fail: 'open' | 'closed';
}

/**
 * A record's part in its RRset's health: the check probing it (its name in the zone's
 * `healthChecks`) and the address probed (the record's own, or `check_address`), and whether it is
 * a failover secondary (served only while no primary of its RRset is up).
 */
export interface RecordHealth {
  check?: { name: string; address: string };
  secondary: boolean;
}

/** A validated zone, ready to compile: what one `<domain>.toml` says. */
export interface Zone {
  apex: Name;
  soa: { ttl: number; data: SoaData };
  records: ZoneRecord[];
  /** The file's `[[health_checks]]` that records use, by name. */
  healthChecks?: Map<string, HealthCheck>;
}

/**
 * A zone file's own transfer settings, from its [domain] table: `allowTransfer` (`allow_transfer`)
 * replaces XFR_ALLOW for the zone, `notify` replaces XFR_NOTIFY. Entries as written (trimmed), in
 * the settings' syntax; a field the file leaves out is absent.
 */
export interface ZoneTransferLists {
  allowTransfer?: string[];
  notify?: string[];
}

/**
 * A zone file either describes a served zone or says the zone is switched off (`active = false`).
 * `warnings`: what loads but will not work as meant (an MX pointing at a CNAME, a CNAME loop).
 */
/**
 * A parsed zone file. `explicitSerial`: the file sets `[domain] serial` (otherwise the serial is a
 * placeholder, the content's hash, which the serving path replaces: src/transfer/serial.ts).
 */
export type ZoneFile = ({ active: true; zone: Zone; explicitSerial: boolean; transfer: ZoneTransferLists } | { active: false; apex: Name }) & { warnings: ZoneProblem[] };
