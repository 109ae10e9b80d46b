import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { parseDynamoUrl } from './dynamodb-items.js';
import { DynamoStreamFeed } from './dynamodb-streams.js';
import { DynamoTable } from './dynamodb-table.js';
import { RemoteSource } from './remote-source.js';
import { ZoneSnapshot } from './snapshot.js';
import type { ZoneStore } from './zone-store.js';

/**
 * ZONE_DIR=dynamodb://<table>: zones kept in a DynamoDB table (key schema: dynamodb-items.ts),
 * synced as the S3 engine syncs a bucket (same period, backoff, snapshot folder), each zone's
 * version being its zone item's revision; with DYNAMODB_STREAMS, the table's stream brings each
 * change within a second, and the sync repairs what it missed. A bad table name is a ConfigError.
 */
export async function createDynamoSource(config: Config, env: NodeJS.ProcessEnv, log: Logger): Promise<RemoteSource> {
  const name = parseDynamoUrl(config.zoneDir);
  const table = await DynamoTable.open(name, env, log);
  if (config.s3EventsQueue) log.warn('S3_EVENTS_QUEUE is ignored: the zones come from DynamoDB, not S3', { zoneDir: config.zoneDir });
  return new RemoteSource({
    description: table.description,
    location: null,
    syncMs: config.s3SyncSeconds * 1000,
    bucket: table,
    snapshot: config.zoneCacheDir ? new ZoneSnapshot(config.zoneCacheDir) : null,
    eventsQueue: null,
    changes: config.dynamodbStreams ? await DynamoStreamFeed.open(name, env, log) : null,
  }, log, env);
}

/**
 * The same table as a ZoneStore, for the HTTP API: conditional writes on the zone item's revision
 * (ConditionExpression), so that two writers never overwrite each other unseen.
 */
export async function createDynamoZoneStore(zoneDir: string, env: NodeJS.ProcessEnv, log?: Logger): Promise<ZoneStore & { origin(fileName: string): string }> {
  const table = await DynamoTable.open(parseDynamoUrl(zoneDir), env, log);
  await table.resolveRegion();
  return {
    description: table.description,
    list: () => table.zones(),
    get: (domain) => table.getZone(domain),
    put: (domain, text, condition) => table.put(domain, text, condition),
    delete: (domain, condition) => table.delete(domain, condition),
    origin: (fileName) => table.origin(fileName),
  };
}
