import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, defaults } from '../../src/config.js';
import { forwardSettings } from '../../src/forward/settings.js';
import { addressAllowed } from '../../src/transfer/access.js';
import { spawnServer, startServer } from '../helpers/server.js';

/** The seed's example zones. */
const ZONES = fileURLToPath(new URL('../../../zones', import.meta.url));

describe('forward/settings: FORWARD_*', () => {
  const settings = (over: Partial<ReturnType<typeof defaults>>): ReturnType<typeof forwardSettings> => forwardSettings({ ...defaults(), ...over });

  it('is off without FORWARD_TO', () => {
    assert.equal(settings({}), null);
  });

  it('reads upstreams (port 53 by default), zones, and lets loopback and private ranges in by default, no one else', () => {
    const s = settings({ forwardTo: '192.0.2.1, [2001:db8::1]:5353', forwardZones: 'corp.example., lan' })!;
    assert.deepEqual(s.upstreams.map((u) => [u.address, u.port]), [['192.0.2.1', 53], ['2001:db8::1', 5353]]);
    assert.deepEqual(s.zones, [['corp', 'example'], ['lan']]);
    for (const ok of ['127.0.0.1', '10.1.2.3', '172.31.0.1', '192.168.1.1', '::1', 'fd00::1', '::ffff:10.0.0.1']) assert.equal(addressAllowed(s.allow, ok), true, ok);
    for (const no of ['192.0.2.1', '8.8.8.8', '172.32.0.1', '2001:db8::1']) assert.equal(addressAllowed(s.allow, no), false, no);
    assert.equal(s.policy, 'sequential');
    assert.equal(s.timeoutMs, 2000);
    assert.equal(s.maxConcurrent, 1000);
    assert.equal(s.cacheSize, 10000);
  });

  it('names the setting and the entry when a value is wrong', () => {
    assert.throws(() => settings({ forwardTo: '192.0.2.1, resolver.example' }), (e: Error) => e instanceof ConfigError && /^FORWARD_TO \(--forward-to\): entry 2 \("resolver.example"\)/.test(e.message));
    assert.throws(() => settings({ forwardTo: '192.0.2.1', forwardAllow: '10.0.0.1/8' }), (e: Error) => e instanceof ConfigError && /^FORWARD_ALLOW .*write the network, 10\.0\.0\.0\/8/.test(e.message));
    assert.throws(() => settings({ forwardTo: '192.0.2.1', forwardPolicy: 'round-robin' }), (e: Error) => e instanceof ConfigError && /FORWARD_POLICY.*"round-robin": write sequential or random/.test(e.message));
  });
});

describe('forward/settings at start', () => {
  it('a bad FORWARD_TO stops the server before it loads anything, with exit code 2 and the entry named', async () => {
    const server = spawnServer(ZONES, { env: { FORWARD_TO: '192.0.2.1:99999' } });
    assert.equal(await server.waitForExit(), 2);
    assert.match(server.stderr, /FORWARD_TO \(--forward-to\): entry 1 \(\\"192\.0\.2\.1:99999\\"\): the port must be a whole number from 1 to 65535/);
  });

  it('FORWARD_ALLOW=0.0.0.0/0 is allowed, with a warning that it makes an open resolver', async () => {
    const server = await startServer(ZONES, { env: { FORWARD_TO: '127.0.0.1:9', FORWARD_ALLOW: '0.0.0.0/0', SHUTDOWN_GRACE: '0' } });
    try {
      const warn = await server.waitFor((l) => l.level === 'warn' && /open resolver/.test(l.msg));
      assert.match(warn.msg, /list your clients' networks instead/);
    } finally {
      await server.stop();
    }
  });
});
