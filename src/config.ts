import { constants as buffer } from 'node:buffer';
import { availableParallelism } from 'node:os';
import { EDNS_DEFAULT_PAYLOAD, UDP_DEFAULT_PAYLOAD } from './wire/constants.js';

/** Everything the server is told at start, from the seed's environment variables and flags. */
export interface Config {
  zoneDir: string;
  port: number;
  host: string;
  logIgnore: boolean;
  logDebug: boolean;
  logFormat: 'json' | 'text';
  /** Largest UDP payload offered to EDNS clients (RFC 6891 §6.2.5). */
  ednsMaxPayload: number;
  tcpIdleTimeoutMs: number;
  tcpMaxConnections: number;
  /** Open TCP connections from one client address at most (RFC 7766 §10). */
  tcpMaxConnectionsPerClient: number;
  workers: number;
  /** S3 resync period (seed: S3_SYNC_RETRY, seconds). */
  s3SyncSeconds: number;
  s3PathStyle: boolean;
  zoneCacheDir: string | undefined;
  /** HTTP port for /metrics, /healthz, /readyz; 0 turns it off. */
  metricsPort: number;
  metricsHost: string;
  /** Lame-duck period after SIGTERM, while readiness is 503 and queries are still answered. */
  shutdownGraceMs: number;
  /** Largest zone file read from the folder; larger ones are refused unread. */
  zoneFileMaxBytes: number;
  /** Zone transfers (src/transfer/settings.ts reads these): addresses allowed, secondaries to notify, TSIG keys. */
  xfrAllow: string | undefined;
  xfrNotify: string | undefined;
  tsigKey: string | undefined;
  tsigKeyFile: string | undefined;
  /** Differences kept per zone for IXFR (src/transfer/journal.ts); 0: every IXFR is answered in full. */
  ixfrVersions: number;
  /** Forwarder (src/forward/settings.ts reads these): names outside our zones, for the clients allowed. */
  forwardTo: string | undefined;
  forwardZones: string | undefined;
  forwardAllow: string | undefined;
  forwardTimeoutMs: number;
  forwardPolicy: string;
  forwardMaxConcurrent: number;
  forwardCacheSize: number;
  // Abuse resistance and identity (src/guard/settings.ts reads and checks these).
  /** RFC 5001 NSID: text, or hex after 0x; unset: no NSID. */
  nsid: string | undefined;
  /** CHAOS TXT id.server and hostname.bind; unset: not answered. */
  identity: string | undefined;
  /** CHAOS TXT version.bind and version.server; unset: not answered. */
  versionBind: string | undefined;
  /** RFC 9018 server cookie secret, 16 octets in hex; unset: cookies off. */
  cookieSecret: string | undefined;
  /** The secret before COOKIE_SECRET, still accepted during a rotation. */
  cookieSecretPrevious: string | undefined;
  /** Responses per second per client prefix and response kind; 0: rate limiting off. */
  rrlRate: number;
  /** Every Nth limited UDP answer goes out truncated (TC=1); 0: none, all dropped. */
  rrlSlip: number;
  rrlIpv4Prefix: number;
  rrlIpv6Prefix: number;
  /** Addresses and CIDRs never rate limited, comma-separated. */
  rrlAllow: string | undefined;
  // Issue 16: change events (S3 notifications through SQS) and the DynamoDB engine.
  /** SQS queue URL of the bucket's event notifications (S3_EVENTS_QUEUE); undefined: poll only. */
  s3EventsQueue: string | undefined;
  /** Tail the DynamoDB table's stream (DYNAMODB_STREAMS) for changes within a second. */
  dynamodbStreams: boolean;
  // The HTTP zone API (src/api/): off unless API_PORT is set, and then only with a token.
  /** HTTP(S) port of the zone API; 0: off. */
  apiPort: number;
  apiHost: string;
  /** PEM files: with both, the API speaks HTTPS. */
  apiTlsCert: string | undefined;
  apiTlsKey: string | undefined;
  /** One token with every right (an environment variable, or better a file: API_TOKENS_FILE). */
  apiToken: string | undefined;
  /** Tokens by name, SHA-256 and scope, one a line (src/api/auth.ts). */
  apiTokensFile: string | undefined;
  /** Largest request body, in bytes; larger ones get 413. */
  apiMaxBody: number;
  /** Open API connections at most: more are refused (node:http maxConnections). */
  apiMaxConnections: number;
  /** Time for a request's headers and body to arrive whole (slowloris). */
  apiRequestTimeoutMs: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Kind = 'string' | 'port' | 'int' | 'bool' | 'seconds' | 'format';

interface Option {
  key: keyof Config;
  env: string;
  flag: string;
  kind: Kind;
  help: string;
  min?: number;
  max?: number;
}

const OPTIONS: Option[] = [
  { key: 'zoneDir', env: 'ZONE_DIR', flag: '--zone-dir', kind: 'string', help: 'zone folder, s3://bucket[/prefix/] or dynamodb://table (default zones)' },
  { key: 'port', env: 'PORT', flag: '--port', kind: 'port', help: 'UDP and TCP port; 0 picks a free one (default 53)' },
  { key: 'host', env: 'HOST', flag: '--host', kind: 'string', help: 'address to listen on; :: for IPv6 and IPv4 (default 0.0.0.0)' },
  { key: 'logIgnore', env: 'ECLIPSO_LOG_IGNORE', flag: '--log-ignore', kind: 'bool', help: 'no per-query logs' },
  { key: 'logDebug', env: 'ECLIPSO_LOG_DEBUG', flag: '--log-debug', kind: 'bool', help: 'debug logs' },
  { key: 'logFormat', env: 'LOG_FORMAT', flag: '--log-format', kind: 'format', help: 'json (one object per line) or text (default json)' },
  { key: 'ednsMaxPayload', env: 'EDNS_MAX_PAYLOAD', flag: '--edns-max-payload', kind: 'int', min: UDP_DEFAULT_PAYLOAD, max: 4096, help: `largest UDP answer with EDNS (default ${EDNS_DEFAULT_PAYLOAD})` },
  { key: 'tcpIdleTimeoutMs', env: 'TCP_IDLE_TIMEOUT', flag: '--tcp-idle-timeout', kind: 'seconds', min: 1, help: 'close idle TCP connections after this many seconds (default 10)' },
  { key: 'tcpMaxConnections', env: 'TCP_MAX_CONNECTIONS', flag: '--tcp-max-connections', kind: 'int', min: 1, max: 1_000_000, help: 'open TCP connections at most (default 1000)' },
  { key: 'tcpMaxConnectionsPerClient', env: 'TCP_MAX_CONNECTIONS_PER_CLIENT', flag: '--tcp-max-connections-per-client', kind: 'int', min: 1, max: 1_000_000, help: 'open TCP connections from one client address at most (default 100)' },
  { key: 'workers', env: 'WORKERS', flag: '--workers', kind: 'int', min: 1, max: 1024, help: 'threads answering on the port, sharing the compiled zones (default: available cores)' },
  { key: 's3SyncSeconds', env: 'S3_SYNC_RETRY', flag: '--s3-sync-retry', kind: 'int', min: 1, max: 86400, help: 'S3 resync period in seconds (default 60)' },
  { key: 's3PathStyle', env: 'S3_FORCE_PATH_STYLE', flag: '--s3-path-style', kind: 'bool', help: 'path-style S3 URLs (MinIO, Ceph)' },
  { key: 'zoneCacheDir', env: 'ZONE_CACHE_DIR', flag: '--zone-cache-dir', kind: 'string', help: 'local snapshot of the last good S3 zones' },
  { key: 'metricsPort', env: 'METRICS_PORT', flag: '--metrics-port', kind: 'int', min: 0, max: 65535, help: 'HTTP port for /metrics /healthz /readyz; 0 = off (default 9153)' },
  { key: 'metricsHost', env: 'METRICS_HOST', flag: '--metrics-host', kind: 'string', help: 'address of the HTTP listener (default 0.0.0.0)' },
  { key: 'shutdownGraceMs', env: 'SHUTDOWN_GRACE', flag: '--shutdown-grace', kind: 'seconds', help: 'lame-duck seconds after SIGTERM (default 5)' },
  // Up to the longest string V8 holds: a UTF-8 file of that many octets always decodes.
  { key: 'zoneFileMaxBytes', env: 'ZONE_FILE_MAX_BYTES', flag: '--zone-file-max-bytes', kind: 'int', min: 1, max: buffer.MAX_STRING_LENGTH, help: 'largest zone file read, in bytes (default 268435456: 256 MiB)' },
  { key: 'xfrAllow', env: 'XFR_ALLOW', flag: '--xfr-allow', kind: 'string', help: 'addresses and CIDRs allowed zone transfers, comma-separated (default none)' },
  { key: 'xfrNotify', env: 'XFR_NOTIFY', flag: '--xfr-notify', kind: 'string', help: 'secondaries told of zone changes: address[:port], comma-separated (default none)' },
  { key: 'tsigKey', env: 'TSIG_KEY', flag: '--tsig-key', kind: 'string', help: 'name:algorithm:base64secret; transfers must be signed with it (default none)' },
  { key: 'tsigKeyFile', env: 'TSIG_KEY_FILE', flag: '--tsig-key-file', kind: 'string', help: 'file of TSIG keys, one name:algorithm:base64secret a line' },
  { key: 'ixfrVersions', env: 'IXFR_VERSIONS', flag: '--ixfr-versions', kind: 'int', min: 0, max: 1000, help: 'differences kept per zone for IXFR; 0 = IXFR answered in full (default 20)' },
  // Forwarder (issue 18): off unless FORWARD_TO is set.
  { key: 'forwardTo', env: 'FORWARD_TO', flag: '--forward-to', kind: 'string', help: 'upstreams for names outside our zones: address[:port], comma-separated (default none: off)' },
  { key: 'forwardZones', env: 'FORWARD_ZONES', flag: '--forward-zones', kind: 'string', help: 'forward only names under these suffixes, comma-separated (default: every name outside our zones)' },
  { key: 'forwardAllow', env: 'FORWARD_ALLOW', flag: '--forward-allow', kind: 'string', help: 'addresses and CIDRs that may use the forwarder (default loopback and private ranges)' },
  { key: 'forwardTimeoutMs', env: 'FORWARD_TIMEOUT', flag: '--forward-timeout', kind: 'seconds', min: 0.01, help: 'seconds to wait for an upstream before the next (default 2)' },
  { key: 'forwardPolicy', env: 'FORWARD_POLICY', flag: '--forward-policy', kind: 'string', help: 'sequential or random: the order upstreams are asked in (default sequential)' },
  { key: 'forwardMaxConcurrent', env: 'FORWARD_MAX_CONCURRENT', flag: '--forward-max-concurrent', kind: 'int', min: 1, max: 1_000_000, help: 'outstanding upstream queries at most; above, REFUSED (default 1000)' },
  { key: 'forwardCacheSize', env: 'FORWARD_CACHE_SIZE', flag: '--forward-cache-size', kind: 'int', min: 0, max: 10_000_000, help: 'answers cached from upstreams; 0 = no cache (default 10000)' },
  // Abuse resistance and identity (src/guard/settings.ts reads and checks these).
  { key: 'nsid', env: 'NSID', flag: '--nsid', kind: 'string', help: 'NSID (RFC 5001) given to queries asking for it: text, or hex as 0x... (default none)' },
  { key: 'identity', env: 'IDENTITY', flag: '--identity', kind: 'string', help: 'answer CHAOS TXT id.server and hostname.bind with this text (default: not answered)' },
  { key: 'versionBind', env: 'VERSION_BIND', flag: '--version-bind', kind: 'string', help: 'answer CHAOS TXT version.bind and version.server with this text (default: not answered)' },
  { key: 'cookieSecret', env: 'COOKIE_SECRET', flag: '--cookie-secret', kind: 'string', help: 'DNS cookies (RFC 7873, RFC 9018): 16-octet secret in hex, the same on every replica (default: cookies off)' },
  { key: 'cookieSecretPrevious', env: 'COOKIE_SECRET_PREVIOUS', flag: '--cookie-secret-previous', kind: 'string', help: 'the secret before COOKIE_SECRET, still accepted while replicas rotate (default none)' },
  { key: 'rrlRate', env: 'RRL_RATE', flag: '--rrl-rate', kind: 'int', min: 0, max: 1_000_000, help: 'UDP responses per second per client prefix and response kind; 0 = off (default 0)' },
  { key: 'rrlSlip', env: 'RRL_SLIP', flag: '--rrl-slip', kind: 'int', min: 0, max: 10, help: 'every Nth rate-limited answer is sent truncated (TC=1); 0 = drop all (default 2)' },
  { key: 'rrlIpv4Prefix', env: 'RRL_IPV4_PREFIX', flag: '--rrl-ipv4-prefix', kind: 'int', min: 8, max: 32, help: 'IPv4 clients are rate limited per prefix of this length (default 24)' },
  { key: 'rrlIpv6Prefix', env: 'RRL_IPV6_PREFIX', flag: '--rrl-ipv6-prefix', kind: 'int', min: 16, max: 128, help: 'IPv6 clients are rate limited per prefix of this length (default 56)' },
  { key: 'rrlAllow', env: 'RRL_ALLOW', flag: '--rrl-allow', kind: 'string', help: 'addresses and CIDRs never rate limited, comma-separated (default none)' },
  // Issue 16: change events (S3 notifications through SQS) and the DynamoDB engine.
  { key: 's3EventsQueue', env: 'S3_EVENTS_QUEUE', flag: '--s3-events-queue', kind: 'string', help: 'SQS queue URL of the bucket\'s S3 event notifications: changes within a second (default none: poll only)' },
  { key: 'dynamodbStreams', env: 'DYNAMODB_STREAMS', flag: '--dynamodb-streams', kind: 'bool', help: 'with ZONE_DIR=dynamodb://table: follow the table\'s stream for changes within a second' },
  // The HTTP zone API (src/api/).
  { key: 'apiPort', env: 'API_PORT', flag: '--api-port', kind: 'port', help: 'HTTP port of the zone API; 0 = off (default 0)' },
  { key: 'apiHost', env: 'API_HOST', flag: '--api-host', kind: 'string', help: 'address of the zone API (default 127.0.0.1)' },
  { key: 'apiTlsCert', env: 'API_TLS_CERT', flag: '--api-tls-cert', kind: 'string', help: 'PEM certificate (chain): the API speaks HTTPS (with --api-tls-key)' },
  { key: 'apiTlsKey', env: 'API_TLS_KEY', flag: '--api-tls-key', kind: 'string', help: 'PEM private key of --api-tls-cert' },
  { key: 'apiToken', env: 'API_TOKEN', flag: '--api-token', kind: 'string', help: 'one API token with every right (prefer API_TOKENS_FILE)' },
  { key: 'apiTokensFile', env: 'API_TOKENS_FILE', flag: '--api-tokens-file', kind: 'string', help: 'API tokens, one "name sha256hex scope" a line' },
  { key: 'apiMaxBody', env: 'API_MAX_BODY', flag: '--api-max-body', kind: 'int', min: 1, max: buffer.MAX_STRING_LENGTH, help: 'largest API request body in bytes (default 1048576: 1 MiB)' },
  { key: 'apiMaxConnections', env: 'API_MAX_CONNECTIONS', flag: '--api-max-connections', kind: 'int', min: 1, max: 1_000_000, help: 'open API connections at most (default 64)' },
  { key: 'apiRequestTimeoutMs', env: 'API_REQUEST_TIMEOUT', flag: '--api-request-timeout', kind: 'seconds', min: 1, help: 'seconds for an API request to arrive whole, headers and body (default 10)' },
];

export function defaults(): Config {
  return {
    zoneDir: 'zones',
    port: 53,
    host: '0.0.0.0',
    logIgnore: false,
    logDebug: false,
    logFormat: 'json',
    ednsMaxPayload: EDNS_DEFAULT_PAYLOAD,
    tcpIdleTimeoutMs: 10_000,
    tcpMaxConnections: 1000,
    tcpMaxConnectionsPerClient: 100,
    workers: availableParallelism(),
    s3SyncSeconds: 60,
    s3PathStyle: false,
    zoneCacheDir: undefined,
    metricsPort: 9153,
    metricsHost: '0.0.0.0',
    shutdownGraceMs: 5000,
    zoneFileMaxBytes: 256 * 2 ** 20,
    xfrAllow: undefined,
    xfrNotify: undefined,
    tsigKey: undefined,
    tsigKeyFile: undefined,
    ixfrVersions: 20,
    forwardTo: undefined,
    forwardZones: undefined,
    forwardAllow: undefined,
    forwardTimeoutMs: 2000,
    forwardPolicy: 'sequential',
    forwardMaxConcurrent: 1000,
    forwardCacheSize: 10_000,
    nsid: undefined,
    identity: undefined,
    versionBind: undefined,
    cookieSecret: undefined,
    cookieSecretPrevious: undefined,
    rrlRate: 0,
    rrlSlip: 2,
    rrlIpv4Prefix: 24,
    rrlIpv6Prefix: 56,
    rrlAllow: undefined,
    s3EventsQueue: undefined,
    dynamodbStreams: false,
    apiPort: 0,
    apiHost: '127.0.0.1',
    apiTlsCert: undefined,
    apiTlsKey: undefined,
    apiToken: undefined,
    apiTokensFile: undefined,
    apiMaxBody: 2 ** 20,
    apiMaxConnections: 64,
    apiRequestTimeoutMs: 10_000,
  };
}

/** Longest period a seconds setting takes: one day. */
const MAX_SECONDS = 86400;

/** The numbers a setting takes, as its error message states them. */
function range(opt: Option): { min: number; max: number; what: string } {
  if (opt.kind === 'seconds') {
    const min = opt.min ?? 0;
    return { min, max: MAX_SECONDS, what: `a number of seconds from ${min} to ${MAX_SECONDS} (fractions allowed, e.g. 1.5)` };
  }
  const min = opt.kind === 'port' ? 0 : (opt.min ?? 0);
  const max = opt.kind === 'port' ? 65535 : (opt.max ?? Number.MAX_SAFE_INTEGER);
  return { min, max, what: `a whole number from ${min} to ${max}` };
}

function convert(opt: Option, raw: string, source: string): Config[keyof Config] {
  const bad = (what: string): never => {
    throw new ConfigError(`${source}=${JSON.stringify(raw)}: ${what}`);
  };
  switch (opt.kind) {
    case 'string':
      // "s3:/bucket" or "s3:bucket" is a mistyped S3 URL far more often than a folder named "s3:".
      if (opt.key === 'zoneDir' && /^s3:/i.test(raw) && !/^s3:\/\//i.test(raw)) {
        bad('is not an S3 URL; write s3://bucket or s3://bucket/prefix/ (two slashes), or ./' + raw + ' for a folder of that name');
      }
      return raw;
    case 'bool':
      // The seed's ECLIPSO_LOG_IGNORE=1 style: 1/true/yes on, 0/false/no off.
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      return bad('must be 1 or 0 (true or false)');
    case 'format':
      if (raw === 'json' || raw === 'text') return raw;
      return bad('must be json or text');
    case 'port': case 'int': case 'seconds': {
      const { min, max, what } = range(opt);
      const v = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
      if (!(v >= min && v <= max) || (opt.kind !== 'seconds' && !Number.isInteger(v))) bad(`must be ${what}`);
      return opt.kind === 'seconds' ? Math.round(v * 1000) : v;
    }
  }
}

const flagText = (o: Option): string => (o.kind === 'bool' ? o.flag : `${o.flag} <v>`);
const FLAG_WIDTH = Math.max(...OPTIONS.map((o) => flagText(o).length));
const ENV_WIDTH = Math.max(...OPTIONS.map((o) => o.env.length));

export const USAGE = `Usage: eclipso [options]
       eclipso check [--format text|json] [DIR|FILE ...]   check zone files without serving them

Every option can also be set by its environment variable; a flag wins over the variable.
A variable set to the empty string (PORT=) counts as unset: the default applies.

${OPTIONS.map((o) => `  ${flagText(o).padEnd(FLAG_WIDTH)} ${o.env.padEnd(ENV_WIDTH)} ${o.help}`).join('\n')}
${[['--help', 'this text'], ['--version', 'the version']].map(([f, h]) => `  ${f.padEnd(FLAG_WIDTH + ENV_WIDTH + 1)} ${h}`).join('\n')}`;

/**
 * The log format asked for, read on its own: for reporting a configuration error in the format
 * the operator chose even when the rest of the configuration is bad. JSON unless text is asked.
 */
export function logFormatOf(argv: string[], env: NodeJS.ProcessEnv): 'json' | 'text' {
  const i = argv.lastIndexOf('--log-format');
  const flag = i >= 0 ? argv[i + 1] : argv.filter((a) => a.startsWith('--log-format=')).pop()?.slice('--log-format='.length);
  return (flag ?? env.LOG_FORMAT) === 'text' ? 'text' : 'json';
}

export type CliAction = { action: 'run'; config: Config } | { action: 'help' } | { action: 'version' };

/** Reads the environment, then the flags. A bad value is a ConfigError naming it. */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): CliAction {
  const config = defaults();
  const set = (opt: Option, raw: string, source: string): void => {
    (config as unknown as Record<string, unknown>)[opt.key] = convert(opt, raw, source);
  };
  for (const opt of OPTIONS) {
    const v = env[opt.env];
    // Set but empty (PORT=) means unset, for every variable: what `${PORT:-}` in Compose or an
    // EnvironmentFile template line leaves behind. A flag, typed by hand, must have a value.
    if (v !== undefined && v !== '') set(opt, v, opt.env);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return { action: 'help' };
    if (arg === '--version' || arg === '-v') return { action: 'version' };
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const opt = OPTIONS.find((o) => o.flag === flag);
    if (!opt) throw new ConfigError(`unknown option ${arg}; see --help`);
    if (opt.kind === 'bool' && eq < 0) {
      set(opt, '1', flag);
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '') throw new ConfigError(`${flag} needs a value; see --help`);
    set(opt, value, flag);
  }
  return { action: 'run', config };
}
