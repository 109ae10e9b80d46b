/**
 * Runs s3rver in its own process (see s3rver.ts). It needs `node --openssl-legacy-provider`:
 * s3rver 3.7.1 builds ListObjects continuation tokens with DES, which OpenSSL 3 disables.
 * argv: <port> <directory> <bucket>...; prints {"port": n} once it listens.
 */
import S3rver from 's3rver';

const [port, directory, ...buckets] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: Number(port),
  directory,
  silent: true,
  configureBuckets: buckets.map((name) => ({ name })),
});
const address = (await server.run()) as { port: number };
process.stdout.write(JSON.stringify({ port: address.port }) + '\n');
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
