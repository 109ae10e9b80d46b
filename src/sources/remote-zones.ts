import { ConfigError } from '../config.js';
import type { Fields } from '../log.js';

// What the syncing source (remote-source.ts) knows of a remote store, without loading any AWS SDK: a
// DynamoDB-only server must not load the S3 client, nor a folder-only one any.

/**
 * What a syncing source reads (src/sources/remote-source.ts): zone files in a remote store, listed with a
 * version token each (an ETag) and fetched one by one: an S3 bucket, a DynamoDB table.
 */
export interface RemoteZones {
  /** For log lines: "S3", "DynamoDB". */
  readonly kind: string;
  /** Zones fetched at once by a sync: enough to hide each request's round trip, few enough not to be throttled. */
  readonly fetchConcurrency: number;
  /** Fields logged when the source starts (after making sure the client has a region). */
  startFields(): Promise<Fields>;
  /** Every zone file with its version; throws rather than return a partial listing. */
  list(signal: AbortSignal): Promise<Listing>;
  /** One zone file; a file that is gone throws an error named NoSuchKey. */
  get(file: string, signal: AbortSignal): Promise<FetchedObject>;
  /** Where a file is, for logs and the zone's origin: s3://bucket/key, dynamodb://table/domain. */
  origin(file: string): string;
  destroy(): void;
}

/** One listed zone object: file name (the key less the prefix) and its ETag. */
export type Listing = Map<string, string>;

export interface FetchedObject {
  bytes: Uint8Array;
  etag: string;
  /** LastModified, Unix seconds (undefined when the store sends none). */
  modified?: number;
}

/**
 * The seed's AWS_ACCESS_KEY (with AWS_SECRET_ACCESS_KEY), for every AWS client we make; undefined
 * leaves the SDK's default chain to find credentials.
 */
export function seedCredentials(env: NodeJS.ProcessEnv): { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined {
  if (env.AWS_ACCESS_KEY_ID || !env.AWS_ACCESS_KEY) return undefined;
  if (!env.AWS_SECRET_ACCESS_KEY) throw new ConfigError('AWS_ACCESS_KEY is set but AWS_SECRET_ACCESS_KEY is not; set both, or neither to use the default credential chain');
  return {
    accessKeyId: env.AWS_ACCESS_KEY,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
  };
}

/** Whether a GET failed because the object is not there (deleted since it was named). */
export function isMissingObject(e: unknown): boolean {
  // NoSuchKey only: a 404 for a bucket that is gone (NoSuchBucket) must not read as deleted zones.
  return (e as { name?: string }).name === 'NoSuchKey';
}


/** A one-line reason from an SDK error: its name, HTTP status and message. */
export function describeS3Error(e: unknown): string {
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = err.$metadata?.httpStatusCode;
  return [err.name, status ? `HTTP ${status}` : undefined, err.message].filter(Boolean).join(': ');
}
