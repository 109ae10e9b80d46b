#!/usr/bin/env node
import { lookup } from 'node:dns/promises';
import { AnswerTable } from './answer/table.js';
import { ConfigError, parseConfig, USAGE, type Config } from './config.js';
import { Logger } from './log.js';
import { DnsServer } from './server/dns.js';
import { QueryObserver } from './server/observer.js';
import { FolderSource } from './sources/folder.js';
import { ZoneReloader } from './sources/reload.js';
import type { ZoneSource } from './sources/source.js';
import { BANNER, VERSION } from './version.js';

/** Exit code for a bad configuration value (as sysexits' EX_USAGE is too, for a usage error). */
const EXIT_CONFIG = 2;
const EXIT_START = 1;

function source(config: Config, log: Logger): ZoneSource {
  return new FolderSource(config.zoneDir, log);
}

async function run(config: Config): Promise<void> {
  const log = new Logger(config.logFormat, config.logDebug);
  if (config.logFormat === 'text') process.stdout.write(BANNER + '\n');
  log.info('starting eclipso', { version: VERSION, zoneDir: config.zoneDir, port: config.port, host: config.host });

  const table = new AnswerTable();
  const reloader = new ZoneReloader(table, log);
  const zones = source(config, log);
  try {
    await zones.start(reloader);
  } catch (e) {
    fail(log, `cannot load zones from ${zones.description}: ${(e as Error).message}`, 'set ZONE_DIR (or --zone-dir) to a folder of <domain>.toml files');
  }
  log.info('zones ready', { zones: table.zoneCount, source: zones.description });

  const host = (await lookup(config.host).catch(() => null))?.address;
  if (!host) fail(log, `HOST ${config.host} is not an address this machine has`, 'use 0.0.0.0, :: or one of its addresses');
  const dns = new DnsServer(table, new QueryObserver(config.logIgnore ? null : log), config, log);
  try {
    await dns.listen(host!, config.port);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EACCES') fail(log, `no permission to bind port ${config.port}`, 'run with PORT=5353 (or --port 5353), or grant CAP_NET_BIND_SERVICE');
    if (err.code === 'EADDRINUSE') fail(log, `port ${config.port} on ${host} is already in use`, 'stop the other server or choose another PORT');
    fail(log, `cannot listen on ${host}:${config.port}: ${err.message}`, 'check HOST and PORT');
  }

  const shutdown = async (signal: string): Promise<void> => {
    log.info('shutting down', { signal });
    await zones.stop();
    await dns.close();
    log.flush();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

function fail(log: Logger, what: string, todo: string): never {
  log.error(what, { todo });
  log.flush();
  process.exit(EXIT_START);
}

try {
  const cli = parseConfig(process.argv.slice(2), process.env);
  if (cli.action === 'help') process.stdout.write(USAGE + '\n');
  else if (cli.action === 'version') process.stdout.write(`eclipso ${VERSION}\n`);
  else await run(cli.config);
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  process.stderr.write(`eclipso: ${e.message}\n`);
  process.exit(EXIT_CONFIG);
}
