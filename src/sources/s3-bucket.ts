import { GetObjectCommand, ListObjectsV2Command, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { Fields } from '../log.js';
import { isZoneFileName } from '../zone/parse.js';
import { seedCredentials, type FetchedObject, type Listing, type RemoteZones } from './remote-zones.js';
import { RequestSignals } from './request-signals.js';
import type { S3Location } from './s3-location.js';

/** Region used when neither AWS_REGION nor a profile names one (S3-compatible stores ignore it). */
const FALLBACK_REGION = 'us-east-1';
/** A connect that takes longer than this counts as a failed try (the SDK retries it). */
const CONNECT_TIMEOUT_MS = 5_000;
/** A request that sends nothing for this long is abandoned: a slow S3 must not stall the sync. */
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Client settings from the environment. The SDK's default chain finds credentials
 * (AWS_ACCESS_KEY_ID, AWS_PROFILE, ECS task roles, EKS web identity), the region and
 * AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3 by itself; we add the seed's AWS_ACCESS_KEY name, passed
 * to this client alone rather than copied into process.env.
 */
export function clientConfig(env: NodeJS.ProcessEnv, forcePathStyle: boolean): S3ClientConfig {
  const config: S3ClientConfig = {
    forcePathStyle,
    // Checksums only where S3 requires them: the SDK's newer defaults (CRC headers on every request,
    // x-amz-checksum-mode on GETs) are refused by some S3-compatible stores, and TLS already
    // protects what we read.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true },
  };
  const credentials = seedCredentials(env);
  if (credentials) config.credentials = credentials;
  return config;
}


/**
 * Objects fetched at once: S3 takes tens of milliseconds to answer a small GET, which 16 at once
 * did not hide (a start from 3,000 objects answered in 15 ms each: 5.6 s, against 3.4 s at 64;
 * bench/RESULTS.md, start-up from S3); S3 takes 5,500 GETs a second per prefix. Below the SDK's
 * 50 sockets, so that no request waits for one.
 */
const S3_FETCH_CONCURRENCY = 48;

/** The zone objects of one bucket and prefix: list them with ETags, fetch one. */
export class S3Bucket implements RemoteZones {
  readonly kind = 'S3';
  readonly fetchConcurrency = S3_FETCH_CONCURRENCY;
  private client: S3Client;
  /** A signal of its own for every request: the caller's one stop signal would collect a listener per request. */
  private readonly signals = new RequestSignals();

  constructor(
    private readonly loc: S3Location,
    private readonly config: S3ClientConfig,
    /** AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, for the start log line. */
    private readonly endpoint?: string,
  ) {
    this.client = new S3Client(config);
  }

  /** Makes sure a region is set: the SDK refuses to sign without one, even for MinIO. */
  async resolveRegion(): Promise<string> {
    try {
      return await this.client.config.region();
    } catch {
      this.client.destroy();
      this.client = new S3Client({ ...this.config, region: FALLBACK_REGION });
      return FALLBACK_REGION;
    }
  }

  /**
   * Lists every zone object under the prefix, following continuation tokens (1,000 keys a page).
   * Any failed page throws: a caller must never mistake a partial listing for deleted zones.
   * Keys in deeper "folders" and names that are not `<domain>.toml` are skipped.
   */
  async list(signal: AbortSignal): Promise<Listing> {
    const listing: Listing = new Map();
    let token: string | undefined;
    do {
      const page = await this.signals.run(signal, (abortSignal) => this.client.send(new ListObjectsV2Command({
        Bucket: this.loc.bucket,
        Prefix: this.loc.prefix || undefined,
        Delimiter: '/',
        ContinuationToken: token,
      }), { abortSignal }));
      for (const o of page.Contents ?? []) {
        const file = o.Key?.slice(this.loc.prefix.length);
        if (file && !file.includes('/') && isZoneFileName(file)) listing.set(file, o.ETag ?? '');
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      if (page.IsTruncated && !token) throw new Error('S3 said the listing is truncated but gave no continuation token');
    } while (token);
    return listing;
  }

  async get(file: string, signal: AbortSignal): Promise<FetchedObject> {
    return this.signals.run(signal, (abortSignal) => this.fetch(file, abortSignal));
  }

  /** One object, its body read under the request's signal too: a stop cuts a slow download short. */
  private async fetch(file: string, signal: AbortSignal): Promise<FetchedObject> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.loc.bucket, Key: this.key(file) }), { abortSignal: signal });
    if (!out.Body) throw new Error('S3 returned no body');
    return { bytes: await out.Body.transformToByteArray(), etag: out.ETag ?? '', modified: out.LastModified ? Math.floor(out.LastModified.getTime() / 1000) : undefined };
  }

  key(file: string): string {
    return this.loc.prefix + file;
  }

  origin(file: string): string {
    return `s3://${this.loc.bucket}/${this.key(file)}`;
  }

  async startFields(): Promise<Fields> {
    return { bucket: this.loc.bucket, prefix: this.loc.prefix, region: await this.resolveRegion(), endpoint: this.endpoint };
  }

  destroy(): void {
    this.client.destroy();
  }
}
