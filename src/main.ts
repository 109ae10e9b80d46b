#!/usr/bin/env node
import { lookup } from 'node:dns/promises';
import { AnswerTable } from './answer/table.js';
import { ConfigError, parseConfig, USAGE, type Config } from './config.js';
import { Logger } from './log.js';
import { DnsServer } from './server/dns.js';
import { QueryObserver } from './server/observer.js';
import { FolderSource } from './sources/folder.js';
import { ZoneReloader } from './sources/reload.js';
import { createS3Source } from './sources/s3.js';
import { isS3Url } from './sources/s3-location.js';
import type { ZoneSource } from './sources/source.js';
import { BANNER, VERSION } from './version.js';
import { localSnapshot, queriesReceived, sourceLabel } from './ops/collect.js';
import { startOps } from './ops/ops.js';
import { Shutdown } from './ops/shutdown.js';
import cluster from 'node:cluster';
import { runWorker } from './server/worker.js';
import { WorkerPool } from './server/workers.js';

/** Exit code for a bad configuration value (as sysexits' EX_USAGE is too, for a usage error). */
const EXIT_CONFIG = 2;
const EXIT_START = 1;

function source(config: Config, log: Logger): ZoneSource {
  // A bad s3:// URL or half-set credentials throw ConfigError: exit 2 like any bad setting.
  if (isS3Url(config.zoneDir)) return createS3Source(config, process.env, log);
  return new FolderSource(config.zoneDir, log, config.zoneFileMaxBytes);
}

async function run(config: Config): Promise<void> {
  const log = new Logger(config.logFormat, config.logDebug);
  if (cluster.isWorker) return runWorker(config, log);
  if (config.logFormat === 'text') process.stdout.write(BANNER + '\n');
  log.info('starting eclipso', { version: VERSION, zoneDir: config.zoneDir, port: config.port, host: config.host });

  // Checked before any zone is loaded: a bad HOST is a configuration error like any other.
  const host = (await lookup(config.host).catch(() => null))?.address;
  if (!host) {
    process.stderr.write(`eclipso: HOST=${JSON.stringify(config.host)}: not an address or a name this machine resolves; use 0.0.0.0, :: or one of its addresses\n`);
    process.exit(EXIT_CONFIG);
  }

  const table = new AnswerTable();
  const reloader = new ZoneReloader(table, log);
  const zones = source(config, log);
  const observer = new QueryObserver(config.logIgnore ? null : log);
  // WORKERS > 1: this process runs the source and the ops listener; workers answer (workers.ts).
  const pool = config.workers > 1 ? new WorkerPool(config, log) : null;
  const ops = await startOps(config, log, () => pool ? pool.snapshot(zones.stats)
    : localSnapshot({ counters: observer.counters, table, reloader, zones, source: sourceLabel(config.zoneDir), log }));
  let dns: DnsServer | WorkerPool | null = null;
  // Installed before the first load: a stop during a long S3 sync still exits cleanly, with 0.
  new Shutdown({
    graceMs: config.shutdownGraceMs,
    log,
    beginDrain: () => ops.health.beginDrain(),
    activity: () => pool ? pool.received() : queriesReceived(observer.counters),
    close: async () => {
      await dns?.close();
      await zones.stop();
      await ops.close();
    },
  }).installSignalHandlers();
  try {
    await zones.start(pool ?? reloader);
  } catch (e) {
    fail(log, `cannot load zones from ${zones.description}: ${(e as Error).message}`, 'set ZONE_DIR (or --zone-dir) to a folder of <domain>.toml files');
  }
  log.info('zones ready', { zones: pool ? pool.zoneFiles : table.zoneCount, source: zones.description });

  dns = pool ?? new DnsServer(table, observer, config, log);
  try {
    await dns.listen(host, config.port);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EACCES') fail(log, `no permission to bind port ${config.port}`, 'run with PORT=5353 (or --port 5353), or allow it: sysctl net.ipv4.ip_unprivileged_port_start=53 (per container; Docker sets 0)');
    if (err.code === 'EADDRINUSE') fail(log, `port ${config.port} on ${host} is already in use`, 'stop the other server or choose another PORT');
    fail(log, `cannot listen on ${host}:${config.port}: ${err.message}`, 'check HOST and PORT');
  }
  ops.health.markReady();
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
