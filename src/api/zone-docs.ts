import { serialAdd } from '../transfer/serial.js';
import { ApiError } from './errors.js';
import { applyChanges, zoneRRsets, type RRsetChange } from './rrsets.js';
import { editedZoneText } from './zone-edit.js';
import { parseTomlBody, zoneDoc, zoneText, type ZoneDoc } from './zone-json.js';

/**
 * What the API makes of a zone file's text and of a request's zone: each reads or writes a whole
 * document, which for a zone of a million records takes seconds (bench/RESULTS.md), so they run on
 * a thread of their own (doc-thread.ts), never on the thread that answers queries. Pure functions;
 * an ApiError thrown here is the reply.
 */

/** The stored zone as JSON, or 422 when its file is not TOML (edited by hand): it cannot be patched. */
function storedDoc(zone: string, text: string): ZoneDoc {
  try {
    return zoneDoc(text);
  } catch (e) {
    throw new ApiError(422, `the file of ${zone} is not TOML (${(e as Error).message.split('\n')[0]}); fix the file, or PUT the whole zone`);
  }
}

/**
 * A zone that sets its own `[domain] serial` gets it raised by one on a PATCH (RFC 1982 §3.1), as
 * PowerDNS's SOA-EDIT-API does: secondaries take only a greater serial. (A zone without one has
 * its serial derived from the write's time.) A PUT writes the serial it is sent.
 */
function withNextSerial(doc: ZoneDoc): ZoneDoc {
  const domain = doc.domain as Record<string, unknown> | undefined;
  if (typeof domain?.serial !== 'number' || !Number.isInteger(domain.serial)) return doc;
  return { ...doc, domain: { ...domain, serial: serialAdd(domain.serial, 1) } };
}

export const ZONE_DOCS = {
  // The replies to GETs are made into JSON text here: a large zone's document would otherwise be
  // copied to the answering thread object by object, and made into text there.

  /** GET: the stored zone as JSON text. */
  docJson: (zone: string, text: string): string => JSON.stringify(storedDoc(zone, text)),

  /** GET in PowerDNS's form, as JSON text: the zone and its RRsets, with the serial it is served with. */
  pdnsJson: (zone: string, text: string, serial: number): string =>
    JSON.stringify({ id: `${zone}.`, name: `${zone}.`, kind: 'Native', serial, rrsets: zoneRRsets(storedDoc(zone, text), zone) }),

  /** What a listing shows of a file's [domain]: its serial, and whether it is active (a file that is not TOML: nothing known). */
  summary(text: string): { serial: number | null; active: boolean } {
    let domain: Record<string, unknown> = {};
    try {
      domain = (zoneDoc(text).domain ?? {}) as Record<string, unknown>;
    } catch {
      // Listed with what is known: it is not served.
    }
    return { serial: typeof domain.serial === 'number' ? domain.serial : null, active: domain.active !== false };
  },

  /**
   * PATCH: the stored text with the changes made, edited where they lie, its comments and layout
   * kept (zone-edit.ts), or else written anew; a serial it sets is raised.
   */
  patched(zone: string, text: string, changes: RRsetChange[]): string {
    const stored = storedDoc(zone, text);
    const changed = withNextSerial(applyChanges(stored, zone, changes));
    return editedZoneText(text, stored, changed) ?? zoneText(changed);
  },

  /** PUT of a TOML file: 400 when it is not TOML; else it is written as sent. */
  tomlBody(body: string): string {
    parseTomlBody(body);
    return body;
  },

  /** PUT of JSON: the zone as its canonical TOML file. */
  jsonBody: (doc: unknown): string => zoneText(doc),
};

export type ZoneDocOps = typeof ZONE_DOCS;
