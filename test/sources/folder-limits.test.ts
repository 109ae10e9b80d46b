import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync, symlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { query } from '../helpers/dns.js';
import { eventually, startServer, ZoneDir, type LogLine, type ServerProcess } from '../helpers/server.js';

/**
 * Hostile or careless zone folders (issue 10, "Zone folder"): things that are not files, files
 * too large to hold, files read while being written in place, files with thousands of problems.
 * The server must keep serving what it has, keep reloading, and keep its log readable.
 */

const zoneText = (domain: string, address: string): string =>
  `[domain]\ndomain = "${domain}"\n[[records]]\ndomain = "www"\naddress = "${address}"\n`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The A record's address, or the RCODE when there is none. */
async function addressOf(port: number, name: string): Promise<string> {
  const reply = await query(port, name, 'A');
  const a = reply.answers?.find((r) => r.type === 'A');
  return a ? String((a as { data: unknown }).data) : String(reply.rcode);
}

/** Kills a server left running by a failed test (a hung one ignores SIGTERM). */
function killIfRunning(server: ServerProcess | undefined): void {
  if (server && server.exitCode === null) server.child.kill('SIGKILL');
}

const aboutFile = (name: string) => (l: LogLine): boolean => String(l.file ?? '').endsWith(`/${name}`);

describe('a FIFO named *.toml in the zone folder', () => {
  const dir = new ZoneDir();
  let server: ServerProcess;
  before(async () => {
    dir.write('one.test.toml', zoneText('one.test', '192.0.2.1'));
    execFileSync('mkfifo', [join(dir.path, 'x.toml')]);
    server = await startServer(dir.path, { env: { ECLIPSO_LOG_IGNORE: '1', SHUTDOWN_GRACE: '0' } });
  });
  after(() => {
    killIfRunning(server);
    dir.cleanup();
  });

  it('is refused with a line saying what it is and what to do; the other zones load and answer', async () => {
    const refused = await server.waitFor(aboutFile('x.toml'), 30_000);
    assert.equal(refused.level, 'error');
    assert.match(refused.msg, /not a regular file/);
    assert.match(String(refused.type), /FIFO/);
    assert.match(String(refused.todo), /remove/);
    assert.equal(await addressOf(server.port, 'www.one.test'), '192.0.2.1');
  });

  it('does not stop later reloads: a FIFO added live is refused and the next zone file still loads', async () => {
    // The FIFO is read first (0.1 s after its creation, the zone file 2 s after its write in place).
    execFileSync('mkfifo', [join(dir.path, 'w.toml')]);
    dir.write('two.test.toml', zoneText('two.test', '192.0.2.2'));
    await eventually(async () => assert.equal(await addressOf(server.port, 'www.two.test'), '192.0.2.2'));
    assert.match((await server.waitFor(aboutFile('w.toml'))).msg, /not a regular file/);
  });

  it('exits 0 on SIGTERM', async () => {
    server.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<string>((r) => (timer = setTimeout(() => r('still running 30 s after SIGTERM'), 30_000)));
    const code = await Promise.race([server.exited, hung]);
    clearTimeout(timer);
    assert.equal(code, 0);
  });
});

describe('ZONE_FILE_MAX_BYTES and files that are not files', () => {
  const MAX = 16384;
  const dir = new ZoneDir();
  let server: ServerProcess;
  // A valid zone about three times the limit: without the limit it loads.
  const bigRecords = Array.from({ length: 1000 }, (_, i) => `[[records]]\ndomain = "r${i}"\naddress = "192.0.2.1"\n`).join('');
  before(async () => {
    dir.write('one.test.toml', zoneText('one.test', '192.0.2.1'));
    dir.write('big.test.toml', `[domain]\ndomain = "big.test"\n${bigRecords}`);
    symlinkSync('/dev/zero', join(dir.path, 'y.toml'));
    // A regular file whose size stat does not tell (0): only a bound while reading stops it.
    symlinkSync('/proc/self/smaps', join(dir.path, 'proc.toml'));
    server = await startServer(dir.path, { env: { ECLIPSO_LOG_IGNORE: '1', ZONE_FILE_MAX_BYTES: String(MAX) }, }).catch((e: Error) => {
      throw new Error(`server did not start with y.toml -> /dev/zero in its folder: ${e.message}`);
    });
  });
  after(async () => {
    killIfRunning(server);
    dir.cleanup();
  });

  it('refuses a symlink to /dev/zero without reading it, and stays small and serving', async () => {
    const refused = await server.waitFor(aboutFile('y.toml'), 30_000);
    const peakKiB = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))?.[1]);
    assert.ok(peakKiB < 256 * 1024, `peak RSS ${peakKiB} KiB`);
    assert.match(refused.msg, /not a regular file/);
    assert.match(String(refused.type), /character device/);
    assert.equal(await addressOf(server.port, 'www.one.test'), '192.0.2.1');
  });

  it('refuses a regular file over the limit, naming its size and the setting, and does not serve it', async () => {
    const size = statSync(join(dir.path, 'big.test.toml')).size;
    const refused = await server.waitFor(aboutFile('big.test.toml'), 30_000);
    assert.equal(refused.level, 'error');
    assert.match(refused.msg, /too large/);
    assert.equal(refused.size, `${size} bytes`);
    assert.equal(refused.limit, `ZONE_FILE_MAX_BYTES=${MAX}`);
    assert.match(String(refused.todo), /ZONE_FILE_MAX_BYTES/);
    assert.equal(await addressOf(server.port, 'r1.big.test'), 'REFUSED');
  });

  it('stops reading a file that turns out larger than its size said', async () => {
    const refused = await server.waitFor(aboutFile('proc.toml'), 30_000);
    assert.match(refused.msg, /too large/);
    assert.equal(refused.size, `more than ${MAX} bytes`);
  });
});

describe('a zone file written in place, with a pause mid-file', () => {
  const RECORDS = 1000;
  const PAUSE_MS = 600;
  const OLD = '192.0.2.1';
  const NEW = '198.51.100.1';
  const dir = new ZoneDir();
  let server: ServerProcess;
  const header = '[domain]\ndomain = "inplace.test"\n';
  const records = (address: string): string[] =>
    Array.from({ length: RECORDS }, (_, i) => `[[records]]\ndomain = "r${i}"\naddress = "${address}"\n`);
  before(async () => {
    dir.write('inplace.test.toml', header + records(OLD).join(''));
    server = await startServer(dir.path, { env: { ECLIPSO_LOG_IGNORE: '1' } });
  });
  after(async () => {
    killIfRunning(server);
    dir.cleanup();
  });

  it('serves the old zone or the whole new one, never the half written before the pause', async () => {
    const path = join(dir.path, 'inplace.test.toml');
    const full = Number((await server.waitFor((l) => l.msg === 'zone loaded' && l.zone === 'inplace.test.')).records);
    const inode = statSync(path).ino;
    const fromLine = server.logs.length;

    // Poll a record from the second half, then one from the first, for the whole write.
    const samples: { last: string; first: string }[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const last = await addressOf(server.port, `r${RECORDS - 1}.inplace.test`);
        const first = await addressOf(server.port, 'r0.inplace.test');
        samples.push({ last, first });
        await sleep(20);
      }
    })();

    // The half ends at a record boundary, so it is a valid zone by itself.
    const fresh = records(NEW);
    const fd = openSync(path, 'w'); // truncates the same inode: a write in place, not a rename
    writeSync(fd, header + fresh.slice(0, RECORDS / 2).join(''));
    await sleep(PAUSE_MS);
    writeSync(fd, fresh.slice(RECORDS / 2).join(''));
    closeSync(fd);
    assert.equal(statSync(path).ino, inode);

    try {
      await eventually(async () => {
        assert.equal(await addressOf(server.port, `r${RECORDS - 1}.inplace.test`), NEW);
        assert.equal(await addressOf(server.port, 'r0.inplace.test'), NEW);
      });
    } finally {
      polling = false;
      await poller;
    }

    for (const s of samples) {
      assert.ok([OLD, NEW].includes(s.last), `record r${RECORDS - 1}: ${s.last} (half a zone served?)`);
      assert.ok([OLD, NEW].includes(s.first), `record r0: ${s.first}`);
      // Asked after r999: once the second half is new, the first half is too.
      if (s.last === NEW) assert.equal(s.first, NEW);
    }
    const lines = server.logs.slice(fromLine).filter(aboutFile('inplace.test.toml'));
    const loads = lines.filter((l) => l.msg === 'zone loaded');
    assert.ok(loads.length >= 1, 'the new version was loaded');
    for (const l of loads) assert.equal(l.records, full, `a load of ${l.records} records, not ${full}: half a file was read`);
    assert.deepEqual(lines.filter((l) => l.level === 'error').map((l) => l.msg), [], 'no rejection of the file while it was written');
  });
});

describe('a zone file with thousands of problems', () => {
  const BAD = 5000;
  /** The README's cap: problem lines logged per file. */
  const CAP = 100;
  const dir = new ZoneDir();
  let server: ServerProcess;
  before(async () => {
    dir.write('bad.test.toml', '[domain]\ndomain = "bad.test"\n'
      + Array.from({ length: BAD }, (_, i) => `[[records]]\ndomain = "r${i}"\naddress = "192.0.2.999"\n`).join(''));
    dir.write('one.test.toml', zoneText('one.test', '192.0.2.1'));
    server = await startServer(dir.path, { env: { ECLIPSO_LOG_IGNORE: '1' } });
  });
  after(async () => {
    await server.stop();
    dir.cleanup();
  });

  it(`logs the first ${CAP} and one line with the count of the rest`, async () => {
    // 'listening' comes after the start-up load: every line about bad.test.toml is in by now.
    const lines = server.logs.filter(aboutFile('bad.test.toml'));
    assert.ok(lines.length <= CAP + 2, `${lines.length} log lines for one file`);
    const rejected = lines.find((l) => l.msg === 'zone rejected');
    assert.equal(rejected?.problems, BAD);
    assert.equal(lines.filter((l) => /bad\.test\.toml:\d+: record \d+: address/.test(l.msg)).length, CAP);
    assert.ok(lines.some((l) => l.msg.includes(`${BAD - CAP} more problems in this file`)), 'a line counting the rest');
    assert.equal(await addressOf(server.port, 'www.one.test'), '192.0.2.1');
  });
});
