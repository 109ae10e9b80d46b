/** s3rver, a real S3-protocol server, for the benchmarks that start Eclipso from a bucket. */
import { S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { Child } from './servers.mjs';

/** The access key and secret s3rver takes (any pair works; it does not check them). */
const KEY = 'S3RVER';

/**
 * s3rver in its own process, keeping its objects in `dir` (with the legacy OpenSSL provider:
 * s3rver 3.7 makes ListObjects continuation tokens with DES), with `bucket` made. Resolves with
 * its Child (`.port` set) once it listens.
 */
export async function startS3rver(dir, bucket) {
  const code = `import S3rver from 's3rver';
    const s = new S3rver({ address: '127.0.0.1', port: 0, directory: ${JSON.stringify(dir)}, silent: true, configureBuckets: [{ name: ${JSON.stringify(bucket)} }] });
    const a = await s.run();
    console.log(JSON.stringify({ port: a.port }));`;
  const child = new Child('s3rver', spawn(process.execPath, ['--openssl-legacy-provider', '--input-type=module', '-e', code], { cwd: new URL('../..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'pipe'] }));
  child.port = Number(await child.waitFor((l) => (l.startsWith('{"port"') ? JSON.parse(l).port : undefined), 60_000));
  return child;
}

/** A client of the S3 server at `port` on loopback (path-style, s3rver's credentials). */
export function s3Client(port) {
  return new S3Client({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: KEY, secretAccessKey: KEY } });
}

/** Eclipso's environment for the S3 server at `port`, synced every `syncSeconds`. */
export function s3Env(port, syncSeconds) {
  return {
    AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: KEY, AWS_SECRET_ACCESS_KEY: KEY,
    S3_FORCE_PATH_STYLE: '1', S3_SYNC_RETRY: String(syncSeconds),
  };
}
