import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { ConfigError, defaults, parseConfig, USAGE, type Config } from '../src/config.js';

const MAIN = new URL('../../dist/main.js', import.meta.url).pathname;

/** What the server would run with, from these flags and variables. */
function config(argv: string[], env: Record<string, string> = {}): Config {
  const cli = parseConfig(argv, env);
  assert.equal(cli.action, 'run');
  return (cli as { config: Config }).config;
}

/** The ConfigError message for these flags and variables (fails if they are accepted). */
function refused(argv: string[], env: Record<string, string> = {}): string {
  try {
    parseConfig(argv, env);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `a ConfigError, not ${String(e)}`);
    return e.message;
  }
  return assert.fail(`accepted: ${argv.join(' ')} ${JSON.stringify(env)}`);
}

/** Every variable the server reads, from its own --help text. */
const VARIABLES = [...USAGE.matchAll(/^ {2}--\S+(?: <v>)? +([A-Z][A-Z0-9_]+) /gm)].map((m) => m[1]);

describe('configuration: numbers out of range say the range', () => {
  const cases: [string[], Record<string, string>, string][] = [
    [['--workers', '-1'], {}, '--workers="-1": must be a whole number from 1 to 1024'],
    [['--workers', '0'], {}, '--workers="0": must be a whole number from 1 to 1024'],
    [['--workers', '2.5'], {}, '--workers="2.5": must be a whole number from 1 to 1024'],
    [[], { WORKERS: 'many' }, 'WORKERS="many": must be a whole number from 1 to 1024'],
    [['--shutdown-grace', '-1'], {}, '--shutdown-grace="-1": must be a number of seconds from 0 to 86400 (fractions allowed, e.g. 1.5)'],
    [[], { SHUTDOWN_GRACE: '90000' }, 'SHUTDOWN_GRACE="90000": must be a number of seconds from 0 to 86400'],
    [[], { TCP_IDLE_TIMEOUT: '0' }, 'TCP_IDLE_TIMEOUT="0": must be a number of seconds from 1 to 86400'],
    [[], { METRICS_PORT: '-5' }, 'METRICS_PORT="-5": must be a whole number from 0 to 65535'],
    [[], { PORT: 'dns' }, 'PORT="dns": must be a whole number from 0 to 65535'],
    [['--port', '70000'], {}, '--port="70000": must be a whole number from 0 to 65535'],
    [[], { EDNS_MAX_PAYLOAD: '100' }, 'EDNS_MAX_PAYLOAD="100": must be a whole number from 512 to 4096'],
    [[], { TCP_MAX_CONNECTIONS: '0' }, 'TCP_MAX_CONNECTIONS="0": must be a whole number from 1 to 1000000'],
    [[], { S3_SYNC_RETRY: '0' }, 'S3_SYNC_RETRY="0": must be a whole number from 1 to 86400'],
    [[], { S3_SYNC_RETRY: '1e3' }, 'S3_SYNC_RETRY="1e3": must be a whole number from 1 to 86400'],
  ];
  for (const [argv, env, message] of cases) {
    it(`${[...argv, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)].join(' ')}`, () => {
      assert.ok(refused(argv, env).startsWith(message), refused(argv, env));
    });
  }

  it('values inside the range are taken, bounds included', () => {
    assert.equal(config(['--workers', '1024']).workers, 1024);
    assert.equal(config(['--workers', '1']).workers, 1);
    assert.equal(config([], { METRICS_PORT: '0' }).metricsPort, 0);
    assert.equal(config(['--shutdown-grace', '0']).shutdownGraceMs, 0);
    assert.equal(config(['--shutdown-grace', '1.5']).shutdownGraceMs, 1500);
    assert.equal(config([], { TCP_IDLE_TIMEOUT: '86400' }).tcpIdleTimeoutMs, 86_400_000);
  });
});

describe('configuration: ZONE_DIR that starts with s3: but is no S3 URL', () => {
  for (const zoneDir of ['s3:/bucket', 's3:bucket', 'S3:/bucket/zones/', 's3:']) {
    it(zoneDir, () => {
      const message = refused(['--zone-dir', zoneDir]);
      assert.match(message, /^--zone-dir="[^"]*": is not an S3 URL; write s3:\/\/bucket or s3:\/\/bucket\/prefix\//);
      assert.ok(message.includes(`./${zoneDir}`), 'says how to name a folder that starts with s3:');
      assert.match(refused([], { ZONE_DIR: zoneDir }), /^ZONE_DIR=/);
    });
  }

  it('folders and s3:// URLs are taken as they are', () => {
    assert.equal(config(['--zone-dir', 's3://bucket/zones/']).zoneDir, 's3://bucket/zones/');
    assert.equal(config(['--zone-dir', './s3:/bucket']).zoneDir, './s3:/bucket');
    assert.equal(config(['--zone-dir', 'zones-s3']).zoneDir, 'zones-s3');
  });

  it('stops the server with exit code 2 and the message on stderr', () => {
    const r = spawnSync(process.execPath, [MAIN, '--zone-dir', 's3:/bucket', '--port', '0', '--metrics-port', '0'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2, `exit code; stderr: ${r.stderr}`);
    // A JSON log line (LOG_FORMAT=json, the default) whose message names the setting.
    assert.match((JSON.parse(r.stderr) as { msg: string }).msg, /--zone-dir="s3:\/bucket": is not an S3 URL; write s3:\/\/bucket or s3:\/\/bucket\/prefix\//);
    assert.doesNotMatch(r.stdout, /zones ready|listening/, 'nothing was loaded or served');
  });
});

describe('configuration: a variable set to the empty string counts as unset', () => {
  it('the help text lists the variables', () => {
    assert.ok(VARIABLES.length >= 16, VARIABLES.join(' '));
    for (const v of ['ZONE_DIR', 'PORT', 'WORKERS', 'ECLIPSO_LOG_IGNORE', 'METRICS_PORT', 'SHUTDOWN_GRACE']) assert.ok(VARIABLES.includes(v), v);
  });

  for (const name of VARIABLES) {
    it(`${name}= is the default`, () => {
      assert.deepEqual(config([], { [name]: '' }), defaults());
    });
  }

  it('every variable empty at once is the defaults; a flag still wins', () => {
    const env = Object.fromEntries(VARIABLES.map((v) => [v, '']));
    assert.deepEqual(config([], env), defaults());
    assert.equal(config(['--port', '5353'], env).port, 5353);
  });

  for (const flag of ['--port', '--zone-dir', '--workers', '--log-ignore']) {
    it(`${flag}= (a flag with an empty value) is an error`, () => {
      assert.equal(refused([`${flag}=`]), `${flag} needs a value; see --help`);
    });
  }
  it('--port "" is an error too', () => {
    assert.equal(refused(['--port', '']), '--port needs a value; see --help');
  });
});
