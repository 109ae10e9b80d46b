/**
 * Compile threads (src/answer/compiler.ts): a zone too large for the memory the process may use
 * ends the thread compiling it; that zone alone is rejected, with what to do, and the zones handed
 * to the same thread beside it are compiled again and served. A shutdown in the middle of a load
 * ends the threads without a word about the files they were compiling.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { answerData } from '../helpers/answers.js';
import { spawnServer, startServer, ZoneDir, type ServerProcess } from '../helpers/server.js';

/** A heap limit (MiB) the small zones fit in many times over, and the large one does not. */
const HEAP_MB = 96;
/** Records of the large zone: some 12 MB of TOML, several times HEAP_MB once parsed. */
const LARGE_RECORDS = 150_000;
const SMALL_ZONES = 6;

function smallZone(i: number): string {
  return `[domain]\ndomain = "small${i}.test"\n\n[[records]]\ndomain = "www"\naddress = "192.0.2.${i + 1}"\n`;
}

/** A reverse zone of LARGE_RECORDS PTR records. */
function largeZone(): string {
  const parts = ['[domain]\ndomain = "10.in-addr.arpa"\n\n'];
  for (let i = 0; i < LARGE_RECORDS; i++) {
    parts.push(`[[records]]\ndomain = "${i & 255}.${(i >> 8) & 255}.${i >> 16}"\ntype = "PTR"\naddress = "host-${i}.example.net."\n\n`);
  }
  return parts.join('');
}

describe('compile threads: a zone too large for the memory', () => {
  const dir = new ZoneDir();
  let server: ServerProcess | undefined;
  after(async () => {
    await server?.stop();
    dir.cleanup();
  });

  it('is rejected alone, saying what to do; the zones compiled beside it are served', async () => {
    // Named first: handed over first, with small zones queued behind it on the same thread.
    dir.write('10.in-addr.arpa.toml', largeZone());
    for (let i = 0; i < SMALL_ZONES; i++) dir.write(`small${i}.test.toml`, smallZone(i));
    // V8's heap limit holds for every thread of the process, the compile threads' included.
    server = await startServer(dir.path, { env: { NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}` } });
    const rejected = server.logs.find((l) => l.msg.includes('10.in-addr.arpa.toml: too large to compile in the memory this process may use'));
    assert.ok(rejected, 'the large zone rejected as too large for the memory, not as a bug');
    assert.ok(!server.logs.some((l) => l.msg.includes('this is a bug in Eclipso')), 'no zone reported as a bug');
    for (let i = 0; i < SMALL_ZONES; i++) assert.equal(await answerData(server.port, `www.small${i}.test`), `192.0.2.${i + 1}`);
    assert.equal(await answerData(server.port, '1.0.0.10.in-addr.arpa', 'PTR'), 'REFUSED', 'the large zone is not served');
  });

  it('a shutdown while zones compile says nothing of them, and exits 0', async () => {
    // The same folder, and no heap limit: the large zone compiles for a second or more.
    const stopping = spawnServer(dir.path, { env: { SHUTDOWN_GRACE: '0' } });
    await stopping.waitFor((l) => l.msg === 'starting eclipso');
    stopping.child.kill('SIGTERM');
    assert.equal(await stopping.exited, 0);
    const said = stopping.logs.filter((l) => l.level === 'error').map((l) => l.msg);
    assert.deepEqual(said, [], 'no file reported when its compile was cut short by the shutdown');
  });
});
