import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Fields, Logger } from '../log.js';
import { isZoneFileName } from '../zone/parse.js';
import {
  itemsToZoneText, PARTITION_KEY, recordPrefix, SORT_KEY, ZONE_INDEX, ZONE_INDEX_KEY, ZONE_ITEM, zoneToItems, type Item,
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
/** The error name of a zone index that lists zones without their revision and generation. */
const INDEX_WITHOUT_VERSIONS = 'ZoneIndexWithoutVersions';

type Dynamo = typeof import('@aws-sdk/client-dynamodb');

/**
 * One DynamoDB table of zones (key schema: src/sources/dynamodb-items.ts). For the source it looks
 * like a bucket of `<domain>.toml` files whose ETag is the zone item's revision; for the HTTP API
 * it is a ZoneStore with conditional writes on that revision.
 */
export class DynamoTable implements RemoteZones {
  readonly kind = 'DynamoDB';
  /** Zones read at once (a Query each): a table of little provisioned capacity is not throttled by a start. */
  readonly fetchConcurrency = 16;
  readonly description: string;
  private readonly signals = new RequestSignals();
  private readonly idle = new AbortController();
  /** Whether the last listing could read the zone index (null: not tried yet); logged when it changes. */
  private indexUsable: boolean | null = null;
  /**
   * Zones this table has listed or read. The index lags writes (a GSI is eventually consistent):
   * one of these that the index does not list is looked up in the table before it counts as gone.
   */
  private readonly handedOut = new Set<string>();
  /** Zones found with a zone item the index cannot list (no ZONE_INDEX_KEY), each said once. */
  private readonly unindexed = new Set<string>();

  private constructor(
    readonly table: string,
    private client: DynamoDBClient,
    private readonly ddb: Dynamo,
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: Logger | undefined,
  ) {
    this.description = `dynamodb://${table}`;
  }

  /** Loads the SDK (only now: a folder-only server never loads it) and makes the client. */
  static async open(table: string, env: NodeJS.ProcessEnv, log?: Logger): Promise<DynamoTable> {
    const ddb = await import('@aws-sdk/client-dynamodb');
    return new DynamoTable(table, new ddb.DynamoDBClient(clientConfig(env)), ddb, env, log);
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
   * Every zone item with its version (revision and generation), from a Scan of the zone index
   * (pages followed to the end; a failed page throws, never a partial listing). A zone handed out
   * before that the index does not list is read from the table (consistently) before it is
   * reported gone: it may be a zone written a moment ago that the index does not show yet.
   */
  async list(signal: AbortSignal): Promise<Listing> {
    const listing: Listing = new Map();
    const { items, fromIndex } = await this.scanZoneItems(signal);
    for (const item of items) listing.set(`${item[PARTITION_KEY].S}${ZONE_SUFFIX}`, versionOf(item));
    if (fromIndex) {
      for (const domain of this.handedOut) {
        if (listing.has(`${domain}${ZONE_SUFFIX}`)) continue;
        const item = await this.zoneItem(domain, signal);
        if (!item) {
          this.handedOut.delete(domain);
          continue;
        }
        listing.set(`${domain}${ZONE_SUFFIX}`, versionOf(item));
        if (item[ZONE_INDEX_KEY]?.S !== domain && !this.unindexed.has(domain)) {
          this.unindexed.add(domain);
          this.log?.warn('a zone item has no zoneIndex attribute, so the zone index does not list it: a server started now would not load the zone', {
            zone: this.origin(`${domain}${ZONE_SUFFIX}`),
            todo: `set ${ZONE_INDEX_KEY} = "${domain}" on its zone item (${SORT_KEY} = "${ZONE_ITEM}"), or write the zone again through Eclipso`,
          });
        }
      }
    }
    for (const file of listing.keys()) {
      if (isZoneFileName(file)) this.handedOut.add(this.key(file));
      else listing.delete(file);
    }
    return listing;
  }

  /** One zone as its file's text. A zone that is gone throws an error named NoSuchKey, as S3 does. */
  async get(file: string, signal: AbortSignal): Promise<FetchedObject> {
    const zone = await this.read(this.key(file), signal);
    if (!zone) throw Object.assign(new Error(`${this.origin(file)}: no such zone`), { name: 'NoSuchKey' });
    this.handedOut.add(this.key(file));
    return { bytes: new TextEncoder().encode(zone.text), etag: zone.version, modified: zone.modified };
  }

  // --- ZoneStore, for the HTTP API ---

  /** Every zone's domain. */
  async zones(): Promise<string[]> {
    return (await this.scanZoneItems(this.idle.signal)).items.map((i) => i[PARTITION_KEY].S!).sort();
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
        [ZONE_INDEX_KEY]: { S: domain },
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

  private queryPartition(domain: string, signal: AbortSignal, keysOnly = false): Promise<Item[]> {
    return this.allPages(signal, (ExclusiveStartKey, abortSignal) => this.client.send(new this.ddb.QueryCommand({
      TableName: this.table,
      KeyConditionExpression: '#pk = :z',
      ExpressionAttributeNames: { '#pk': PARTITION_KEY, ...(keysOnly ? { '#sk': SORT_KEY } : {}) },
      ExpressionAttributeValues: { ':z': { S: domain } },
      ...(keysOnly ? { ProjectionExpression: '#pk, #sk' } : {}),
      ConsistentRead: true,
      ExclusiveStartKey,
    }), { abortSignal }));
  }

  /**
   * Every zone item's keys, revision and generation: a Scan of the zone index, which holds zone
   * items only (eventually consistent: a GSI has no consistent reads). If the table has no such
   * index (or it is still being built), says so once, and scans the whole table instead, which
   * DynamoDB charges for every record item read before the filter drops it; the index is tried
   * again on every listing, so that it is used as soon as it exists.
   */
  private async scanZoneItems(signal: AbortSignal): Promise<{ items: Item[]; fromIndex: boolean }> {
    try {
      const items = await this.scanPages(signal, {
        IndexName: ZONE_INDEX,
        ProjectionExpression: '#pk, revision, generation',
        ExpressionAttributeNames: { '#pk': PARTITION_KEY },
      });
      // An index made without the projection lists zones without their versions: no change would show.
      if (items.length > 0 && items.every((i) => !i.revision && !i.generation)) {
        throw Object.assign(new Error(`the index ${ZONE_INDEX} does not project revision and generation; delete it (update-table --global-secondary-index-updates '[{"Delete":{"IndexName":"${ZONE_INDEX}"}}]') and create it again with ProjectionType INCLUDE`), { name: INDEX_WITHOUT_VERSIONS });
      }
      if (this.indexUsable === false) this.log?.info('the DynamoDB zone index is in use; each sync reads the zone items only', { table: this.table, index: ZONE_INDEX });
      this.indexUsable = true;
      return { items, fromIndex: true };
    } catch (e) {
      if (!isIndexUnusable(e)) throw e;
      if (this.indexUsable !== false) {
        this.log?.error('the DynamoDB table has no usable zone index; each sync scans the whole table instead, and is charged for every record item of every zone, every period, on every replica', {
          table: this.table,
          index: ZONE_INDEX,
          error: `${(e as Error).name}: ${(e as Error).message}`,
          todo: `create the index (an index being built is used once it is ACTIVE): ${createIndexCommand(this.table)}`,
        });
      }
      this.indexUsable = false;
    }
    const items = await this.scanPages(signal, {
      FilterExpression: '#sk = :zone',
      ProjectionExpression: '#pk, #sk, revision, generation',
      ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#sk': SORT_KEY },
      ExpressionAttributeValues: { ':zone': { S: ZONE_ITEM } },
      ConsistentRead: true,
    });
    return { items, fromIndex: false };
  }

  /** A Scan followed page by page to its end. */
  private scanPages(signal: AbortSignal, input: Omit<import('@aws-sdk/client-dynamodb').ScanCommandInput, 'TableName' | 'ExclusiveStartKey'>): Promise<Item[]> {
    return this.allPages(signal, (ExclusiveStartKey, abortSignal) => this.client.send(new this.ddb.ScanCommand({ ...input, TableName: this.table, ExclusiveStartKey }), { abortSignal }));
  }

  /** The items of every page of a Query or Scan, each page asked from where the last one ended. */
  private async allPages(
    signal: AbortSignal,
    read: (start: Item | undefined, abortSignal: AbortSignal) => Promise<{ Items?: Item[]; LastEvaluatedKey?: Item }>,
  ): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const page = await this.signals.run(signal, (abortSignal) => read(start, abortSignal));
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

/**
 * Whether a Scan of the zone index failed because the index is not there or not readable yet:
 * DynamoDB answers ValidationException ("The table does not have the specified index",
 * "Cannot read from backfilling global secondary index"); or because it lacks the projection.
 */
function isIndexUnusable(e: unknown): boolean {
  const err = e as { name?: string; message?: string };
  return (err.name === 'ValidationException' && /index/i.test(err.message ?? '')) || err.name === INDEX_WITHOUT_VERSIONS;
}

/** The command that adds the zone index to an existing table (README: DynamoDB table). */
function createIndexCommand(table: string): string {
  const update = [{ Create: { IndexName: ZONE_INDEX, KeySchema: [{ AttributeName: ZONE_INDEX_KEY, KeyType: 'HASH' }], Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['revision', 'generation'] } } }];
  return `aws dynamodb update-table --table-name ${table} --attribute-definitions AttributeName=${ZONE_INDEX_KEY},AttributeType=S `
    + `--global-secondary-index-updates '${JSON.stringify(update)}' (a provisioned table also needs "ProvisionedThroughput" in "Create")`;
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
