import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { lines, query } from '../helpers/dns.js';
import { eventually, spawnServer, startServer, ZoneDir, START_MS, type ServerProcess } from '../helpers/server.js';

const zoneText = (domain: string, address: string): string =>
  `[domain]\ndomain = "${domain}"\n[[records]]\ndomain = "www"\naddress = "${address}"\n`;

const answerOf = async (port: number, name: string): Promise<string[]> => lines((await query(port, name, 'A')).answers);

describe('live reload from the zone folder', () => {
  const dir = new ZoneDir();
  let server: ServerProcess;
  before(async () => {
    dir.write('one.test.toml', zoneText('one.test', '192.0.2.1'));
    server = await startServer(dir.path, { env: { ECLIPSO_LOG_IGNORE: '1' } });
  });
  after(async () => {
    await server.stop();
    dir.cleanup();
  });

  it('serves the folder at start, one log line per zone', async () => {
    assert.deepEqual(await answerOf(server.port, 'www.one.test'), ['www.one.test 3600 A 192.0.2.1']);
    const loaded = await server.waitFor((l) => l.msg === 'zone loaded' && l.zone === 'one.test.');
    assert.equal(loaded.records, 2);
  });

  it('picks up an added file', async () => {
    dir.write('two.test.toml', zoneText('two.test', '192.0.2.2'));
    await eventually(async () => assert.deepEqual(await answerOf(server.port, 'www.two.test'), ['www.two.test 3600 A 192.0.2.2']));
  });

  it('picks up a changed file', async () => {
    dir.writeInPlace('one.test.toml', zoneText('one.test', '192.0.2.11'));
    await eventually(async () => assert.deepEqual(await answerOf(server.port, 'www.one.test'), ['www.one.test 3600 A 192.0.2.11']));
  });

  it('picks up an editor\'s write-to-temp-then-rename', async () => {
    const tmp = dir.write('.one.test.toml.swp', zoneText('one.test', '192.0.2.12'));
    renameSync(tmp, join(dir.path, 'one.test.toml'));
    await eventually(async () => assert.deepEqual(await answerOf(server.port, 'www.one.test'), ['www.one.test 3600 A 192.0.2.12']));
  });

  it('keeps the last good version of a broken file and says which file and record', async () => {
    const rejected = server.next('zone rejected');
    dir.write('one.test.toml', '[domain]\ndomain = "one.test"\n[[records]]\ndomain = "www"\naddress = "192.0.2.999"\n');
    const line = await rejected;
    assert.match(String(line.file), /one\.test\.toml$/);
    assert.equal(line.kept, 'the previous version stays in service');
    const detail = await server.waitFor((l) => l.level === 'error' && /one\.test\.toml:5: record 1: address: "192\.0\.2\.999" is not an IPv4 address/.test(l.msg));
    assert.ok(detail);
    assert.deepEqual(await answerOf(server.port, 'www.one.test'), ['www.one.test 3600 A 192.0.2.12']);
  });

  it('rejects a second file for the same zone, and removing it leaves the zone served', async () => {
    const rejected = server.next('zone rejected');
    dir.write('ONE.test.toml', zoneText('one.test', '192.0.2.99'));
    await server.waitFor((l) => l.level === 'error' && /zone one\.test\. is already served from one\.test\.toml; remove one of the two files/.test(l.msg));
    await rejected;
    dir.remove('ONE.test.toml');
    await new Promise((r) => setTimeout(r, 400)); // past the debounce: the removal has been seen
    assert.deepEqual(await answerOf(server.port, 'www.one.test'), ['www.one.test 3600 A 192.0.2.12']);
  });

  it('stops serving a removed file\'s zone: REFUSED, as for any name we do not serve', async () => {
    dir.remove('two.test.toml');
    await eventually(async () => assert.equal((await query(server.port, 'www.two.test', 'A')).rcode, 'REFUSED'));
    assert.deepEqual(await answerOf(server.port, 'www.one.test'), ['www.one.test 3600 A 192.0.2.12']);
  });

  it('stops serving a zone switched to active = false', async () => {
    dir.write('one.test.toml', '[domain]\ndomain = "one.test"\nactive = false\n');
    await eventually(async () => assert.equal((await query(server.port, 'www.one.test', 'A')).rcode, 'REFUSED'));
  });

  it('follows a zone folder that was moved away and made anew', async () => {
    renameSync(dir.path, `${dir.path}.old`);
    mkdirSync(dir.path);
    dir.write('three.test.toml', zoneText('three.test', '192.0.2.3'));
    await eventually(async () => assert.deepEqual(await answerOf(server.port, 'www.three.test'), ['www.three.test 3600 A 192.0.2.3']));
    // Later changes in the new folder are seen too: it is the one watched now.
    dir.write('three.test.toml', zoneText('three.test', '192.0.2.33'));
    await eventually(async () => assert.deepEqual(await answerOf(server.port, 'www.three.test'), ['www.three.test 3600 A 192.0.2.33']));
    rmSync(`${dir.path}.old`, { recursive: true, force: true });
  });
});

describe('a zone folder as Kubernetes mounts a ConfigMap: each zone file a symlink through ..data', () => {
  const dir = new ZoneDir();
  let server: ServerProcess;
  /** A version folder of the ConfigMap's files, as the kubelet writes one for each update. */
  const version = (name: string, address: string): void => {
    mkdirSync(join(dir.path, name));
    writeFileSync(join(dir.path, name, 'cm.test.toml'), zoneText('cm.test', address));
  };
  before(async () => {
    version('..v1', '192.0.2.1');
    symlinkSync('..v1', join(dir.path, '..data'));
    symlinkSync('..data/cm.test.toml', join(dir.path, 'cm.test.toml'));
    server = await startServer(dir.path, { env: { ECLIPSO_LOG_IGNORE: '1', ECLIPSO_LOG_DEBUG: '1' } });
  });
  after(async () => {
    await server.stop();
    dir.cleanup();
  });

  it('serves the new version once ..data is switched to it, though no event names the zone file', async () => {
    assert.deepEqual(await answerOf(server.port, 'www.cm.test'), ['www.cm.test 3600 A 192.0.2.1']);
    const rescanned = server.next('zone folder rescanned');
    // The kubelet's update: a new version folder, a new link, renamed over ..data (atomic).
    version('..v2', '192.0.2.2');
    symlinkSync('..v2', join(dir.path, '..data_tmp'));
    renameSync(join(dir.path, '..data_tmp'), join(dir.path, '..data'));
    const line = await rescanned;
    assert.equal(line.linked, 1, 'the one zone file is a symlink');
    await eventually(async () => assert.deepEqual(await answerOf(server.port, 'www.cm.test'), ['www.cm.test 3600 A 192.0.2.2']));
  });
});

describe('a temporary file renamed over a zone file, in a folder of regular files', () => {
  const dir = new ZoneDir();
  let server: ServerProcess;
  before(async () => {
    for (const z of ['a', 'b', 'c']) dir.write(`${z}.test.toml`, zoneText(`${z}.test`, '192.0.2.1'));
    server = await startServer(dir.path, { env: { ECLIPSO_LOG_IGNORE: '1', ECLIPSO_LOG_DEBUG: '1' } });
  });
  after(async () => {
    await server.stop();
    dir.cleanup();
  });

  // The rename's two events (the temporary name, then the zone file's) come together: a rescan
  // for the first would be queued before the zone's reload, and would have said so by then.
  it('reloads that zone alone: the other files are not read again', async () => {
    const from = server.logs.length;
    const loaded = server.next('zone loaded');
    dir.write('b.test.toml', zoneText('b.test', '192.0.2.2'));
    assert.equal((await loaded).zone, 'b.test.');
    assert.deepEqual(await answerOf(server.port, 'www.b.test'), ['www.b.test 3600 A 192.0.2.2']);
    assert.deepEqual(server.logs.slice(from).filter((l) => l.msg === 'zone folder rescanned'), []);
  });
});

describe('a file replaced while the first load runs', () => {
  const dir = new ZoneDir();
  let server: ServerProcess | undefined;
  after(async () => {
    await server?.stop();
    dir.cleanup();
  });

  it('is read again once the load is done: the folder is watched from before the first file is read', async () => {
    // a.test.toml is read first (name order); the 3,000 files after it take the load well past
    // the moment it is replaced, which the watch then reports (it used to start after the load).
    dir.write('a.test.toml', zoneText('a.test', '192.0.2.1'));
    for (let i = 0; i < 3000; i++) dir.write(`z${i}.test.toml`, zoneText(`z${i}.test`, '192.0.2.9'));
    server = spawnServer(dir.path, { env: { ECLIPSO_LOG_IGNORE: '1' } });
    await server.waitFor((l) => l.msg === 'zone loaded' && l.zone === 'a.test.', START_MS, 'a.test. to be loaded');
    dir.write('a.test.toml', zoneText('a.test', '192.0.2.2'));
    const listening = await server.waitFor((l) => l.msg === 'listening', START_MS, 'the server to listen ("listening")');
    const port = Number(listening.port);
    await eventually(async () => assert.deepEqual(await answerOf(port, 'www.a.test'), ['www.a.test 3600 A 192.0.2.2']));
  });
});
