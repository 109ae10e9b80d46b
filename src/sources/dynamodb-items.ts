import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { parse as parseToml, stringify as stringifyToml, TomlError } from 'smol-toml';
import { ConfigError } from '../config.js';

/**
 * The DynamoDB table's key schema, and a zone file's text to and from its items. Pure functions.
 *
 * A zone is one partition (partition key `zone`: the domain, lower case, no trailing dot), so a
 * zone has no 400 KB item limit: each record is an item of its own.
 * - `item = "#zone"`: the zone item. The file's top-level fields (`version`, `domain`, `defaults`,
 *   as maps with the TOML files' own field names), and our bookkeeping: `revision` (a number,
 *   raised by every write: the version conditional writes check), `generation` (which record items
 *   are current), `recordCount` and `modified` (Unix seconds), and `zoneIndex` (the domain again:
 *   the key of the sparse global secondary index ZONE_INDEX, which holds zone items only, so that
 *   the periodic sync reads every zone's version without reading a single record item).
 * - `item = "r#<generation>#<index>"`: one `[[records]]` entry, its fields as attributes with the
 *   TOML field names (`domain`, `type`, `address`, `ttl`, ...), in file order by index.
 * A write puts a new generation of record items first, then switches the zone item to it with one
 * conditional write (the commit), then deletes the old generation; a reader takes only the zone
 * item's generation, and reads again if it found fewer records than `recordCount`.
 */

export const PARTITION_KEY = 'zone';
export const SORT_KEY = 'item';
export const ZONE_ITEM = '#zone';
/**
 * The sparse global secondary index of zone items: its partition key ZONE_INDEX_KEY is set on zone
 * items only (one index partition per zone, so writes spread), projecting `revision` and `generation`.
 */
export const ZONE_INDEX = 'zone-index';
export const ZONE_INDEX_KEY = 'zoneIndex';
const RECORD_PREFIX = 'r#';
/** Our attributes on the zone item; a TOML top-level field of the same name is refused. */
const BOOKKEEPING = ['revision', 'generation', 'recordCount', 'modified', ZONE_INDEX_KEY];
/** Wide enough for any zone's record count, so that items sort in file order. */
const INDEX_DIGITS = 9;

export type Item = Record<string, AttributeValue>;

/** ZONE_DIR=dynamodb://<table>. */
export function isDynamoUrl(zoneDir: string): boolean {
  return zoneDir.toLowerCase().startsWith('dynamodb://');
}

export function parseDynamoUrl(zoneDir: string): string {
  const table = zoneDir.slice('dynamodb://'.length).replace(/\/$/, '');
  // DynamoDB's table naming rules: 3-255 characters of a-z A-Z 0-9 _ - .
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(table)) {
    throw new ConfigError(`ZONE_DIR=${JSON.stringify(zoneDir)}: "${table}" is not a DynamoDB table name (3-255 characters: letters, digits, "_", "-" and "."); write dynamodb://<table>`);
  }
  return table;
}

/** The sort key prefix of one generation's record items. */
export function recordPrefix(generation: string): string {
  return `${RECORD_PREFIX}${generation}#`;
}

/** A zone's text cut into its zone item's fields and its record items (without the bookkeeping). */
export interface ZoneItems {
  /** Top-level fields other than `records` (version, domain, defaults), marshalled. */
  top: Item;
  /** One item per record, keys included. */
  records: Item[];
}

/** Cuts a zone file into items. Throws an Error naming the problem when the text is not TOML or does not fit. */
export function zoneToItems(domain: string, text: string, generation: string): ZoneItems {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`the zone text is not TOML: ${e instanceof TomlError ? e.message.split('\n')[0] : (e as Error).message}`);
  }
  const top: Item = {};
  for (const [k, v] of Object.entries(doc)) {
    if (k === 'records') continue;
    if (k === PARTITION_KEY || k === SORT_KEY || BOOKKEEPING.includes(k)) throw new Error(`the top-level field "${k}" is a name the table uses itself; remove it`);
    top[k] = marshal(v);
  }
  const list = doc.records === undefined ? [] : doc.records;
  if (!Array.isArray(list)) throw new Error('records must be an array of tables ([[records]])');
  const records = list.map((r, i): Item => {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new Error(`record ${i + 1} is not a table`);
    const item: Item = { [PARTITION_KEY]: { S: domain }, [SORT_KEY]: { S: recordPrefix(generation) + String(i).padStart(INDEX_DIGITS, '0') } };
    for (const [k, v] of Object.entries(r as Record<string, unknown>)) {
      if (k === PARTITION_KEY || k === SORT_KEY) throw new Error(`record ${i + 1}: the field "${k}" is a name the table uses itself`);
      item[k] = marshal(v);
    }
    return item;
  });
  return { top, records };
}

/** A zone's text again, from its zone item and its current record items in sort-key order. */
export function itemsToZoneText(zoneItem: Item, records: Item[]): string {
  const doc: Record<string, unknown> = {};
  // version first, as the files write it; then the tables.
  const keys = Object.keys(zoneItem).filter((k) => k !== PARTITION_KEY && k !== SORT_KEY && !BOOKKEEPING.includes(k));
  keys.sort((a, b) => Number(b === 'version') - Number(a === 'version'));
  for (const k of keys) doc[k] = unmarshal(zoneItem[k]);
  doc.records = records.map((r) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) if (k !== PARTITION_KEY && k !== SORT_KEY) out[k] = unmarshal(v);
    return out;
  });
  return stringifyToml(doc) + '\n';
}

/** A TOML value as a DynamoDB attribute value (TOML dates are kept as their text). */
export function marshal(v: unknown): AttributeValue {
  if (typeof v === 'string') return { S: v };
  if (typeof v === 'boolean') return { BOOL: v };
  if (typeof v === 'number' || typeof v === 'bigint') return { N: String(v) };
  if (Array.isArray(v)) return { L: v.map(marshal) };
  if (v instanceof Date) return { S: v.toISOString() };
  if (typeof v === 'object' && v !== null) return { M: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, marshal(x)])) };
  throw new Error(`a value of type ${typeof v} cannot be stored`);
}

export function unmarshal(a: AttributeValue): unknown {
  if (a.S !== undefined) return a.S;
  if (a.N !== undefined) return Number(a.N);
  if (a.BOOL !== undefined) return a.BOOL;
  if (a.L !== undefined) return a.L.map(unmarshal);
  if (a.M !== undefined) return Object.fromEntries(Object.entries(a.M).map(([k, x]) => [k, unmarshal(x)]));
  throw new Error(`an attribute of a type zone files do not have (${Object.keys(a).join(',')})`);
}
