import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Fields } from '../log.js';
import { isZoneFileName } from '../zone/parse.js';
import {
  itemsToZoneText, PARTITION_KEY, recordPrefix, SORT_KEY, ZONE_ITEM, zoneToItems, type Item,
} from './dynamodb-items.js';
import { RequestSignals } from './request-signals.js';
import { seedCredentials, type FetchedObject, type Listing, type RemoteZones } from './remote-zones.js';
import { StoreConflict, type StoredZone, type WriteCondition } from './zone-store.js';

/** Region used when neither AWS_REGION nor a profile names one. */
const FALLBACK_REGION = 'us-east-1';
const CONNECT_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** BatchWriteItem takes 25 requests at most. */
const BATCH_WRITE_MAX = 25;
/** A zone read that raced a writer's clean-up is read again this many times before it fails. */
const READ_ATTEMPTS = 5;
/** Unprocessed batch items (throttling) are retried this many times, with backoff. */
const BATCH_ATTEMPTS = 8;
const ZONE_SUFFIX = '.toml';

type Dynamo = typeof import('@aws-sdk/client-dynamodb');

/**
 * One DynamoDB table of zones (key schema: src/sources/dynamodb-items.ts). For the source it looks
 * like a bucket of `<domain>.toml` files whose ETag is the zone item's revision; for the HTTP API
 * it is a ZoneStore with conditional writes on that revision.
 */
export class DynamoTable implements RemoteZones {
  readonly kind = 'DynamoDB';
  readonly description: string;
  private readonly signals = new RequestSignals();
  private readonly idle = new AbortController();

  private constructor(
    readonly table: string,
    private client: DynamoDBClient,
    private readonly ddb: Dynamo,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.description = `dynamodb://${table}`;
  }

  /** Loads the SDK (only now: a folder-only server never loads it) and makes the client. */
  static async open(table: string, env: NodeJS.ProcessEnv): Promise<DynamoTable> {
    const ddb = await import('@aws-sdk/client-dynamodb');
    return new DynamoTable(table, new ddb.DynamoDBClient(clientConfig(env)), ddb, env);
  }

  /** Makes sure a region is set: the SDK refuses to sign without one, even for a local DynamoDB. */
  async resolveRegion(): Promise<string> {
    try {
      return await this.client.config.region();
    } catch {
      this.client.destroy();
      this.client = new this.ddb.DynamoDBClient({ ...clientConfig(this.env), region: FALLBACK_REGION });
      return FALLBACK_REGION;
    }
  }

  /** What the source logs at start. */
  async startFields(): Promise<Fields> {
    return { table: this.table, region: await this.resolveRegion(), endpoint: this.env.AWS_ENDPOINT_URL_DYNAMODB || this.env.AWS_ENDPOINT_URL || undefined };
  }

  key(file: string): string {
    return file.slice(0, -ZONE_SUFFIX.length);
  }

  origin(file: string): string {
    return `${this.description}/${this.key(file)}`;
  }

  destroy(): void {
    this.idle.abort();
    this.client.destroy();
  }

  // --- the source's view: files and their versions ---

  /**
   * Every zone item with its version (revision and generation), from a Scan of zone items only
   * (pages followed to the end; a failed page throws, never a partial listing).
   */
  async list(signal: AbortSignal): Promise<Listing> {
    const listing: Listing = new Map();
    for (const item of await this.scanZoneItems(signal)) {
      const file = `${item[PARTITION_KEY].S}${ZONE_SUFFIX}`;
      if (isZoneFileName(file)) listing.set(file, versionOf(item));
    }
    return listing;
  }

  /** One zone as its file's text. A zone that is gone throws an error named NoSuchKey, as S3 does. */
  async get(file: string, signal: AbortSignal): Promise<FetchedObject> {
    const zone = await this.read(this.key(file), signal);
    if (!zone) throw Object.assign(new Error(`${this.origin(file)}: no such zone`), { name: 'NoSuchKey' });
    return { bytes: new TextEncoder().encode(zone.text), etag: zone.version, modified: zone.modified };
  }

  // --- ZoneStore, for the HTTP API ---

  /** Every zone's domain. */
  async zones(): Promise<string[]> {
    return (await this.scanZoneItems(this.idle.signal)).map((i) => i[PARTITION_KEY].S!).sort();
  }

  async getZone(domain: string): Promise<StoredZone | undefined> {
    const zone = await this.read(domain, this.idle.signal);
    return zone && { text: zone.text, version: zone.version };
  }

  async put(domain: string, text: string, condition: WriteCondition): Promise<StoredZone> {
    const generation = randomUUID().replace(/-/g, '');
    const { top, records } = zoneToItems(domain, text, generation);
    await this.batchWrite(records.map((Item) => ({ PutRequest: { Item } })));
    let revision: number;
    try {
      revision = await this.commit(domain, condition, (rev) => ({
        ...top,
        [PARTITION_KEY]: { S: domain },
        [SORT_KEY]: { S: ZONE_ITEM },
        revision: { N: String(rev) },
        generation: { S: generation },
        recordCount: { N: String(records.length) },
        modified: { N: String(Math.floor(Date.now() / 1000)) },
      }));
    } catch (e) {
      // The new generation was never switched to: drop it.
      await this.deleteItems(domain, (sk) => sk.startsWith(recordPrefix(generation))).catch(() => undefined);
      throw e;
    }
    // The write is done: an old generation left behind (the clean-up failed) is never read, and
    // goes with the zone's next write.
    await this.deleteItems(domain, (sk) => sk !== ZONE_ITEM && !sk.startsWith(recordPrefix(generation))).catch(() => undefined);
    // The text as `get` will give it back (TOML as the table holds it: comments and layout are not kept).
    return { text: itemsToZoneText(top, records), version: `${revision}:${generation}` };
  }

  async delete(domain: string, condition: WriteCondition): Promise<void> {
    const c = await this.condition(domain, condition);
    try {
      await this.client.send(new this.ddb.DeleteItemCommand({
        TableName: this.table,
        Key: zoneKey(domain),
        ...c,
      }));
    } catch (e) {
      throw conflictOr(e, domain);
    }
    await this.deleteItems(domain, () => true);
  }

  // --- inside ---

  /**
   * Writes the zone item, the commit point, under the write's condition. Returns the revision
   * written: one more than the revision found (read first when the condition is "any").
   */
  private async commit(domain: string, condition: WriteCondition, item: (revision: number) => Item): Promise<number> {
    for (;;) {
      let expected: WriteCondition = condition;
      if (condition === 'any') {
        const now = await this.zoneItem(domain, this.idle.signal);
        expected = now ? { version: versionOf(now) } : 'absent';
      }
      const revision = typeof expected === 'object' ? Number(expected.version.split(':')[0]) + 1 : 1;
      try {
        await this.client.send(new this.ddb.PutItemCommand({ TableName: this.table, Item: item(revision), ...await this.condition(domain, expected) }));
        return revision;
      } catch (e) {
        // "any" raced another writer between its read and its write: read again.
        if (condition === 'any' && e instanceof this.ddb.ConditionalCheckFailedException) continue;
        throw conflictOr(e, domain);
      }
    }
  }

  /** The ConditionExpression of a write: the zone item's revision and generation, or its absence. */
  private async condition(domain: string, condition: WriteCondition): Promise<{ ConditionExpression?: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Item }> {
    if (condition === 'any') return {};
    if (condition === 'absent') return { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PARTITION_KEY } };
    const [revision, generation] = condition.version.split(':');
    if (!/^\d+$/.test(revision ?? '') || !generation) throw new StoreConflict(`zone ${domain}: "${condition.version}" is not a version this store gave out`);
    return {
      ConditionExpression: 'revision = :r AND generation = :g',
      ExpressionAttributeValues: { ':r': { N: revision }, ':g': { S: generation } },
    };
  }

  private async zoneItem(domain: string, signal: AbortSignal): Promise<Item | undefined> {
    const out = await this.signals.run(signal, (abortSignal) => this.client.send(new this.ddb.GetItemCommand({
      TableName: this.table, Key: zoneKey(domain), ConsistentRead: true,
    }), { abortSignal }));
    return out.Item;
  }

  /**
   * Reads one zone: its partition, page by page (1 MB a page), keeping the zone item's generation
   * only. If a writer's clean-up removed records mid-read (fewer than `recordCount`), reads again.
   */
  private async read(domain: string, signal: AbortSignal): Promise<{ text: string; version: string; modified?: number } | undefined> {
    for (let attempt = 1; ; attempt++) {
      const items = await this.queryPartition(domain, signal);
      const zone = items.find((i) => i[SORT_KEY].S === ZONE_ITEM);
      if (!zone) return undefined;
      const prefix = recordPrefix(zone.generation?.S ?? '');
      const records = items.filter((i) => i[SORT_KEY].S!.startsWith(prefix));
      const expected = Number(zone.recordCount?.N ?? records.length);
      if (records.length === expected) {
        return { text: itemsToZoneText(zone, records), version: versionOf(zone), modified: zone.modified?.N ? Number(zone.modified.N) : undefined };
      }
      if (attempt >= READ_ATTEMPTS) throw new Error(`zone ${domain}: found ${records.length} of its ${expected} record items ${READ_ATTEMPTS} times; a write may have failed half-way: write the zone again`);
    }
  }

  private async queryPartition(domain: string, signal: AbortSignal, keysOnly = false): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const page = await this.signals.run(signal, (abortSignal) => this.client.send(new this.ddb.QueryCommand({
        TableName: this.table,
        KeyConditionExpression: '#pk = :z',
        ExpressionAttributeNames: { '#pk': PARTITION_KEY, ...(keysOnly ? { '#sk': SORT_KEY } : {}) },
        ExpressionAttributeValues: { ':z': { S: domain } },
        ...(keysOnly ? { ProjectionExpression: '#pk, #sk' } : {}),
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }), { abortSignal }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  private async scanZoneItems(signal: AbortSignal): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const page = await this.signals.run(signal, (abortSignal) => this.client.send(new this.ddb.ScanCommand({
        TableName: this.table,
        FilterExpression: '#sk = :zone',
        ProjectionExpression: '#pk, #sk, revision, generation',
        ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#sk': SORT_KEY },
        ExpressionAttributeValues: { ':zone': { S: ZONE_ITEM } },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }), { abortSignal }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** Deletes the items of a zone's partition whose sort key `drop` picks (the zone item never, unless asked). */
  private async deleteItems(domain: string, drop: (sortKey: string) => boolean): Promise<void> {
    const keys = (await this.queryPartition(domain, this.idle.signal, true)).filter((i) => drop(i[SORT_KEY].S!));
    await this.batchWrite(keys.map((Key) => ({ DeleteRequest: { Key } })));
  }

  /** BatchWriteItem in batches of 25, retrying unprocessed items (throttling) with backoff. */
  private async batchWrite(requests: NonNullable<import('@aws-sdk/client-dynamodb').BatchWriteItemInput['RequestItems']>[string]): Promise<void> {
    for (let i = 0; i < requests.length; i += BATCH_WRITE_MAX) {
      let pending = requests.slice(i, i + BATCH_WRITE_MAX);
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > BATCH_ATTEMPTS) throw new Error(`DynamoDB left ${pending.length} writes unprocessed ${BATCH_ATTEMPTS} times (throttled); try again later`);
        if (attempt > 1) await new Promise((r) => setTimeout(r, Math.min(5_000, 50 * 2 ** attempt)));
        const out = await this.client.send(new this.ddb.BatchWriteItemCommand({ RequestItems: { [this.table]: pending } }));
        pending = out.UnprocessedItems?.[this.table] ?? [];
      }
    }
  }
}

function zoneKey(domain: string): Item {
  return { [PARTITION_KEY]: { S: domain }, [SORT_KEY]: { S: ZONE_ITEM } };
}

/** A zone's version token: its revision and generation (both change on every write). */
function versionOf(zoneItem: Item): string {
  return `${zoneItem.revision?.N ?? '0'}:${zoneItem.generation?.S ?? ''}`;
}

function conflictOr(e: unknown, domain: string): unknown {
  return (e as { name?: string }).name === 'ConditionalCheckFailedException'
    ? new StoreConflict(`zone ${domain} is not as the write expected: it changed meanwhile, or it exists / does not exist`)
    : e;
}

/**
 * Client settings from `env` (process.env for the server; the HTTP API may pass its own): the
 * endpoint, region and key pair it names, else the SDK's default chain (profiles, task roles).
 */
function clientConfig(env: NodeJS.ProcessEnv): import('@aws-sdk/client-dynamodb').DynamoDBClientConfig {
  const credentials = seedCredentials(env) ?? (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
    ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) }
    : undefined);
  const endpoint = env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL;
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  return {
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true },
    ...(credentials ? { credentials } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : {}),
  };
}
