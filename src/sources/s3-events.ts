/**
 * S3 event notifications as they reach an SQS queue, read into the object changes they name.
 * Three shapes arrive: S3's own message (`{"Records": [...]}`), the same wrapped in an SNS
 * notification (`{"Type": "Notification", "Message": "<the S3 message as a string>"}`), and
 * EventBridge's (`{"source": "aws.s3", "detail-type": "Object Created", "detail": {...}}`).
 * See https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 * and https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html. Pure functions, and
 * the order of the events applied per file.
 */
import { isZoneFileName } from '../zone/parse.js';
import type { S3Location } from './s3-location.js';

/** One object changed: created (or overwritten) or removed. */
export interface ObjectEvent {
  bucket: string;
  /** The object key, decoded (S3 sends keys URL-encoded, with "+" for a space). */
  key: string;
  kind: 'created' | 'removed';
  /** Orders events of one key (see compareSequencers); "" when the event carries none. */
  sequencer: string;
  /** The new object's ETag, quoted as S3's listings quote it ("" for removals). */
  etag: string;
}

/** What one message says: object events, or a test event S3 sends when notifications are set up. */
export type ParsedMessage = { kind: 'events'; events: ObjectEvent[] } | { kind: 'test' };

/** A message body that is not an S3 event in any of the shapes we read; the message is left for redelivery. */
export class EventParseError extends Error {
  override name = 'EventParseError';
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Reads one SQS message body. Throws EventParseError when it is none of the three shapes. */
export function parseS3EventMessage(body: string): ParsedMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new EventParseError('the message body is not JSON');
  }
  if (!isObject(json)) throw new EventParseError('the message body is not a JSON object');
  // SNS → SQS without raw message delivery: the S3 message is a string inside the envelope.
  if (json.Type === 'Notification' && typeof json.Message === 'string') return parseS3EventMessage(json.Message);
  // Sent once to check the destination when notifications are configured; names no object.
  if (json.Event === 's3:TestEvent') return { kind: 'test' };
  if (Array.isArray(json.Records)) return { kind: 'events', events: json.Records.flatMap(recordEvent) };
  if (json.source === 'aws.s3' && isObject(json.detail)) return { kind: 'events', events: eventBridgeEvent(json) };
  throw new EventParseError('not an S3 event notification (no Records, no SNS Message, no EventBridge aws.s3 detail)');
}

/** One record of S3's own shape; records of other event types (tagging, restore, ...) name no change. */
function recordEvent(record: unknown): ObjectEvent[] {
  if (!isObject(record) || !isObject(record.s3)) throw new EventParseError('a record has no s3 part');
  const name = str(record.eventName);
  const kind = name.startsWith('ObjectCreated:') ? 'created' : name.startsWith('ObjectRemoved:') ? 'removed' : null;
  if (!kind) return [];
  const s3 = record.s3;
  const bucket = isObject(s3.bucket) ? str(s3.bucket.name) : '';
  const object = isObject(s3.object) ? s3.object : {};
  const rawKey = str(object.key);
  if (!bucket || !rawKey) throw new EventParseError(`a ${name} record names no bucket or key`);
  return [{ bucket, key: decodeKey(rawKey), kind, sequencer: str(object.sequencer), etag: kind === 'created' ? quoteEtag(str(object.eTag)) : '' }];
}

/** EventBridge's shape: one event per message; keys are not URL-encoded there. */
function eventBridgeEvent(json: Json): ObjectEvent[] {
  const type = str(json['detail-type']);
  const kind = type === 'Object Created' ? 'created' : type === 'Object Deleted' ? 'removed' : null;
  if (!kind) return [];
  const detail = json.detail as Json;
  const bucket = isObject(detail.bucket) ? str(detail.bucket.name) : '';
  const object = isObject(detail.object) ? detail.object : {};
  const key = str(object.key);
  if (!bucket || !key) throw new EventParseError(`an EventBridge "${type}" event names no bucket or key`);
  return [{ bucket, key, kind, sequencer: str(object.sequencer), etag: kind === 'created' ? quoteEtag(str(object.etag)) : '' }];
}

/** S3 notifications URL-encode the key, spaces as "+" (form encoding). */
function decodeKey(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    throw new EventParseError(`the key ${JSON.stringify(raw)} is not URL-encoded`);
  }
}

/** Events send the ETag bare, listings and GETs quoted: quote it so that the two compare. */
function quoteEtag(etag: string): string {
  return etag === '' || etag.startsWith('"') ? etag : `"${etag}"`;
}

/**
 * Orders two sequencers of the same key: negative when `a` happened before `b`. S3 documents
 * them as hexadecimal strings of varying length, compared after right-padding the shorter with
 * zeros; they order events of one key only.
 */
export function compareSequencers(a: string, b: string): number {
  const width = Math.max(a.length, b.length);
  const pa = a.toUpperCase().padEnd(width, '0');
  const pb = b.toUpperCase().padEnd(width, '0');
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}

/** The zone file an event is about (a `<domain>.toml` right under the prefix), or null for another bucket, prefix or key. */
export function zoneFileOf(event: ObjectEvent, location: S3Location): string | null {
  if (event.bucket !== location.bucket || !event.key.startsWith(location.prefix)) return null;
  const file = event.key.slice(location.prefix.length);
  return !file.includes('/') && isZoneFileName(file) ? file : null;
}

/**
 * The sequencer of the last event applied per file: an event whose sequencer is not newer than
 * that one is a duplicate, or was overtaken (S3 delivers at least once, in any order).
 */
export class EventOrder {
  private readonly last = new Map<string, string>();

  stale(file: string, event: ObjectEvent): boolean {
    const last = this.last.get(file);
    return event.sequencer !== '' && last !== undefined && compareSequencers(event.sequencer, last) <= 0;
  }

  applied(file: string, event: ObjectEvent): void {
    if (event.sequencer) this.last.set(file, event.sequencer);
  }
}
