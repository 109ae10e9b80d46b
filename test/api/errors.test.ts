import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OPENAPI } from '../../src/api/openapi.js';
import { ApiClient, startApiServer, TOKENS, tokensFile } from '../helpers/api.js';
import { ZoneDir, type ServerProcess } from '../helpers/server.js';

const MAIN = new URL('../../../dist/main.js', import.meta.url).pathname;
const { admin, reader, shop } = { admin: TOKENS.admin.token, reader: TOKENS.reader.token, shop: TOKENS.shop.token };
const MAX_BODY = 4096;

const zone = (domain: string, address: string): string =>
  `version = 1.0\n\n[domain]\ndomain = "${domain}"\n\n[[records]]\ndomain = "@"\ntype = "NS"\naddress = "ns1.${domain}."\n\n[[records]]\ndomain = "ns1"\ntype = "A"\naddress = "${address}"\n`;

describe('HTTP zone API: every error is JSON that says what to do, and matches the OpenAPI document', () => {
  const dir = new ZoneDir();
  let server: ServerProcess;
  let api: ApiClient;
  let port = 0;

  before(async () => {
    dir.write('shop.test.toml', zone('shop.test', '192.0.2.1'));
    dir.write('other.test.toml', zone('other.test', '192.0.2.2'));
    const tokens = join(dir.path, '.tokens');
    writeFileSync(tokens, tokensFile());
    const started = await startApiServer(dir.path, { env: { API_TOKENS_FILE: tokens, API_MAX_BODY: String(MAX_BODY) } });
    server = started.server;
    port = started.api;
    api = new ApiClient(`http://127.0.0.1:${port}/api/v1`);
  });
  after(async () => {
    await server?.stop();
    dir.cleanup();
  });

  it('serves the OpenAPI document kept in the repository', async () => {
    const r = await api.call('GET', '/openapi.json');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, JSON.parse(JSON.stringify(OPENAPI)));
  });

  it('401 without a token or with an unknown one; X-API-Key is accepted as PowerDNS sends it', async () => {
    const none = await api.call('GET', '/zones');
    assert.equal(none.status, 401);
    assert.match(none.body.error, /Authorization: Bearer/);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="eclipso"');
    assert.equal((await api.call('GET', '/zones', { token: 'admin-secret-token-X' })).status, 401);
    assert.equal((await api.call('GET', '/zones', { headers: { 'x-api-key': admin } })).status, 200);
  });

  it('scopes: read may read everything and write nothing; a zone token reads and writes its zone only (403 otherwise)', async () => {
    assert.equal((await api.call('GET', '/zones/other.test', { token: reader })).status, 200);
    const write = await api.call('PUT', '/zones/shop.test', { token: reader, toml: zone('shop.test', '192.0.2.3') });
    assert.equal(write.status, 403);
    assert.match(write.body.error, /may only read/);
    assert.equal((await api.call('GET', '/zones/other.test', { token: shop })).status, 403);
    assert.equal((await api.call('PUT', '/zones/other.test', { token: shop, toml: zone('other.test', '192.0.2.3') })).status, 403);
    assert.equal((await api.call('DELETE', '/zones/other.test', { token: shop })).status, 403);
    const list = await api.call('GET', '/zones', { token: shop });
    assert.deepEqual(list.body.zones.map((z: { name: string }) => z.name), ['shop.test']);
    const own = await api.call('PUT', '/zones/shop.test', { token: shop, toml: zone('shop.test', '192.0.2.4') });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.equal(readFileSync(join(dir.path, 'shop.test.toml'), 'utf8'), zone('shop.test', '192.0.2.4'), 'a TOML body is written as sent');
  });

  it('400 for a body that is not JSON or TOML, a PATCH of the wrong shape, a name that is no zone name', async () => {
    const json = await api.call('PUT', '/zones/shop.test', { token: admin, body: '{"domain": ', headers: { 'content-type': 'application/json' } });
    assert.equal(json.status, 400);
    assert.match(json.body.error, /not JSON/);
    const toml = await api.call('PUT', '/zones/shop.test', { token: admin, toml: '[domain\n' });
    assert.equal(toml.status, 400);
    assert.match(toml.body.error, /not TOML: line 1/);
    const shape = await api.call('PATCH', '/zones/shop.test', { token: admin, json: { rrsets: [{ name: 'www.shop.test.', type: 'A', changetype: 'UPSERT' }] } });
    assert.equal(shape.status, 400);
    assert.match(shape.body.error, /rrsets\[0\]\.changetype must be one of REPLACE, DELETE, EXTEND, PRUNE/);
    assert.equal((await api.call('GET', '/zones/a..b', { token: admin })).status, 400);
  });

  it('404 for an unknown zone, endpoint or change', async () => {
    assert.equal((await api.call('GET', '/zones/nowhere.test', { token: admin })).status, 404);
    const patch = await api.call('PATCH', '/zones/nowhere.test', { token: admin, json: { rrsets: [] } });
    assert.equal(patch.status, 404);
    assert.match(patch.body.error, /create it with PUT/);
    assert.equal((await api.call('DELETE', '/zones/nowhere.test', { token: admin })).status, 404);
    assert.equal((await api.call('GET', '/changes/nothing', { token: admin })).status, 404);
    const res = await fetch(`http://127.0.0.1:${port}/api/v2/zones`, { headers: { authorization: `Bearer ${admin}` } });
    assert.equal(res.status, 404);
    assert.match(((await res.json()) as { error: string }).error, /openapi\.json/);
  });

  it('405 with Allow for a method an endpoint does not take', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/zones/shop.test`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, PUT, PATCH, DELETE');
    assert.match(((await res.json()) as { error: string }).error, /use GET, PUT, PATCH, DELETE/);
  });

  it('412 for a stale If-Match, and If-Match on a zone that does not exist', async () => {
    const stale = await api.call('PATCH', '/zones/shop.test', { token: admin, headers: { 'if-match': '"00000000000000000000000000000000"' }, json: { rrsets: [] } });
    assert.equal(stale.status, 412);
    assert.match(stale.body.error, /GET it again/);
    assert.equal((await api.call('PUT', '/zones/new.test', { token: admin, headers: { 'if-match': '*' }, toml: zone('new.test', '192.0.2.9') })).status, 412);
  });

  it('413 above API_MAX_BODY, 415 for a body that is neither JSON nor TOML', async () => {
    const big = await api.call('PUT', '/zones/shop.test', { token: admin, toml: zone('shop.test', '192.0.2.1') + `# ${'x'.repeat(MAX_BODY)}\n` });
    assert.equal(big.status, 413);
    assert.match(big.body.error, /API_MAX_BODY/);
    const text = await api.call('PUT', '/zones/shop.test', { token: admin, body: 'x', headers: { 'content-type': 'text/plain' } });
    assert.equal(text.status, 415);
    assert.match(text.body.error, /application\/json or application\/toml/);
    assert.equal((await api.call('PATCH', '/zones/shop.test', { token: admin, toml: 'x' })).status, 415);
  });

  it('422 with the problems `eclipso check` reports for the same file, and nothing written', async () => {
    const before = readFileSync(join(dir.path, 'shop.test.toml'), 'utf8');
    const bad = zone('shop.test', '192.0.2.300').replace('type = "NS"', 'type = "NS"\npreference = 5');
    const r = await api.call('PUT', '/zones/shop.test', { token: admin, toml: bad });
    assert.equal(r.status, 422);
    assert.match(r.body.error, /nothing was written/);
    const scratch = mkdtempSync(join(tmpdir(), 'eclipso-check-'));
    try {
      writeFileSync(join(scratch, 'shop.test.toml'), bad);
      let out = '';
      try {
        execFileSync(process.execPath, [MAIN, 'check', '--format', 'json', scratch], { encoding: 'utf8' });
      } catch (e) {
        out = (e as { stdout: string }).stdout;
      }
      const check = JSON.parse(out) as { files: { problems: { line?: number; record?: number; field?: string; message: string }[] }[] };
      const strip = (ps: { line?: number; record?: number; field?: string; message: string }[]) => ps.map(({ line, record, field, message }) => ({ line, record, field, message }));
      assert.deepEqual(strip(r.body.problems), strip(check.files[0].problems));
      assert.equal(r.body.problems.length, 2);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    const content = await api.call('PATCH', '/zones/shop.test', { token: admin, json: { rrsets: [{ name: 'x.shop.test.', type: 'MX', changetype: 'REPLACE', records: [{ content: 'mail.shop.test.' }] }] } });
    assert.equal(content.status, 422);
    assert.match(content.body.error, /rrsets\[0\]\.records\[0\]\.content: MX content "mail.shop.test." must be 2 fields, e.g. "10 mail.example.com."/);
    const outside = await api.call('PATCH', '/zones/shop.test', { token: admin, json: { rrsets: [{ name: 'www.other.test.', type: 'A', changetype: 'DELETE' }] } });
    assert.equal(outside.status, 422);
    const renamed = await api.call('PUT', '/zones/shop.test', { token: admin, toml: zone('other.test', '192.0.2.1') });
    assert.equal(renamed.status, 422, 'the zone in the body must be the zone of the path');
    assert.equal(readFileSync(join(dir.path, 'shop.test.toml'), 'utf8'), before);
  });

  it('a file broken by hand: GET as TOML shows it, as JSON and PATCH answer 422 saying to fix it or PUT the zone', async () => {
    dir.write('broken.test.toml', '[domain\n');
    const toml = await api.call('GET', '/zones/broken.test', { token: admin, headers: { accept: 'application/toml' } });
    assert.equal(toml.body, '[domain\n');
    const json = await api.call('GET', '/zones/broken.test', { token: admin });
    assert.equal(json.status, 422);
    assert.match(json.body.error, /is not TOML .*; fix the file, or PUT the whole zone/);
    const patch = await api.call('PATCH', '/zones/broken.test', { token: admin, json: { rrsets: [] } });
    assert.equal(patch.status, 422);
    const put = await api.call('PUT', '/zones/broken.test', { token: admin, toml: zone('broken.test', '192.0.2.8') });
    assert.equal(put.status, 200, JSON.stringify(put.body));
  });
});
