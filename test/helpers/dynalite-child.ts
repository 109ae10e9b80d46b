/**
 * Runs dynalite (a DynamoDB-API server in JavaScript, the real protocol over HTTP) in its own
 * process (see dynalite.ts). argv: <port> <directory>; prints {"port": n} once it listens. Its
 * tables live in <directory> (LevelDB), so that a restart finds them, as after a DynamoDB outage.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (opts: Record<string, unknown>) => import('node:net').Server;

const [port, path] = process.argv.slice(2);
const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(Number(port), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: (server.address() as import('node:net').AddressInfo).port }) + '\n');
});
