import type { IncomingMessage } from 'node:http';
import type { ZoneCompiler } from '../answer/compiler.js';
import type { Logger } from '../log.js';
import type { ServedVersion } from '../serving/catalog.js';
import { StoreConflict, type StoredZone, type WriteCondition, type ZoneStore } from '../sources/zone-store.js';
import { serialGreater } from '../transfer/serial.js';
import type { Name } from '../wire/name.js';
import { storedZoneName, zoneName } from '../zone/names.js';
import { ZONE_FILE_SUFFIX } from '../zone/parse.js';
import { formatProblem } from '../zone/problem.js';
import { textDigest } from '../zone/text.js';
import { authorize, mayRead, type ApiToken } from './auth.js';
import { readBody, requireMediaType } from './body.js';
import { ApiError, badRequest, notFound } from './errors.js';
import type { ZoneDocs } from './doc-worker.js';
import { parseChanges } from './rrsets.js';
import { parseJsonBody } from './zone-json.js';

/** The ETag is this many hex digits of the text's SHA-256 (128 bits). */
const ETAG_HEX = 32;
/** A write without a precondition that loses a race to another write is made again on the new text, this often. */
const UNCONDITIONAL_TRIES = 3;
const JSON_TYPE = 'application/json';
const TOML_TYPE = 'application/toml';

/** What the API hands changes to: the running Serving (src/serving/serving.ts). */
export interface ServedZones {
  upsert(origin: string, fileName: string, text: string, modified?: number): Promise<boolean>;
  remove(origin: string, fileName: string): Promise<void>;
  version(fileName: string): ServedVersion | undefined;
  /** The file a zone (its apex) is served from, if it is served. */
  servedFrom(apex: Name): string | undefined;
}

export interface ZonesDeps {
  store: ZoneStore;
  /** The origin the source gives a file (its path, its s3:// URL): the catalog knows the file by it. */
  origin(fileName: string): string;
  serving: ServedZones;
  /** Compiles candidate zones without serving them: the server's own checks (src/answer/compile-file.ts). */
  compiler: ZoneCompiler;
  /** Reads and writes zone documents, off the thread that answers queries (doc-worker.ts). */
  docs: ZoneDocs;
  log: Logger;
  maxBody: number;
}

/** An answer: status, JSON body (or text with its type), headers. */
export interface Reply {
  status: number;
  body?: unknown;
  text?: { type: string; data: string };
  headers?: Record<string, string>;
}

export const etagOf = (text: string): string => `"${textDigest(text).slice(0, ETAG_HEX)}"`;

/** The zone a path names (`example.com` or `example.com.`, any case, Unicode or A-labels), as the store names it. */
export function zoneParam(raw: string): string {
  try {
    const name = storedZoneName(raw.endsWith('.') ? raw.slice(0, -1) : raw);
    if (name === '') throw new Error('the root zone is not served');
    return name;
  } catch (e) {
    throw badRequest(`"${raw}" is not a zone name: ${(e as Error).message}; write e.g. /api/v1/zones/example.com`);
  }
}

/** `If-Match` / `If-None-Match` entity tags (RFC 9110 §13.1.1): '*' or the list, W/ dropped. */
function etags(header: string | undefined): string[] | '*' | undefined {
  if (header === undefined) return undefined;
  if (header.trim() === '*') return '*';
  return header.split(',').map((t) => t.trim().replace(/^W\//, '')).filter(Boolean);
}

/** What a write replies and logs. */
interface Written {
  zone: string;
  before: StoredZone | undefined;
  text: string | null;
  change: string;
}

export class ZonesApi {
  constructor(private readonly deps: ZonesDeps) {}

  async list(token: ApiToken): Promise<Reply> {
    const zones = [];
    for (const zone of await this.deps.store.list()) {
      if (!mayRead(token, zone)) continue;
      const stored = await this.deps.store.get(zone).catch(() => undefined);
      if (!stored) continue;
      const served = this.served(zone, stored.text);
      const summary = await this.deps.docs.summary(stored.text);
      zones.push({
        name: zone,
        etag: etagOf(stored.text),
        serial: served?.serial ?? summary.serial,
        records: served?.records ?? null,
        active: summary.active,
        insync: served !== undefined && served.answering !== false,
      });
    }
    return { status: 200, body: { zones } };
  }

  async get(token: ApiToken, rawZone: string, req: IncomingMessage, pdns = false): Promise<Reply> {
    const zone = zoneParam(rawZone);
    authorize(token, zone, false);
    const stored = await this.existing(zone);
    const headers = { etag: etagOf(stored.text) };
    if (pdns) {
      const serial = this.served(zone, stored.text)?.serial ?? 0;
      return { status: 200, headers, text: { type: JSON_TYPE, data: await this.deps.docs.pdnsJson(zone, stored.text, serial) } };
    }
    if ((req.headers.accept ?? '').includes(TOML_TYPE)) return { status: 200, headers, text: { type: `${TOML_TYPE}; charset=utf-8`, data: stored.text } };
    return { status: 200, headers, text: { type: JSON_TYPE, data: await this.deps.docs.docJson(zone, stored.text) } };
  }

  /** PUT: the whole zone, as JSON (written as canonical TOML) or as a TOML file (written as sent). */
  async put(token: ApiToken, rawZone: string, req: IncomingMessage): Promise<Reply> {
    const zone = zoneParam(rawZone);
    authorize(token, zone, true);
    const type = requireMediaType(req, [JSON_TYPE, TOML_TYPE]);
    const body = await readBody(req, this.deps.maxBody);
    const text = type === TOML_TYPE ? await this.deps.docs.tomlBody(body) : await this.deps.docs.jsonBody(parseJsonBody(body));
    return this.write(token, zone, req, async () => ({ text, change: 'PUT whole zone' }));
  }

  async patch(token: ApiToken, rawZone: string, req: IncomingMessage, pdns = false): Promise<Reply> {
    const zone = zoneParam(rawZone);
    authorize(token, zone, true);
    requireMediaType(req, [JSON_TYPE]);
    const changes = parseChanges(parseJsonBody(await readBody(req, this.deps.maxBody)));
    const reply = await this.write(token, zone, req, async (current) => {
      if (!current) throw notFound(`zone ${zone} does not exist; create it with PUT /api/v1/zones/${zone}`);
      return {
        text: await this.deps.docs.patched(zone, current.text, changes),
        change: `PATCH ${changes.map((c) => `${c.changetype} ${c.name}/${c.type}`).join(', ')}`,
      };
    });
    // PowerDNS answers a PATCH with 204 No Content.
    return pdns ? { status: 204, headers: reply.headers } : reply;
  }

  async delete(token: ApiToken, rawZone: string, req: IncomingMessage): Promise<Reply> {
    const zone = zoneParam(rawZone);
    authorize(token, zone, true);
    return this.write(token, zone, req, async (current) => {
      if (!current) throw notFound(`zone ${zone} does not exist`);
      return { text: null, change: 'DELETE zone' };
    });
  }

  /** GET /changes/{id}: INSYNC once this server serves the change's version, or a later one. */
  change(token: ApiToken, id: string): Reply {
    const m = /^(.+)~(\d+|deleted)~([0-9a-f]{32})$/.exec(id);
    if (!m) throw notFound(`no such change: ${id}; a change id is what a write returned`);
    const zone = zoneParam(m[1]);
    authorize(token, zone, false);
    const v = this.deps.serving.version(zone + ZONE_FILE_SUFFIX);
    const insync = m[2] === 'deleted'
      ? v === undefined || !v.digest.startsWith(m[3])
      : v !== undefined && v.answering !== false && (v.digest.startsWith(m[3]) || (v.serial !== undefined && Number(m[2]) > 0 && serialGreater(v.serial, Number(m[2]))));
    return { status: 200, body: { id, zone, status: insync ? 'INSYNC' : 'PENDING' } };
  }

  /**
   * 409 when the zone is in a file the API does not address: it reads and writes `<zone>.toml`
   * (lower case, A-labels), and a file named otherwise (`Example.COM.toml`) would be a second file
   * for the zone, which the server refuses to serve. The file serving the zone, or, when the store
   * has no `<zone>.toml` (`own` false), one of a folder named for the zone that serves nothing now
   * (rejected, `active = false`): looked for then only, as it reads the folder.
   */
  private async addressable(zone: string, own: boolean): Promise<void> {
    const served = this.deps.serving.servedFrom(zoneName(zone));
    const file = served !== undefined && served !== zone + ZONE_FILE_SUFFIX ? served : own ? undefined : await this.deps.store.otherFileOf?.(zone);
    if (file === undefined || file === zone + ZONE_FILE_SUFFIX) return;
    throw new ApiError(409, `zone ${zone} is in ${file}, which the API does not read or write (it keeps each zone in ${zone}${ZONE_FILE_SUFFIX}); rename the file to ${zone}${ZONE_FILE_SUFFIX} to manage the zone through the API`);
  }

  private async existing(zone: string): Promise<StoredZone> {
    const stored = await this.deps.store.get(zone);
    await this.addressable(zone, stored !== undefined);
    if (!stored) throw notFound(`zone ${zone} does not exist in ${this.deps.store.description}; create it with PUT /api/v1/zones/${zone}`);
    return stored;
  }

  /** What this server serves of the zone, if compiled from this very text. */
  private served(zone: string, text: string): ServedVersion | undefined {
    const v = this.deps.serving.version(zone + ZONE_FILE_SUFFIX);
    return v?.digest === textDigest(text) ? v : undefined;
  }

  /**
   * One write: read the zone, check the request's preconditions against it, make the new text,
   * check it as the server would load it (422, nothing written), write it on condition that the
   * zone is still what was read, then serve it here at once. A write with a precondition that
   * loses a race answers 412; one without is made again on the newer text.
   */
  private async write(token: ApiToken, zone: string, req: IncomingMessage, make: (current: StoredZone | undefined) => Promise<{ text: string | null; change: string }>): Promise<Reply> {
    const ifMatch = etags(req.headers['if-match']);
    const ifNoneMatch = etags(req.headers['if-none-match']);
    const conditional = ifMatch !== undefined || ifNoneMatch !== undefined;
    for (let tries = 1; ; tries++) {
      const current = await this.deps.store.get(zone);
      await this.addressable(zone, current !== undefined);
      const etag = current && etagOf(current.text);
      if (ifNoneMatch !== undefined && current && (ifNoneMatch === '*' || ifNoneMatch.includes(etag!))) {
        throw new ApiError(412, `zone ${zone} exists (ETag ${etag}); If-None-Match asked for it not to`, { etag });
      }
      if (ifMatch !== undefined && (!current || (ifMatch !== '*' && !ifMatch.includes(etag!)))) {
        throw new ApiError(412, current
          ? `zone ${zone} has changed: its ETag is ${etag}, not ${[ifMatch].flat().join(', ')}; GET it again, redo the change on what it is now, and send that ETag`
          : `zone ${zone} does not exist; If-Match needs it to`, { etag: etag ?? null });
      }
      const { text, change } = await make(current);
      if (text !== null) await this.check(zone, text);
      const condition: WriteCondition = current ? { version: current.version } : 'absent';
      try {
        if (text === null) await this.deps.store.delete(zone, condition);
        else await this.deps.store.put(zone, text, condition);
      } catch (e) {
        if (!(e instanceof StoreConflict)) throw e;
        if (conditional || tries >= UNCONDITIONAL_TRIES) {
          throw new ApiError(412, `zone ${zone} was changed by another write meanwhile; GET it again and redo the change`);
        }
        continue;
      }
      return this.written(token, { zone, before: current, text, change });
    }
  }

  /** The zone's compiler's verdict on the text: 422 with every problem, as `eclipso check` lists them. */
  private async check(zone: string, text: string): Promise<void> {
    const fileName = zone + ZONE_FILE_SUFFIX;
    const compiled = await this.deps.compiler.compile(text, this.deps.origin(fileName), fileName);
    if (compiled.kind === 'rejected') {
      throw new ApiError(422, `the zone would not load: ${compiled.problems.length} problem${compiled.problems.length === 1 ? '' : 's'}; fix them and send it again (nothing was written)`, {
        problems: compiled.problems.map((p) => ({ ...p, text: formatProblem(p) })),
      });
    }
    if (compiled.kind === 'failed') throw new Error(`cannot compile the zone: ${compiled.message}`);
  }

  /** Serves the written zone here at once, logs the audit line, and replies. */
  private async written(token: ApiToken, w: Written): Promise<Reply> {
    const fileName = w.zone + ZONE_FILE_SUFFIX;
    const origin = this.deps.origin(fileName);
    const before = w.before && this.served(w.zone, w.before.text);
    const oldEtag = w.before ? etagOf(w.before.text) : undefined;
    if (w.text === null) {
      await this.deps.serving.remove(origin, fileName);
      const id = `${w.zone}~deleted~${textDigest(w.before!.text).slice(0, ETAG_HEX)}`;
      this.deps.log.info('api write', { token: token.name, zone: w.zone, change: w.change, oldEtag, oldSerial: before?.serial });
      return { status: 200, body: { zone: w.zone, change: this.change(token, id).body } };
    }
    const accepted = await this.deps.serving.upsert(origin, fileName, w.text, Date.now() / 1000);
    const now = this.served(w.zone, w.text);
    const etag = etagOf(w.text);
    const id = `${w.zone}~${now?.serial ?? 0}~${textDigest(w.text).slice(0, ETAG_HEX)}`;
    this.deps.log.info('api write', {
      token: token.name, zone: w.zone, change: w.change, oldEtag, newEtag: etag, oldSerial: before?.serial, newSerial: now?.serial,
      ...(!accepted && { served: false }),
    });
    return {
      status: w.before ? 200 : 201,
      headers: { etag },
      body: { zone: w.zone, etag, serial: now?.serial ?? null, change: this.change(token, id).body },
    };
  }
}
