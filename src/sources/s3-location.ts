import { ConfigError } from '../config.js';

/** Where the zones live in S3: `s3://bucket` or `s3://bucket/prefix/`. */
export interface S3Location {
  bucket: string;
  /** "" or a key prefix ending in "/": zone objects are `<prefix><domain>.toml`. */
  prefix: string;
}

export function isS3Url(zoneDir: string): boolean {
  return zoneDir.toLowerCase().startsWith('s3://');
}

/**
 * Parses ZONE_DIR=s3://bucket[/prefix/]. A prefix is a folder: `s3://b/zones` and `s3://b/zones/`
 * both mean the objects `zones/<domain>.toml`. A bad URL is a ConfigError, caught at start-up.
 */
export function parseS3Url(zoneDir: string): S3Location {
  const bad = (what: string): never => {
    throw new ConfigError(`ZONE_DIR=${JSON.stringify(zoneDir)}: ${what}; write s3://bucket or s3://bucket/prefix/`);
  };
  if (!isS3Url(zoneDir)) bad('is not an s3:// URL');
  const rest = zoneDir.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash + 1);
  if (bucket === '') bad('names no bucket');
  // S3 bucket naming rules (3-63 characters of a-z 0-9 . -, starting and ending with a letter or
  // digit); R2, MinIO and Ceph follow them too. Catching a typo here beats a 403 from S3 later.
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) bad(`"${bucket}" is not a valid bucket name (3-63 characters: a-z, 0-9, "." and "-")`);
  if (/[?#]/.test(path) || path.split('/').slice(0, -1).some((p) => p === '')) bad(`"${path}" is not a valid key prefix`);
  const prefix = path === '' || path.endsWith('/') ? path : `${path}/`;
  return { bucket, prefix };
}

export function formatS3Url(loc: S3Location): string {
  return `s3://${loc.bucket}/${loc.prefix}`;
}
