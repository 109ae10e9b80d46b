#!/usr/bin/env node
import { lookup } from 'node:dns/promises';
import { apiSettings, type ApiSettings } from './api/settings.js';
import { runCheck } from './cli/check.js';
import { ConfigError, logFormatOf, parseConfig, USAGE, type Config } from './config.js';
import { collectGarbage } from './heap.js';
import { Logger } from './log.js';
import { startOps } from './ops/ops.js';
import { Shutdown } from './ops/shutdown.js';
import { checkBindable } from './server/dns.js';
import { compiledCache, LocalServing } from './serving/local.js';
import type { Serving } from './serving/serving.js';
import { dnsThreadsWork } from './serving/reuse-port.js';
import { ThreadServing } from './serving/threads.js';
import { FolderSource } from './sources/folder.js';
import { isDynamoUrl } from './sources/dynamodb-items.js';
import { FolderStore } from './sources/folder-store.js';
import { isS3Url } from './sources/s3-location.js';
import type { ZoneSource } from './sources/source.js';
import type { ZoneStore } from './sources/zone-store.js';
import { transfersOn } from './transfer/access.js';
import { formatName } from './wire/name.js';
import { transferSettings } from './transfer/settings.js';
import { FORWARD_ALLOW_DEFAULT, forwardSettings } from './forward/settings.js';
import { guardSettings } from './guard/settings.js';
import { BANNER, VERSION } from './version.js';

/** Exit code for a bad configuration value (as sysexits' EX_USAGE is too, for a usage error). */
const EXIT_CONFIG = 2;
const EXIT_START = 1;

/** The zone source ZONE_DIR names. The AWS SDK is loaded only for S3 or DynamoDB (it costs start-up time and memory). */
async function source(config: Config, log: Logger): Promise<ZoneSource> {
  // A bad s3:// URL or half-set credentials throw ConfigError: exit 2 like any bad setting.
  if (isS3Url(config.zoneDir)) return (await import('./sources/s3.js')).createS3Source(config, process.env, log);
  if (isDynamoUrl(config.zoneDir)) return (await import('./sources/dynamodb.js')).createDynamoSource(config, process.env, log);
  return new FolderSource(config.zoneDir, log, config.zoneFileMaxBytes);
}

/** Where the HTTP zone API writes: the folder, bucket or table ZONE_DIR names, and the origin the source gives each file there. */
async function store(config: Config, log: Logger): Promise<{ store: ZoneStore; origin(fileName: string): string }> {
  if (isDynamoUrl(config.zoneDir)) {
    const table = await (await import('./sources/dynamodb.js')).createDynamoZoneStore(config.zoneDir, process.env, log);
    return { store: table, origin: (f) => table.origin(f) };
  }
  if (isS3Url(config.zoneDir)) {
    const [{ S3Store }, { clientConfig }, { parseS3Url }] = await Promise.all([import('./sources/s3-store.js'), import('./sources/s3-bucket.js'), import('./sources/s3-location.js')]);
    const s3 = new S3Store(parseS3Url(config.zoneDir), clientConfig(process.env, config.s3PathStyle));
    return { store: s3, origin: (f) => s3.origin(f) };
  }
  const folder = new FolderStore(config.zoneDir, config.zoneFileMaxBytes);
  return { store: folder, origin: (f) => folder.origin(f) };
}

/** Starts the HTTP zone API once the zones are served; a port it cannot bind stops the start like the DNS port. */
async function startZoneApi(config: Config, settings: ApiSettings, log: Logger, serving: Serving): Promise<{ close(): Promise<void> }> {
  const { startApi } = await import('./api/api.js');
  return startApi(config, settings, log, { ...await store(config, log), serving }).catch((e: NodeJS.ErrnoException) => cannotListen(log, e, config.apiHost, config.apiPort));
}

async function run(config: Config): Promise<void> {
  const log = Logger.forServer(config.logFormat, config.logDebug);
  // A bad XFR_ALLOW, XFR_NOTIFY or TSIG_KEY is a ConfigError: exit 2 before anything starts.
  const transfers = transferSettings(config);
  // Likewise a bad FORWARD_* setting (each DNS listener reads them again, as they are).
  const forward = forwardSettings(config);
  // So is a bad NSID, COOKIE_SECRET or RRL_ALLOW (src/guard/settings.ts).
  const guard = guardSettings(config);
  // With API_PORT set, no token (or an unreadable tokens or TLS file) is a ConfigError too.
  const api = config.apiPort > 0 ? apiSettings(config) : null;
  if (config.logFormat === 'text') process.stdout.write(BANNER + '\n');
  log.info('starting eclipso', { version: VERSION, zoneDir: config.zoneDir, port: config.port, host: config.host });
  for (const w of transfers.warnings) log.warn(w);
  if (transfersOn(transfers.access)) {
    log.info('zone transfers on', {
      allow: config.xfrAllow ?? '', keys: [...transfers.access.keys.values()].map((k) => formatName(k.name)).join(','), notify: config.xfrNotify ?? '',
    });
  }

  if (forward !== null) {
    log.info('forwarder on', {
      to: config.forwardTo, zones: config.forwardZones ?? '', allow: config.forwardAllow ?? FORWARD_ALLOW_DEFAULT, policy: forward.policy,
      timeoutMs: forward.timeoutMs, maxConcurrent: forward.maxConcurrent, cacheSize: forward.cacheSize,
    });
    // RFC 5358 §4: an open resolver serves amplification attacks; say so if that is what was asked.
    if (forward.allow.some((b) => b.prefix === 0)) log.warn('FORWARD_ALLOW lets every address use the forwarder: this is an open resolver, which amplification attacks abuse; list your clients\' networks instead');
  }
  if (guard.cookieSecret !== null || guard.rrl.rate > 0) {
    log.info('abuse resistance on', {
      cookies: guard.cookieSecret !== null, cookieSecretPrevious: guard.cookieSecretPrevious !== null,
      rrlRate: guard.rrl.rate, rrlSlip: guard.rrl.slip, rrlIpv4Prefix: guard.rrl.ipv4Prefix, rrlIpv6Prefix: guard.rrl.ipv6Prefix, rrlAllow: config.rrlAllow ?? '',
    });
  }

  // Checked before any zone is loaded: a bad HOST is a configuration error like any other.
  const host = (await lookup(config.host).catch(() => null))?.address;
  if (!host) {
    configError(`HOST=${JSON.stringify(config.host)}: not an address or a name this machine resolves`, 'use 0.0.0.0, :: or one of its addresses', config.logFormat);
  }
  // And whether the ports can be bound: a missing privilege is reported now, not after a long load.
  await checkBindable(host, config.port).catch((e: NodeJS.ErrnoException) => cannotListen(log, e, host, config.port));

  const zones = await source(config, log);
  // WORKERS > 1: this thread runs the source, the catalog and the ops listener; DNS threads answer (serving/threads.ts).
  const serving: Serving = config.workers > 1 && await dnsThreadsWork(config, log, host)
    ? new ThreadServing(config, log, transfers, compiledCache(config, log))
    : new LocalServing(config, log, transfers);
  const ops = await startOps(config, log, {
    answering: () => serving.answering,
    snapshot: async () => ({ ...await serving.snapshot(), sourceStats: zones.stats ? { ...zones.stats } : undefined }),
  });
  let zoneApi: { close(): Promise<void> } | null = null;
  // Installed before the first load: a stop during a long S3 sync still exits cleanly, with 0.
  new Shutdown({
    graceMs: config.shutdownGraceMs,
    log,
    beginDrain: () => ops.health.beginDrain(),
    activity: () => serving.received(),
    close: async () => {
      await zoneApi?.close();
      await serving.close();
      await zones.stop();
      await ops.close();
    },
  }).installSignalHandlers();
  try {
    await zones.start(serving);
  } catch (e) {
    fail(log, `cannot load zones from ${zones.description}: ${(e as Error).message}`, 'set ZONE_DIR (or --zone-dir) to a folder of <domain>.toml files');
  }
  log.info('zones ready', { zones: serving.zoneCount, source: zones.description });

  // The load's garbage goes before the first query can arrive (src/heap.ts).
  collectGarbage();
  await serving.listen(host, config.port).catch((e: NodeJS.ErrnoException) => cannotListen(log, e, host, config.port));
  if (api) zoneApi = await startZoneApi(config, api, log, serving);
  ops.health.markReady();
  if (config.zoneCacheDir !== undefined) {
    const removed = await serving.settleCache();
    if (removed > 0) log.info('removed compiled zones no zone file uses from the cache', { dir: config.zoneCacheDir, removed });
  }
}

function cannotListen(log: Logger, err: NodeJS.ErrnoException, host: string, port: number): never {
  if (err.code === 'EACCES') fail(log, `no permission to bind port ${port}`, 'run with PORT=5353 (or --port 5353), or allow it: sysctl net.ipv4.ip_unprivileged_port_start=53 (per container; Docker sets 0), or grant CAP_NET_BIND_SERVICE');
  if (err.code === 'EADDRINUSE') fail(log, `port ${port} on ${host} is already in use`, 'stop the other server or choose another PORT');
  fail(log, `cannot listen on ${host}:${port}: ${err.message}`, 'check HOST and PORT');
}

/** A bad setting: said on stderr, as a JSON log line unless LOG_FORMAT=text; exit 2. */
function configError(message: string, todo: string | undefined, format: 'json' | 'text'): never {
  if (format === 'json') process.stderr.write(new Logger('json', false).line('error', message, { todo }) + '\n');
  else process.stderr.write(`eclipso: ${message}${todo ? `; ${todo}` : ''}\n`);
  process.exit(EXIT_CONFIG);
}

function fail(log: Logger, what: string, todo: string): never {
  log.error(what, { todo });
  log.flush();
  process.exit(EXIT_START);
}

const argv = process.argv.slice(2);
if (argv[0] === 'check') {
  process.exitCode = await runCheck(argv.slice(1), process.env, (s) => process.stdout.write(s));
} else {
  try {
    const cli = parseConfig(argv, process.env);
    if (cli.action === 'help') process.stdout.write(USAGE + '\n');
    else if (cli.action === 'version') process.stdout.write(`eclipso ${VERSION}\n`);
    else await run(cli.config);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    configError(e.message, undefined, logFormatOf(argv, process.env));
  }
}
