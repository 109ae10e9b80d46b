import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { decodeZoneText } from '../zone/text.js';
import { conditionHolds } from './folder-store.js';
import { KeyQueue } from './key-queue.js';
import { formatS3Url, type S3Location } from './s3-location.js';
import { isZoneFileName, ZONE_FILE_SUFFIX } from '../zone/parse.js';
import { firstCharactersOf, holdsZoneOtherwise, StoreConflict, type StoredZone, type WriteCondition, type ZoneStore } from './zone-store.js';

/** As s3-bucket.ts: the SDK will not sign without a region, which S3-compatible stores ignore. */
const FALLBACK_REGION = 'us-east-1';
/** HTTP statuses of a failed condition: 412 Precondition Failed, 409 ConditionalRequestConflict (S3's concurrent conditional writes). */
const CONDITION_FAILED = new Set([409, 412]);

/**
 * The bucket (and prefix) the S3 source syncs from, as the HTTP API writes it: `<prefix><domain>.toml`
 * objects, the version being the object's ETag. A write checks its condition first (reading the
 * object) and then sends it with the write, `If-Match: <etag>` or `If-None-Match: *` (S3 honours
 * both on PutObject since 2024, and If-Match on DeleteObject): with a store that honours them,
 * a concurrent write from another replica fails with 412 and becomes a StoreConflict; with one
 * that ignores them (s3rver, older MinIO and Ceph), the check before the write is all there is, and
 * of two replicas writing the same zone within that window the later write wins. Writes to one
 * zone from this process are made one after another, so its own concurrent requests never race.
 */
export class S3Store implements ZoneStore {
  readonly description: string;
  private client: S3Client | null = null;
  private readonly writes = new KeyQueue();

  constructor(
    private readonly loc: S3Location,
    private readonly config: S3ClientConfig,
  ) {
    this.description = formatS3Url(loc);
  }

  /** The name the S3 source gives this object in logs and to the catalog. */
  origin(fileName: string): string {
    return `s3://${this.loc.bucket}/${this.loc.prefix}${fileName}`;
  }

  async list(): Promise<string[]> {
    const zones: string[] = [];
    for await (const file of this.files('')) if (isZoneFileName(file)) zones.push(file.slice(0, -ZONE_FILE_SUFFIX.length).toLowerCase());
    return zones.sort();
  }

  /** Looked for under the first characters such a name can have (a listing each), not through every object. */
  async otherFileOf(domain: string): Promise<string | undefined> {
    for (const first of firstCharactersOf(domain)) {
      for await (const file of this.files(first)) if (holdsZoneOtherwise(file, domain)) return file;
    }
    return undefined;
  }

  async get(domain: string): Promise<StoredZone | undefined> {
    const client = await this.s3();
    try {
      const out = await client.send(new GetObjectCommand({ Bucket: this.loc.bucket, Key: this.key(domain) }));
      if (!out.Body) throw new Error('S3 returned no body');
      return { text: decodeZoneText(await out.Body.transformToByteArray(), this.origin(domain + ZONE_FILE_SUFFIX)), version: out.ETag ?? '' };
    } catch (e) {
      if ((e as { name?: string }).name === 'NoSuchKey' || status(e) === 404) return undefined;
      throw e;
    }
  }

  put(domain: string, text: string, condition: WriteCondition): Promise<StoredZone> {
    return this.writes.run(domain, async () => {
      await this.check(domain, condition);
      const client = await this.s3();
      const out = await conditional(() => client.send(new PutObjectCommand({
        Bucket: this.loc.bucket,
        Key: this.key(domain),
        Body: text,
        ContentType: 'application/toml',
        ...(condition === 'absent' && { IfNoneMatch: '*' }),
        ...(typeof condition === 'object' && { IfMatch: condition.version }),
      })), domain);
      return { text, version: out.ETag ?? '' };
    });
  }

  delete(domain: string, condition: WriteCondition): Promise<void> {
    return this.writes.run(domain, async () => {
      await this.check(domain, condition);
      const client = await this.s3();
      await conditional(() => client.send(new DeleteObjectCommand({
        Bucket: this.loc.bucket,
        Key: this.key(domain),
        ...(typeof condition === 'object' && { IfMatch: condition.version }),
      })), domain);
    });
  }

  destroy(): void {
    this.client?.destroy();
  }

  /** The names of the objects directly under the prefix (not in its folders) that start with `start`. */
  private async *files(start: string): AsyncGenerator<string> {
    const client = await this.s3();
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: this.loc.bucket, Prefix: this.loc.prefix + start || undefined, Delimiter: '/', ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        const file = o.Key?.slice(this.loc.prefix.length);
        if (file && !file.includes('/')) yield file;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private key(domain: string): string {
    return this.loc.prefix + domain + ZONE_FILE_SUFFIX;
  }

  private async check(domain: string, condition: WriteCondition): Promise<void> {
    if (condition === 'any') return;
    if (!conditionHolds(await this.get(domain), condition)) throw new StoreConflict(`${this.key(domain)} changed meanwhile`);
  }

  private async s3(): Promise<S3Client> {
    if (this.client) return this.client;
    const client = new S3Client(this.config);
    try {
      await client.config.region();
      this.client = client;
    } catch {
      client.destroy();
      this.client = new S3Client({ ...this.config, region: FALLBACK_REGION });
    }
    return this.client;
  }

}

function status(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** A request whose failed condition (412, 409) is a StoreConflict. */
async function conditional<T>(send: () => Promise<T>, domain: string): Promise<T> {
  try {
    return await send();
  } catch (e) {
    if (CONDITION_FAILED.has(status(e) ?? 0)) throw new StoreConflict(`${domain}: the object changed meanwhile`);
    throw e;
  }
}
