/**
 * Whether WORKERS > 1 can run as DNS threads (src/serving/threads.ts) here: their sockets share
 * the port with SO_REUSEPORT, which needs Node.js 22.12 or later on a kernel that has it.
 */
import { createSocket, type SocketOptions } from 'node:dgram';
import { createServer, isIPv6, type AddressInfo, type ListenOptions } from 'node:net';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { checkUdpFree } from '../server/share.js';

/** The first Node.js with `reusePort` for dgram and net sockets. */
const REUSE_PORT_NODE = [22, 12] as const;

/**
 * Whether WORKERS > 1 can run as DNS threads here: SO_REUSEPORT works. If not, says so and what to
 * do; the caller serves with one thread (DNS threads that could not share the port would not start).
 */
export async function dnsThreadsWork(config: Config, log: Logger, host: string): Promise<boolean> {
  if (await reusePortWorks(host)) return true;
  const [major, minor] = process.versions.node.split('.').map(Number);
  const oldNode = major < REUSE_PORT_NODE[0] || (major === REUSE_PORT_NODE[0] && minor < REUSE_PORT_NODE[1]);
  log.warn(oldNode
    ? `WORKERS=${config.workers} needs Node.js 22.12 or later; serving with one thread`
    : `WORKERS=${config.workers} needs SO_REUSEPORT, which this system refused; serving with one thread`, {
    nodejs: process.versions.node,
    todo: oldNode ? "run the image's Node.js 24 or set WORKERS=1" : 'run on a Linux kernel with SO_REUSEPORT (3.9 or later) or set WORKERS=1',
  });
  return false;
}

/**
 * Ports tried at most: the probe's port is one the kernel picked free for TCP, and UDP may hold it
 * already; then another is tried.
 */
const PROBE_PORTS = 8;

/**
 * Whether two sockets can bind one port with SO_REUSEPORT, UDP and TCP: Node.js 22.12+ on a
 * kernel that has it. Older Node.js ignores the option, so the second bind fails.
 */
async function reusePortWorks(host: string): Promise<boolean> {
  for (let tries = 0; tries < PROBE_PORTS; tries++) {
    const works = await probe(host);
    if (works !== 'port taken') return works;
  }
  return false;
}

/**
 * One probe on a port the kernel picks for TCP and UDP is found free on (as DnsServer.listen picks
 * one: checkUdpFree): whether both pairs of sockets bound it, or UDP held the port.
 */
async function probe(host: string): Promise<boolean | 'port taken'> {
  const type = isIPv6(host) ? 'udp6' : 'udp4';
  const udp = [0, 1].map(() => createSocket({ type, reusePort: true } as SocketOptions));
  const tcp = [0, 1].map(() => createServer());
  const bindUdp = (i: number, port: number): Promise<void> => new Promise((resolve, reject) => {
    udp[i].once('error', reject);
    udp[i].bind({ address: host, port, exclusive: true }, () => resolve());
  });
  const listenTcp = (i: number, port: number): Promise<number> => new Promise((resolve, reject) => {
    tcp[i].once('error', reject);
    tcp[i].listen({ host, port, exclusive: true, reusePort: true } as ListenOptions, () => resolve((tcp[i].address() as AddressInfo).port));
  });
  try {
    const port = await listenTcp(0, 0);
    try {
      await checkUdpFree(host, port);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') return 'port taken';
      throw e;
    }
    await bindUdp(0, port);
    await bindUdp(1, port);
    await listenTcp(1, port);
    return true;
  } catch {
    return false;
  } finally {
    for (const s of udp) s.close(() => {});
    for (const s of tcp) if (s.listening) s.close();
  }
}
