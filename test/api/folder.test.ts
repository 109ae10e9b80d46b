import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiClient, dig, digStatus, startApiServer, TOKENS, tokensFile } from '../helpers/api.js';
import { NEEDS_DNS_THREADS, pollUntil, ZoneDir, type ServerProcess } from '../helpers/server.js';

const admin = TOKENS.admin.token;

/** The JSON of a small zone (the keys of its TOML file). */
function shopZone(address = '192.0.2.10'): object {
  return {
    version: 1,
    domain: { domain: 'shop.test', active: true },
    defaults: { ttl: 3600 },
    records: [
      { domain: '@', type: 'NS', address: 'ns1.shop.test.' },
      { domain: 'ns1', type: 'A', address: '192.0.2.53' },
      { domain: 'www', type: 'A', address },
    ],
  };
}

const etagOfFile = (text: string): string => `"${createHash('sha256').update(text).digest('hex').slice(0, 32)}"`;

describe('HTTP zone API on a zone folder: create, read, patch, delete, each seen by dig', () => {
  const dir = new ZoneDir();
  let server: ServerProcess;
  let api: ApiClient;
  let dns = 0;

  before(async () => {
    const tokens = join(dir.path, '.tokens');
    writeFileSync(tokens, tokensFile());
    const started = await startApiServer(dir.path, { env: { API_TOKENS_FILE: tokens } });
    server = started.server;
    dns = server.port;
    api = new ApiClient(`http://127.0.0.1:${started.api}/api/v1`);
  });
  after(async () => {
    await server?.stop();
    dir.cleanup();
  });

  it('PUT with If-None-Match: * creates the zone: 201, the file written as TOML, dig answers at once', async () => {
    const r = await api.call('PUT', '/zones/shop.test', { token: admin, json: shopZone(), headers: { 'if-none-match': '*' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.change.status, 'INSYNC');
    const text = readFileSync(join(dir.path, 'shop.test.toml'), 'utf8');
    assert.match(text, /\[domain\]\ndomain = "shop.test"/);
    assert.equal(r.headers.get('etag'), etagOfFile(text), 'the ETag is the digest of the file written');
    assert.deepEqual(dig(dns, 'www.shop.test', 'A'), ['www.shop.test. 3600 IN A 192.0.2.10']);
    const again = await api.call('PUT', '/zones/shop.test', { token: admin, json: shopZone(), headers: { 'if-none-match': '*' } });
    assert.equal(again.status, 412, 'a second create of the same zone');
  });

  it('GET gives the zone as JSON with the keys of its file, or as the file itself with Accept: application/toml', async () => {
    const json = await api.call('GET', '/zones/shop.test', { token: admin });
    assert.equal(json.status, 200);
    assert.deepEqual(json.body.records[2], { domain: 'www', type: 'A', address: '192.0.2.10' });
    const toml = await api.call('GET', '/zones/shop.test.', { token: admin, headers: { accept: 'application/toml' } });
    assert.equal(toml.body, readFileSync(join(dir.path, 'shop.test.toml'), 'utf8'));
    assert.equal(toml.headers.get('etag'), json.headers.get('etag'));
    const list = await api.call('GET', '/zones', { token: admin });
    assert.deepEqual(list.body.zones.map((z: { name: string; records: number; insync: boolean }) => [z.name, z.records, z.insync]), [['shop.test', 4, true]]);
  });

  it('PATCH applies REPLACE, EXTEND, PRUNE and DELETE all at once, in PowerDNS form; dig shows each', async () => {
    const before = await api.call('GET', '/zones/shop.test', { token: admin });
    const r = await api.call('PATCH', '/zones/shop.test', {
      token: admin,
      headers: { 'if-match': before.headers.get('etag')! },
      json: {
        rrsets: [
          { name: 'www.shop.test.', type: 'A', ttl: 300, changetype: 'REPLACE', records: [{ content: '192.0.2.20' }, { content: '192.0.2.21' }] },
          { name: 'shop.test.', type: 'MX', ttl: 600, changetype: 'EXTEND', records: [{ content: '10 mail.shop.test.' }] },
          { name: 'mail.shop.test.', type: 'A', ttl: 600, changetype: 'REPLACE', records: [{ content: '192.0.2.25' }] },
          { name: 'txt.shop.test.', type: 'TXT', ttl: 60, changetype: 'REPLACE', records: [{ content: '"v=spf1 -all"' }, { content: '"a b" "c"' }] },
          { name: 'svc._tcp.shop.test.', type: 'SRV', changetype: 'REPLACE', records: [{ content: '10 5 443 www.shop.test.' }] },
          { name: 'shop.test.', type: 'CAA', changetype: 'REPLACE', records: [{ content: '0 issue "letsencrypt.org"' }] },
        ],
      },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.notEqual(r.headers.get('etag'), before.headers.get('etag'));
    assert.deepEqual(dig(dns, 'www.shop.test', 'A').sort(), ['www.shop.test. 300 IN A 192.0.2.20', 'www.shop.test. 300 IN A 192.0.2.21']);
    assert.deepEqual(dig(dns, 'shop.test', 'MX'), ['shop.test. 600 IN MX 10 mail.shop.test.']);
    assert.deepEqual(dig(dns, 'txt.shop.test', 'TXT').sort(), ['txt.shop.test. 60 IN TXT "a b" "c"', 'txt.shop.test. 60 IN TXT "v=spf1 -all"']);
    assert.deepEqual(dig(dns, 'svc._tcp.shop.test', 'SRV'), ['svc._tcp.shop.test. 3600 IN SRV 10 5 443 www.shop.test.']);
    assert.deepEqual(dig(dns, 'shop.test', 'CAA'), ['shop.test. 3600 IN CAA 0 issue "letsencrypt.org"']);

    const pruned = await api.call('PATCH', '/zones/shop.test', {
      token: admin,
      json: { rrsets: [
        { name: 'www.shop.test.', type: 'A', changetype: 'PRUNE', records: [{ content: '192.0.2.20' }] },
        { name: 'txt.shop.test.', type: 'TXT', changetype: 'DELETE' },
      ] },
    });
    assert.equal(pruned.status, 200, JSON.stringify(pruned.body));
    assert.deepEqual(dig(dns, 'www.shop.test', 'A'), ['www.shop.test. 300 IN A 192.0.2.21']);
    assert.deepEqual(dig(dns, 'txt.shop.test', 'TXT'), []);
    assert.equal(digStatus(dns, 'txt.shop.test', 'TXT'), 'NXDOMAIN');
  });

  it('two writers with the same If-Match at once: exactly one wins, the other gets 412 with the new ETag', async () => {
    const etag = (await api.call('GET', '/zones/shop.test', { token: admin })).headers.get('etag')!;
    const write = (address: string) => api.call('PATCH', '/zones/shop.test', {
      token: admin, headers: { 'if-match': etag },
      json: { rrsets: [{ name: 'race.shop.test.', type: 'A', ttl: 60, changetype: 'REPLACE', records: [{ content: address }] }] },
    });
    const results = await Promise.all([write('192.0.2.101'), write('192.0.2.102')]);
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 412], JSON.stringify(results.map((r) => r.body)));
    const winner = results.find((r) => r.status === 200)!;
    const address = winner === results[0] ? '192.0.2.101' : '192.0.2.102';
    assert.deepEqual(dig(dns, 'race.shop.test', 'A'), [`race.shop.test. 60 IN A ${address}`]);
  });

  it('a change id turns INSYNC; a file edited directly has the ETag the API gives, and the API writes on top of it', async () => {
    const written = await api.call('PATCH', '/zones/shop.test', {
      token: admin, json: { rrsets: [{ name: 'id.shop.test.', type: 'A', changetype: 'REPLACE', records: [{ content: '192.0.2.40' }] }] },
    });
    const status = await api.call('GET', `/changes/${encodeURIComponent(written.body.change.id)}`, { token: TOKENS.reader.token });
    assert.equal(status.body.status, 'INSYNC');
    // Edited by hand (the atomic way): the same ETag the API computes, and the change id of the API write is superseded, still INSYNC.
    const edited = readFileSync(join(dir.path, 'shop.test.toml'), 'utf8').replace('192.0.2.40', '192.0.2.41');
    dir.write('shop.test.toml', edited);
    await pollUntil(() => dig(dns, 'id.shop.test', 'A').join() === 'id.shop.test. 3600 IN A 192.0.2.41', 'the hand edit to be served');
    const got = await api.call('GET', '/zones/shop.test', { token: admin });
    assert.equal(got.headers.get('etag'), etagOfFile(edited));
    assert.equal(got.body.records.find((r: { domain: string }) => r.domain === 'id').address, '192.0.2.41');
    const stale = await api.call('PATCH', '/zones/shop.test', {
      token: admin, headers: { 'if-match': written.headers.get('etag')! },
      json: { rrsets: [{ name: 'id.shop.test.', type: 'A', changetype: 'DELETE' }] },
    });
    assert.equal(stale.status, 412, 'the ETag from before the hand edit is stale');
    assert.equal(stale.body.etag, etagOfFile(edited));
  });

  it('every write is one audit log line with the token name, zone, change, ETags and serials, never the token', async () => {
    const lines = server.logs.filter((l) => l.msg === 'api write');
    assert.ok(lines.length >= 4);
    const patch = lines.find((l) => String(l.change).startsWith('PATCH PRUNE'))!;
    assert.equal(patch.token, 'admin');
    assert.equal(patch.zone, 'shop.test');
    assert.match(String(patch.oldEtag), /^"[0-9a-f]{32}"$/);
    assert.match(String(patch.newEtag), /^"[0-9a-f]{32}"$/);
    assert.equal(typeof patch.newSerial, 'number');
    const all = JSON.stringify(server.logs);
    for (const t of Object.values(TOKENS)) assert.ok(!all.includes(t.token), 'a token appears in the log');
  });

  it('a PATCH edits a hand-written file where the change lies: its comments, layout and other tables kept, the serial raised in its line', async () => {
    const handWritten = [
      '# shop.test, kept by hand and by the API', 'version = 1', '', '[domain]', 'domain = "shop.test"', 'serial = 7 # the API raises it', '',
      '[[records]] # name servers', 'domain = "@"', 'type = "NS"', 'address = "ns1.shop.test."', '',
      '[[records]]', 'domain = "ns1"', 'address = "192.0.2.53"', '',
      '# the web front', '[[records]]', 'domain = "www"', 'address = "192.0.2.10"', '',
    ].join('\n');
    dir.write('shop.test.toml', handWritten);
    await pollUntil(() => dig(dns, 'shop.test', 'SOA').join().split(' ')[6] === '7', 'the hand-written file (serial 7) to be served');
    const r = await api.call('PATCH', '/zones/shop.test', {
      token: admin, json: { rrsets: [{ name: 'ns1.shop.test.', type: 'A', ttl: 60, changetype: 'REPLACE', records: [{ content: '192.0.2.54' }] }] },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const expected = handWritten
      .replace('serial = 7 #', 'serial = 8 #')
      .replace('domain = "ns1"\naddress = "192.0.2.53"', 'domain = "ns1"\ntype = "A"\nttl = 60\naddress = "192.0.2.54"');
    assert.equal(readFileSync(join(dir.path, 'shop.test.toml'), 'utf8'), expected);
    assert.deepEqual(dig(dns, 'ns1.shop.test', 'A'), ['ns1.shop.test. 60 IN A 192.0.2.54']);
    assert.equal(dig(dns, 'shop.test', 'SOA').join().split(' ')[6], '8');
  });

  it('a zone in a file the API does not address (Mixed.Test.toml served, Broken.Test.toml rejected): calls answer 409 with what to rename, nothing is written', async () => {
    dir.write('Mixed.Test.toml', '[domain]\ndomain = "mixed.test"\n\n[[records]]\ndomain = "www"\naddress = "192.0.2.77"\n');
    await pollUntil(() => dig(dns, 'www.mixed.test', 'A').join() === 'www.mixed.test. 3600 IN A 192.0.2.77', 'Mixed.Test.toml to be served');
    const zone = { version: 1, domain: { domain: 'mixed.test' }, records: [{ domain: 'www', type: 'A', address: '192.0.2.78' }] };
    const patch = { rrsets: [{ name: 'www.mixed.test.', type: 'A', changetype: 'REPLACE', records: [{ content: '192.0.2.78' }] }] };
    for (const [method, body] of [['GET', undefined], ['PUT', zone], ['PATCH', patch], ['DELETE', undefined]] as const) {
      const r = await api.call(method, '/zones/mixed.test', { token: admin, ...(body && { json: body }) });
      assert.equal(r.status, 409, `${method}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.error, /is in Mixed\.Test\.toml, .*rename the file to mixed\.test\.toml/);
    }
    assert.deepEqual(readdirSync(dir.path).filter((f) => f.toLowerCase() === 'mixed.test.toml'), ['Mixed.Test.toml'], 'no second file for the zone');
    assert.deepEqual(dig(dns, 'www.mixed.test', 'A'), ['www.mixed.test. 3600 IN A 192.0.2.77']);
    // A file named for a zone it does not serve (rejected here) is found too: a PUT would make a second file.
    dir.write('Broken.Test.toml', '[domain]\ndomain = "broken.test"\n\n[[records]]\ndomain = "www"\naddress = "not an address"\n');
    await server.waitFor((l) => String(l.file ?? '').endsWith('Broken.Test.toml') && l.level === 'error', undefined, 'Broken.Test.toml to be rejected');
    const put = await api.call('PUT', '/zones/broken.test', { token: admin, json: { ...zone, domain: { domain: 'broken.test' } } });
    assert.equal(put.status, 409, JSON.stringify(put.body));
    assert.match(put.body.error, /is in Broken\.Test\.toml, .*rename the file to broken\.test\.toml/);
    assert.deepEqual(readdirSync(dir.path).filter((f) => f.toLowerCase() === 'broken.test.toml'), ['Broken.Test.toml']);
  });

  it('DELETE removes the file and the zone: dig is REFUSED at once', async () => {
    const r = await api.call('DELETE', '/zones/shop.test', { token: admin });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.change.status, 'INSYNC');
    assert.equal(existsSync(join(dir.path, 'shop.test.toml')), false);
    assert.equal(digStatus(dns, 'www.shop.test', 'A'), 'REFUSED');
    assert.equal((await api.call('GET', '/zones/shop.test', { token: admin })).status, 404);
  });
});

describe('HTTP zone API with DNS threads (WORKERS=2): a change is INSYNC once every thread answers with it', { skip: NEEDS_DNS_THREADS }, () => {
  const dir = new ZoneDir();
  let server: ServerProcess;
  let api: ApiClient;

  before(async () => {
    const started = await startApiServer(dir.path, { env: { API_TOKEN: admin, WORKERS: '2' } });
    server = started.server;
    await server.waitFor((l) => l.msg === 'workers ready', undefined, 'the DNS threads to be ready');
    api = new ApiClient(`http://127.0.0.1:${started.api}/api/v1`);
  });
  after(async () => {
    await server?.stop();
    dir.cleanup();
  });

  it('PUT, then PATCH: once GET /changes says INSYNC, dig gets the new answer from every thread', async () => {
    assert.equal((await api.call('PUT', '/zones/shop.test', { token: admin, json: shopZone() })).status, 201);
    for (const address of ['192.0.2.61', '192.0.2.62']) {
      const r = await api.call('PATCH', '/zones/shop.test', { token: admin, json: { rrsets: [{ name: 'www.shop.test.', type: 'A', ttl: 60, changetype: 'REPLACE', records: [{ content: address }] }] } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const id = encodeURIComponent(r.body.change.id);
      await pollUntil(async () => (await api.call('GET', `/changes/${id}`, { token: admin })).body.status === 'INSYNC', `change ${r.body.change.id} to be INSYNC`);
      // Queries from many source ports spread over both threads (SO_REUSEPORT): each answers the change.
      for (let i = 0; i < 8; i++) assert.deepEqual(dig(server.port, 'www.shop.test', 'A'), [`www.shop.test. 60 IN A ${address}`]);
    }
  });
});
