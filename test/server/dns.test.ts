import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { AnswerTable } from '../../src/answer/table.js';
import { parseConfig } from '../../src/config.js';
import { Logger } from '../../src/log.js';
import { DnsServer } from '../../src/server/dns.js';
import { QueryObserver } from '../../src/server/observer.js';
import * as packet from 'dns-packet';
import { ANSWER_MS, makeQuery, type Decoded } from '../helpers/dns.js';
import { NEEDS_DNS_THREADS } from '../helpers/server.js';

/** This process's soft limit of open files (Linux's /proc/self/limits). */
function openFilesLimit(): number {
  const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return line === null || line[1] === 'unlimited' ? Infinity : Number(line[1]);
}

/**
 * UDP sockets with SO_REUSEPORT on port 0 held by "another program" (this test): Linux may hand
 * such a socket a port another one of the same user holds. 3,000 of them hold about a tenth of the
 * ephemeral ports, so 40 listeners that took the port UDP was given would almost surely (99 in 100)
 * land on one; fewer under a low limit of open files (the listeners and the test's own take a few
 * hundred), and too few to tell below MIN_HELD.
 */
const HELD = Math.min(3000, openFilesLimit() - 300);
const MIN_HELD = 500;
const SERVERS = 40;
/**
 * A loopback address of this test's own: a peer of another test (Knot binds SO_REUSEPORT sockets
 * on a port found free for TCP) would join a held socket's group on 127.0.0.1 and lose queries to it.
 */
const HOST = '127.0.12.1';

function bindReusePort(): Promise<Socket> {
  const s = createSocket({ type: 'udp4', reusePort: true } as Parameters<typeof createSocket>[0]);
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind({ address: HOST, port: 0, exclusive: true }, () => resolve(s));
  });
}

/** The rcode of a query for `name` sent to HOST:port, or null when nothing answers in ANSWER_MS. */
function rcodeAt(port: number, name: string): Promise<string | null> {
  const s = createSocket('udp4');
  return new Promise<string | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), ANSWER_MS);
    s.on('message', (m) => (clearTimeout(timer), resolve((packet.decode(m) as Decoded).rcode ?? null)));
    s.send(makeQuery(name, 'A'), port, HOST);
  }).finally(() => s.close());
}

const SKIP = NEEDS_DNS_THREADS || (HELD < MIN_HELD && `${MIN_HELD + 300} open files needed, ${HELD + 300} allowed (ulimit -n)`);

describe('DNS listeners on port 0 shared by DNS threads (SO_REUSEPORT)', { skip: SKIP }, () => {
  const held: Socket[] = [];
  const servers: DnsServer[] = [];
  const cli = parseConfig(['--zone-dir', '.', '--log-ignore'], {});
  assert.equal(cli.action, 'run');
  const config = (cli as Extract<typeof cli, { action: 'run' }>).config;

  before(async () => {
    for (let i = 0; i < HELD; i++) held.push(await bindReusePort());
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    for (const s of held) s.close();
  });

  it("take a port no other program's sockets hold, so every query to it reaches them", async () => {
    const heldPorts = new Set(held.map((s) => s.address().port));
    const ports: number[] = [];
    for (let i = 0; i < SERVERS; i++) {
      const dns = new DnsServer(new AnswerTable(), new QueryObserver(null), config, new Logger('json', false, () => {}));
      servers.push(dns);
      ports.push(await dns.listen(HOST, 0, 'reusePort'));
    }
    assert.deepEqual(ports.filter((p) => heldPorts.has(p)), [], 'ports shared with the held sockets');
    // A query to a shared port could reach a held socket, which never answers: each is answered (REFUSED, no zones).
    for (const port of ports) assert.equal(await rcodeAt(port, 'www.example.test'), 'REFUSED', `the reply from port ${port}`);
  });
});
