import { parse as parseToml, stringify, TomlError } from 'smol-toml';
import { badRequest } from './errors.js';

/** A zone as JSON: the same keys as its TOML file (`version`, `domain`, `defaults`, `records`). */
export type ZoneDoc = Record<string, unknown>;

/** The order of a zone file's top-level keys (README, Zone files). */
const TOP_ORDER = ['version', 'domain', 'defaults', 'records'];

/** A zone file's text as JSON: TOML dates become their RFC 3339 text. */
export function zoneDoc(text: string): ZoneDoc {
  return JSON.parse(JSON.stringify(parseToml(text))) as ZoneDoc;
}

/** Parses a TOML body, or 400 naming the line. */
export function parseTomlBody(text: string): ZoneDoc {
  try {
    return zoneDoc(text);
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    throw badRequest(`the body is not TOML: line ${e.line}, column ${e.column}: ${e.message.split('\n')[0]}; send a zone file (Content-Type: application/toml) or its JSON (application/json)`);
  }
}

/** Parses a JSON body, or 400. */
export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(`the body is not JSON: ${(e as Error).message}; send a JSON object`);
  }
}

/**
 * A zone's JSON as its canonical TOML file: the keys in the README's order, then any others (the
 * compiler rejects unknown ones with what to write). 400 when it is no object or holds what TOML
 * cannot (null).
 */
export function zoneText(doc: unknown): string {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw badRequest('the zone must be a JSON object with the keys of its TOML file: version, domain, defaults, records');
  const d = doc as ZoneDoc;
  const ordered: ZoneDoc = {};
  for (const k of TOP_ORDER) if (d[k] !== undefined) ordered[k] = d[k];
  for (const k of Object.keys(d)) if (!TOP_ORDER.includes(k)) ordered[k] = d[k];
  try {
    return stringify(ordered);
  } catch (e) {
    throw badRequest(`the zone cannot be written as TOML: ${(e as Error).message}; leave out null values`);
  }
}
