import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { dig, startApiServer } from '../helpers/api.js';
import { ZoneDir, type ServerProcess } from '../helpers/server.js';

const run = promisify(execFile);
const TOKEN = 'lexicon-test-token';
// A zone under a real top-level domain: lexicon finds the zone of a name by the public suffix list.
const zone = `version = 1.0\n\n[domain]\ndomain = "example.net"\n\n[[records]]\ndomain = "@"\ntype = "NS"\naddress = "ns1.example.net."\n\n[[records]]\ndomain = "ns1"\ntype = "A"\naddress = "192.0.2.53"\n`;

/**
 * dns-lexicon (Debian package `lexicon`), an independent client of PowerDNS's API (ACME clients
 * use it for DNS-01 challenges): it GETs the zone's RRsets and PATCHes them back under
 * /api/v1/servers/localhost/zones/, with X-API-Key.
 */
async function lexicon(api: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('lexicon', ['powerdns', '--auth-token', TOKEN, '--pdns-server', `http://127.0.0.1:${api}`, ...args], { encoding: 'utf8' });
  return stdout;
}

describe('an independent PowerDNS API client (dns-lexicon) changes a zone; dig shows it', () => {
  const dir = new ZoneDir();
  let server: ServerProcess;
  let api = 0;

  before(async () => {
    dir.write('example.net.toml', zone);
    const started = await startApiServer(dir.path, { env: { API_TOKEN: TOKEN } });
    server = started.server;
    api = started.api;
  });
  after(async () => {
    await server?.stop();
    dir.cleanup();
  });

  it('lexicon create adds an ACME challenge TXT record, lexicon list reads it back, lexicon delete removes it', async () => {
    await lexicon(api, 'create', 'example.net', 'TXT', '--name', '_acme-challenge', '--content', 'challenge-token-1', '--ttl', '120');
    assert.deepEqual(dig(server.port, '_acme-challenge.example.net', 'TXT'), ['_acme-challenge.example.net. 120 IN TXT "challenge-token-1"']);
    assert.match(await lexicon(api, 'list', 'example.net', 'TXT'), /_acme-challenge\.example\.net\s+challenge-token-1\s+120/);
    await lexicon(api, 'create', 'example.net', 'TXT', '--name', '_acme-challenge', '--content', 'challenge-token-2', '--ttl', '120');
    assert.deepEqual(dig(server.port, '_acme-challenge.example.net', 'TXT').sort(), [
      '_acme-challenge.example.net. 120 IN TXT "challenge-token-1"', '_acme-challenge.example.net. 120 IN TXT "challenge-token-2"']);
    await lexicon(api, 'delete', 'example.net', 'TXT', '--name', '_acme-challenge', '--content', 'challenge-token-1');
    assert.deepEqual(dig(server.port, '_acme-challenge.example.net', 'TXT'), ['_acme-challenge.example.net. 120 IN TXT "challenge-token-2"']);
    assert.equal(server.logs.filter((l) => l.msg === 'api write').length, 3);
  });
});
