import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildServer } from './child-server.js';

const CHILD = new URL('./s3rver-child.js', import.meta.url).pathname;

/** s3rver's built-in account; the server under test gets it through the seed's variable names. */
export const S3RVER_KEY = 'S3RVER';

/**
 * A real S3-protocol server (s3rver) on 127.0.0.1, in a child process so that it can be stopped
 * and started again on the same port and data folder, as an S3 outage would look to Eclipso.
 */
export class S3Server {
  readonly dir = mkdtempSync(join(tmpdir(), 'eclipso-s3rver-'));
  private readonly server = new ChildServer('s3rver');
  private s3: S3Client | null = null;

  constructor(private readonly buckets: string[]) {}

  get port(): number {
    return this.server.port;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The variables that point Eclipso at this server, with the seed's credential names. */
  env(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL: this.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY: S3RVER_KEY,
      AWS_SECRET_ACCESS_KEY: S3RVER_KEY,
      S3_FORCE_PATH_STYLE: '1',
    };
  }

  /** Starts (or restarts, on the same port and data) and resolves once it listens. */
  async start(): Promise<void> {
    await this.server.start(['--openssl-legacy-provider', CHILD, String(this.port), this.dir, ...this.buckets]);
  }

  /** Kills it outright, as a crash or a network cut looks to clients. */
  stop(): Promise<void> {
    return this.server.stop();
  }

  async put(bucket: string, key: string, body: string | Uint8Array): Promise<void> {
    await this.api().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  }

  async delete(bucket: string, key: string): Promise<void> {
    await this.api().send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  }

  /** The keys of the bucket's objects (up to 1,000). */
  async keys(bucket: string): Promise<string[]> {
    const page = await this.api().send(new ListObjectsV2Command({ Bucket: bucket }));
    return (page.Contents ?? []).map((o) => o.Key!);
  }

  /** Stops the server and deletes its data. */
  async cleanup(): Promise<void> {
    await this.stop();
    this.s3?.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private api(): S3Client {
    this.s3 ??= new S3Client({
      endpoint: this.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY },
    });
    return this.s3;
  }
}
