import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { serverFlags } from '../../src/ops/cmdline.js';
import { withServer } from '../helpers/server.js';

const HEALTHCHECK = new URL('../../../dist/ops/healthcheck.js', import.meta.url).pathname;
const ZONE = '[domain]\ndomain = "health.test"\n[[records]]\naddress = "192.0.2.1"\n';

/** Runs the health check with these flags and environment; resolves with its exit code. */
function healthcheck(args: string[], env: Record<string, string>): Promise<number | null> {
  const child = spawn(process.execPath, [HEALTHCHECK, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe('container health check', () => {
  it('reads the server\'s own flags from its command line (the container\'s first process)', () => {
    const cmdline = ['node', '/app/dist/main.js', '--metrics-port', '9999', '--port', '5353', ''].join('\0');
    assert.deepEqual(serverFlags(cmdline), ['--metrics-port', '9999', '--port', '5353']);
    assert.deepEqual(serverFlags(['/sbin/tini', '--', 'node', 'dist/main.js', ''].join('\0')), []);
    assert.equal(serverFlags(['/bin/sh', '-c', 'sleep 1', ''].join('\0')), null);
  });

  describe('against a server started with --metrics-port and no environment', () => {
    const fx = withServer({ 'health.test.toml': ZONE }, { ops: true, env: { ECLIPSO_LOG_IGNORE: '1' } });

    it('probes the port the server was told, not the default 9153', async () => {
      assert.equal(await healthcheck(['--metrics-port', String(fx.ops), '--metrics-host', '127.0.0.1'], {}), 0);
    });

    it('with the ops listener off, asks the DNS port', async () => {
      assert.equal(await healthcheck(['--metrics-port', '0', '--port', String(fx.server.port), '--host', '127.0.0.1'], {}), 0);
    });

    it('fails when nothing listens where it was told to look', async () => {
      assert.equal(await healthcheck(['--metrics-port', '0', '--port', '1', '--host', '127.0.0.1'], {}), 1);
    });
  });
});
