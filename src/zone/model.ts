import type { Name } from '../wire/name.js';
import type { RData } from '../wire/rdata.js';
import type { ZoneProblem } from './problem.js';

export type SoaData = Extract<RData, { t: 'SOA' }>;

/** One record of a zone, its owner absolute and its data typed. */
export interface ZoneRecord {
  owner: Name;
  type: number;
  ttl: number;
  data: RData;
}

/** A validated zone, ready to compile: what one `<domain>.toml` says. */
export interface Zone {
  apex: Name;
  soa: { ttl: number; data: SoaData };
  records: ZoneRecord[];
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
