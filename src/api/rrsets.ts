import { parseIPv6 } from '../wire/address.js';
import { typeName } from '../wire/constants.js';
import { formatName, isSubdomain, nameKey, type Name } from '../wire/name.js';
import { ownerName, zoneName } from '../zone/names.js';
import { contentFields, fieldsContent, RECORD_TYPES } from './content.js';
import { ApiError, badRequest } from './errors.js';
import type { ZoneDoc } from './zone-json.js';

/** PowerDNS's change types (docs/http-api/zone.rst: RRSet changetype); EXTEND and PRUNE as in PowerDNS 4.9+. */
const CHANGE_TYPES = ['REPLACE', 'DELETE', 'EXTEND', 'PRUNE'] as const;
type ChangeType = (typeof CHANGE_TYPES)[number];

/** One RRset change of a PATCH body. */
export interface RRsetChange {
  name: string;
  type: string;
  ttl?: number;
  changetype: ChangeType;
  records: { content: string }[];
}

type Rec = Record<string, unknown>;

/** The `rrsets` of a PATCH body, checked for shape (400 naming the entry and field). */
export function parseChanges(body: unknown): RRsetChange[] {
  const rrsets = (body as { rrsets?: unknown } | null)?.rrsets;
  if (typeof body !== 'object' || body === null || !Array.isArray(rrsets)) {
    throw badRequest('the body must be {"rrsets": [{"name": "www.example.com.", "type": "A", "ttl": 300, "changetype": "REPLACE", "records": [{"content": "192.0.2.1"}]}]}');
  }
  return rrsets.map((raw: unknown, i): RRsetChange => {
    const at = `rrsets[${i}]`;
    if (typeof raw !== 'object' || raw === null) throw badRequest(`${at} must be an object with name, type, changetype and records`);
    const r = raw as Record<string, unknown>;
    if (typeof r.name !== 'string' || r.name === '') throw badRequest(`${at}.name must be the RRset's absolute name, e.g. "www.example.com."`);
    if (typeof r.type !== 'string') throw badRequest(`${at}.type must be a type such as "A"`);
    const changetype = typeof r.changetype === 'string' ? r.changetype.toUpperCase() : '';
    if (!(CHANGE_TYPES as readonly string[]).includes(changetype)) throw badRequest(`${at}.changetype must be one of ${CHANGE_TYPES.join(', ')}`);
    if (r.ttl !== undefined && (!Number.isInteger(r.ttl) || (r.ttl as number) < 0 || (r.ttl as number) > 2147483647)) throw badRequest(`${at}.ttl must be a whole number of seconds from 0 to 2147483647`);
    const records = r.records ?? [];
    if (!Array.isArray(records)) throw badRequest(`${at}.records must be a list of {"content": "..."}`);
    records.forEach((rec: unknown, j) => {
      const c = rec as { content?: unknown; disabled?: unknown } | null;
      if (typeof c?.content !== 'string') throw badRequest(`${at}.records[${j}].content must be the record's data in presentation format, e.g. "192.0.2.1" or "10 mail.example.com."`);
      if (c.disabled === true) throw new ApiError(422, `${at}.records[${j}]: disabled records are not kept by Eclipso (a zone file serves every record it holds); leave the record out`);
    });
    return { name: r.name, type: r.type.toUpperCase(), ...(r.ttl !== undefined && { ttl: r.ttl as number }), changetype: changetype as ChangeType, records: records as { content: string }[] };
  });
}

/** A record's type mnemonic, from its own `type` or the file's [defaults]. */
function recordType(rec: Rec, defaults: Rec): string {
  const t = rec.type ?? defaults.type ?? 'A';
  return typeof t === 'number' ? typeName(t) : String(t).toUpperCase();
}

/** Where a record lies: its owner's key and type, or null for a record whose owner does not parse (left as it is). */
function rrsetKey(rec: Rec, apex: Name, defaults: Rec): string | null {
  try {
    return `${nameKey(ownerName(typeof rec.domain === 'string' ? rec.domain : '', apex))}/${recordType(rec, defaults)}`;
  } catch {
    return null;
  }
}

/** What makes two records of one RRset the same record: their content, names and addresses compared as the server would. */
function identity(type: string, rec: Rec): string {
  if (type === 'AAAA') {
    try {
      return Buffer.from(parseIPv6(String(rec.address))).toString('hex');
    } catch {
      return String(rec.address);
    }
  }
  const content = fieldsContent(type, rec);
  return ['NS', 'CNAME', 'PTR', 'MX', 'SRV'].includes(type) ? content.toLowerCase() : content;
}

/**
 * Applies PowerDNS RRset changes to a zone's JSON, all or none: REPLACE (the RRset becomes the
 * records given; none: deleted), DELETE, EXTEND (records added unless present), PRUNE (records
 * given removed). Each record written gets the change's TTL. Content that is not data of its
 * type is 422, naming the change and the record.
 */
export function applyChanges(doc: ZoneDoc, zone: string, changes: RRsetChange[]): ZoneDoc {
  const apex = zoneName(zone);
  const defaults = (typeof doc.defaults === 'object' && doc.defaults !== null ? doc.defaults : {}) as Rec;
  let records = (Array.isArray(doc.records) ? doc.records : []) as Rec[];
  changes.forEach((change, i) => {
    const at = `rrsets[${i}]`;
    const owner = changeOwner(change.name, apex, at);
    if (change.type === 'SOA') throw new ApiError(422, `${at}: the SOA is written in the zone's [domain] table (soa, rname, serial, refresh, retry, expire, minimum); PUT the zone to change it`);
    if (!(RECORD_TYPES as readonly string[]).includes(change.type)) throw new ApiError(422, `${at}.type ${change.type} is not served; use one of ${RECORD_TYPES.join(', ')}`);
    const key = `${nameKey(owner)}/${change.type}`;
    const given = change.records.map((r, j): Rec => {
      try {
        return { domain: relativeOwner(owner, apex), type: change.type, ...(change.ttl !== undefined && { ttl: change.ttl }), ...contentFields(change.type, r.content) };
      } catch (e) {
        throw new ApiError(422, `${at}.records[${j}].content: ${(e as Error).message}`);
      }
    });
    const inSet = (r: Rec): boolean => rrsetKey(r, apex, defaults) === key;
    const givenIds = new Set(given.map((r) => identity(change.type, r)));
    switch (change.changetype) {
      case 'DELETE':
        records = records.filter((r) => !inSet(r));
        break;
      case 'REPLACE': {
        const first = records.findIndex(inSet);
        const kept = records.filter((r) => !inSet(r));
        const where = first < 0 ? kept.length : records.slice(0, first).filter((r) => !inSet(r)).length;
        records = [...kept.slice(0, where), ...given, ...kept.slice(where)];
        break;
      }
      case 'EXTEND': {
        const present = new Set(records.filter(inSet).map((r) => identity(change.type, r)));
        records = [...records, ...given.filter((r) => !present.has(identity(change.type, r)))];
        break;
      }
      case 'PRUNE':
        records = records.filter((r) => !inSet(r) || !givenIds.has(identity(change.type, r)));
        break;
    }
  });
  return { ...doc, records };
}

/** The change's owner, which must lie in the zone (422 if not). */
function changeOwner(name: string, apex: Name, at: string): Name {
  let owner: Name;
  try {
    owner = zoneName(name.endsWith('.') ? name.slice(0, -1) : name);
  } catch (e) {
    throw new ApiError(422, `${at}.name "${name}": ${(e as Error).message}`);
  }
  if (!isSubdomain(owner.map((l) => l.toLowerCase()), apex.map((l) => l.toLowerCase()))) {
    throw new ApiError(422, `${at}.name "${name}" is not in the zone ${formatName(apex)}; write an absolute name ending in .${formatName(apex)}`);
  }
  return owner;
}

/** The owner as a zone file writes it: "@" for the apex, else relative ("www"). */
function relativeOwner(owner: Name, apex: Name): string {
  if (owner.length === apex.length) return '@';
  return formatName(owner.slice(0, owner.length - apex.length)).slice(0, -1);
}

/**
 * A zone's records as PowerDNS RRsets (`GET` in PowerDNS's shape, for tools that read before they
 * PATCH): one per owner and type, with the first record's TTL, contents in presentation format.
 */
export function zoneRRsets(doc: ZoneDoc, zone: string): { name: string; type: string; ttl: number; records: { content: string; disabled: boolean }[] }[] {
  const apex = zoneName(zone);
  const defaults = (typeof doc.defaults === 'object' && doc.defaults !== null ? doc.defaults : {}) as Rec;
  const sets = new Map<string, { name: string; type: string; ttl: number; records: { content: string; disabled: boolean }[] }>();
  for (const rec of (Array.isArray(doc.records) ? doc.records : []) as Rec[]) {
    const key = rrsetKey(rec, apex, defaults);
    if (key === null) continue;
    const type = recordType(rec, defaults);
    const name = formatName(ownerName(typeof rec.domain === 'string' ? rec.domain : '', apex)).toLowerCase();
    const set = sets.get(key) ?? { name, type, ttl: Number(rec.ttl ?? defaults.ttl ?? 3600), records: [] };
    sets.set(key, set);
    set.records.push({ content: fieldsContent(type, rec), disabled: false });
  }
  return [...sets.values()];
}
