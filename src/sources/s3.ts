import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { parseQueueUrl } from './event-queue.js';
import { RemoteSource } from './remote-source.js';
import { formatS3Url, parseS3Url } from './s3-location.js';
import { ZoneSnapshot } from './snapshot.js';

/**
 * Builds the S3 source from ZONE_DIR=s3://… and the AWS_* variables; a bad value is a ConfigError.
 * The S3 client is loaded here only: the DynamoDB engine runs the same sync (remote-source.ts) without it.
 */
export async function createS3Source(config: Config, env: NodeJS.ProcessEnv, log: Logger): Promise<RemoteSource> {
  const location = parseS3Url(config.zoneDir);
  const { clientConfig, S3Bucket } = await import('./s3-bucket.js');
  return new RemoteSource({
    description: formatS3Url(location),
    location,
    syncMs: config.s3SyncSeconds * 1000,
    bucket: new S3Bucket(location, clientConfig(env, config.s3PathStyle), env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined),
    snapshot: config.zoneCacheDir ? new ZoneSnapshot(config.zoneCacheDir) : null,
    eventsQueue: config.s3EventsQueue ? parseQueueUrl(config.s3EventsQueue, 'S3_EVENTS_QUEUE') : null,
  }, log, env);
}
