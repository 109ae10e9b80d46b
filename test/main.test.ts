import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { WAIT_MS, ZoneDir } from './helpers/server.js';

const MAIN = new URL('../../dist/main.js', import.meta.url).pathname;
const ZONES = new URL('../../zones', import.meta.url).pathname;

/** What a run printed: the `msg` of each JSON line, other lines as they are. */
function messages(out: string): string {
  return out.split('\n').filter(Boolean).map((l) => {
    try {
      return (JSON.parse(l) as { msg: string }).msg;
    } catch {
      return l;
    }
  }).join('\n');
}

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: WAIT_MS });
}

describe('command line', () => {
  it('--help lists every option with its variable', () => {
    const r = run(['--help']);
    assert.equal(r.status, 0);
    for (const s of ['--zone-dir', 'ZONE_DIR', '--port', 'PORT', '--host', 'HOST', 'ECLIPSO_LOG_IGNORE', 'ECLIPSO_LOG_DEBUG']) assert.ok(r.stdout.includes(s), s);
  });

  it('--version prints the version', () => {
    const r = run(['--version']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^eclipso \d+\.\d+\.\d+\n$/);
  });

  const bad: [string, string[], Record<string, string>, RegExp][] = [
    ['a port out of range', ['--port', '70000'], {}, /--port="70000": must be a whole number from 0 to 65535/],
    ['a non-numeric PORT', [], { PORT: 'dns' }, /PORT="dns": must be a whole number from 0 to 65535/],
    ['an unknown flag', ['--prot', '53'], {}, /unknown option --prot; see --help/],
    ['a flag without its value', ['--zone-dir'], {}, /--zone-dir needs a value/],
    ['a bad boolean', [], { ECLIPSO_LOG_IGNORE: 'maybe' }, /ECLIPSO_LOG_IGNORE="maybe": must be 1 or 0/],
    ['a HOST this machine cannot resolve', ['--host', 'no.such.host.invalid'], {}, /HOST="no\.such\.host\.invalid": not an address or a name this machine resolves/],
    ['an idle timeout of zero', [], { TCP_IDLE_TIMEOUT: '0' }, /TCP_IDLE_TIMEOUT="0": must be a number of seconds from 1 to 86400/],
  ];
  for (const [what, args, env, message] of bad) {
    it(`stops with exit 2 and names ${what}`, () => {
      const r = run(args, env);
      assert.equal(r.status, 2);
      assert.match(messages(r.stderr), message);
    });
  }

  it('with LOG_FORMAT=json (the default), every line it prints is JSON, a configuration error after the first log line too', () => {
    for (const [args, env] of [[['--host', '999.1.1.1'], {}], [['--port', 'x'], { LOG_FORMAT: 'json' }]] as const) {
      const r = run([...args, '--metrics-port', '0'], env);
      assert.equal(r.status, 2);
      const lines = (r.stdout + r.stderr).split('\n').filter(Boolean);
      assert.ok(lines.length > 0);
      for (const l of lines) assert.doesNotThrow(() => JSON.parse(l), `not JSON: ${l}`);
      assert.equal(JSON.parse(r.stderr).level, 'error');
    }
  });

  it('with LOG_FORMAT=text, a configuration error is one plain line', () => {
    const r = run(['--port', 'x', '--log-format', 'text']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^eclipso: --port="x": must be a whole number from 0 to 65535\n$/);
  });

  it('fails at once when the port is taken, before loading any zone', async () => {
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
    try {
      const port = (taken.address() as { port: number }).port;
      const r = run(['--zone-dir', ZONES, '--port', String(port), '--host', '127.0.0.1', '--metrics-port', '0', '--workers', '1']);
      assert.equal(r.status, 1);
      assert.match(r.stdout, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
      assert.doesNotMatch(r.stdout, /zone loaded/);
    } finally {
      taken.close();
    }
  });

  it('stops with a clear message when the zone folder does not exist', () => {
    const r = run(['--zone-dir', '/nonexistent/zones', '--port', '0', '--host', '127.0.0.1', '--metrics-port', '0']);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /cannot load zones from folder \/nonexistent\/zones: ENOENT/);
    assert.match(r.stdout, /set ZONE_DIR \(or --zone-dir\) to a folder of <domain>\.toml files/);
  });

  it('says so and suggests PORT=5353 when port 53 needs privilege it does not have', (t) => {
    const unprivilegedFrom = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
    if (unprivilegedFrom <= 53) return t.skip('this kernel lets anyone bind port 53');
    // As root (CI), run without CAP_NET_BIND_SERVICE; otherwise we are unprivileged already.
    const unprivileged = process.getuid?.() === 0 ? ['setpriv', '--bounding-set', '-net_bind_service'] : [];
    const [cmd, ...pre] = [...unprivileged, process.execPath];
    const r = spawnSync(cmd, [...pre, MAIN, '--zone-dir', ZONES, '--port', '53', '--host', '127.0.0.1', '--metrics-port', '0', '--workers', '1'], { encoding: 'utf8', timeout: WAIT_MS });
    assert.equal(r.status, 1);
    assert.match(r.stdout, /no permission to bind port 53/);
    assert.match(r.stdout, /run with PORT=5353/);
  });

  it('prints the seed banner and version in text mode, flags overriding variables', async () => {
    const dir = new ZoneDir();
    try {
      // PORT=1 would need privilege; the flag wins, so it starts on a free port and is stopped.
      const { spawn } = await import('node:child_process');
      const child = spawn(process.execPath, [MAIN, '--zone-dir', dir.path, '--port', '0', '--host', '127.0.0.1', '--log-format', 'text', '--metrics-port', '0'], { env: { ...process.env, PORT: '1' } });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no "listening" line in ${WAIT_MS / 1000} s:\n${out}`)), WAIT_MS);
        child.stdout.on('data', () => /listening/.test(out) && (clearTimeout(t), resolve()));
      });
      child.kill('SIGTERM');
      const code = await new Promise((r) => child.on('exit', r));
      assert.equal(code, 0);
      assert.match(out, /┌─┐┌─┐┬ {2}┬┌─┐┌─┐┌─┐\n├┤ │ {2}│ {2}│├─┘└─┐│ │\n└─┘└─┘┴─┘┴┴ {2}└─┘└─┘\nv\d+\.\d+\.\d+/);
      assert.match(out, /INFO listening host=127\.0\.0\.1 port=\d+/);
    } finally {
      dir.cleanup();
    }
  });
});
