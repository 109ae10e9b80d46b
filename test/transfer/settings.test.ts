import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig } from '../../src/config.js';
import { transfersOn } from '../../src/transfer/access.js';
import { transferSettings } from '../../src/transfer/settings.js';

const SECRET = Buffer.alloc(32, 3).toString('base64');

/** The transfer settings from this environment and these flags, as the server reads them at start. */
function settings(env: NodeJS.ProcessEnv, argv: string[] = [], files: Record<string, string> = {}) {
  const r = parseConfig(argv, env);
  assert.equal(r.action, 'run');
  return transferSettings(r.config, (p) => {
    if (!(p in files)) throw new Error(`ENOENT: no such file or directory, open '${p}'`);
    return files[p];
  });
}

describe('transfer settings', () => {
  it('leave transfers off by default', () => {
    const s = settings({});
    assert.equal(transfersOn(s.access), false);
    assert.deepEqual(s.notify, []);
    assert.equal(s.notifyKey, null);
  });

  it('read XFR_ALLOW, XFR_NOTIFY and TSIG_KEY from the environment or flags, a flag winning', () => {
    const s = settings({ XFR_ALLOW: '10.0.0.0/8', XFR_NOTIFY: '192.0.2.7', TSIG_KEY: `xfr:hmac-sha256:${SECRET}` }, ['--xfr-allow', '127.0.0.1,::1']);
    assert.deepEqual(s.access.allow.map((b) => b.prefix), [32, 128]);
    assert.deepEqual(s.notify, [{ address: '192.0.2.7', port: 53, family: 4 }]);
    assert.equal(s.notifyKey?.name.join('.'), 'xfr');
  });

  it('read keys from TSIG_KEY_FILE, one a line, comments allowed', () => {
    const s = settings({ TSIG_KEY_FILE: '/etc/eclipso/tsig' }, [], { '/etc/eclipso/tsig': `# secondaries\nns2:hmac-sha256:${SECRET}\nns3:hmac-sha512:${SECRET}\n` });
    assert.deepEqual([...s.access.keys.values()].map((k) => k.name[0]), ['ns2', 'ns3']);
  });

  it('warn, without stopping, of XFR_NOTIFY with neither XFR_ALLOW nor TSIG_KEY (only zones with their own allow_transfer can be fetched)', () => {
    assert.deepEqual(settings({ XFR_NOTIFY: '192.0.2.7' }).warnings, [
      'XFR_NOTIFY is set but XFR_ALLOW and TSIG_KEY are not: the secondaries told of a change can fetch only the zones whose file sets allow_transfer; set XFR_ALLOW to their addresses, or TSIG_KEY',
    ]);
    assert.deepEqual(settings({ XFR_NOTIFY: '192.0.2.7', XFR_ALLOW: '192.0.2.7' }).warnings, []);
  });

  it('stop start-up naming the setting and the entry, never the secret', () => {
    const cases: [NodeJS.ProcessEnv, RegExp][] = [
      [{ XFR_ALLOW: '10.0.0.1/8' }, /^XFR_ALLOW \(--xfr-allow\): entry 1 \("10.0.0.1\/8"\) has bits set past \/8; write the network, 10.0.0.0\/8$/],
      [{ XFR_NOTIFY: 'ns2.example.net', XFR_ALLOW: '10.0.0.0/8' }, /^XFR_NOTIFY \(--xfr-notify\): entry 1 \("ns2.example.net"\) is not an address\[:port\]/],
      [{ TSIG_KEY: `xfr:hmac-md5:${SECRET}` }, /^TSIG_KEY \(--tsig-key\): key 1 \("xfr"\): algorithm "hmac-md5" is not one of/],
      [{ TSIG_KEY: `xfr:hmac-sha256:${SECRET}`, TSIG_KEY_FILE: '/k' }, /^TSIG_KEY and TSIG_KEY_FILE are both set; set one of them$/],
      [{ TSIG_KEY_FILE: '/missing' }, /^TSIG_KEY_FILE \(--tsig-key-file\) \/missing: ENOENT: no such file/],
      [{ TSIG_KEY_FILE: '/empty' }, /^TSIG_KEY_FILE \(--tsig-key-file\) \/empty: no key in the file/],
    ];
    for (const [env, message] of cases) {
      assert.throws(() => settings(env, [], { '/empty': '# nothing yet\n' }), (e: Error) => {
        assert.ok(e instanceof ConfigError, `${e.name}: ${e.message}`);
        assert.match(e.message, message);
        assert.ok(!e.message.includes(SECRET));
        return true;
      });
    }
  });
});
