import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';

/**
 * How a listener binds the DNS port: `none` alone; `reusePort` with a socket of its own and
 * SO_REUSEPORT, beside the sockets of the other DNS threads on the same port, the kernel spreading
 * datagrams and connections over them (Node.js 22.12+; src/serving/threads.ts).
 */
export type ShareMode = 'none' | 'reusePort';

/**
 * Binds a UDP socket alone (no SO_REUSEPORT) on host:port and lets go at once: throws the bind
 * error (EACCES, EADDRINUSE) when the port is not free. A port for sockets with SO_REUSEPORT is
 * found so: the kernel's pick for TCP on port 0, then this check. Linux may give a UDP socket with
 * SO_REUSEPORT bound to port 0 a port another such socket of the same user holds, in this process
 * or another, and the two then split each other's datagrams (Linux's udp_lib_lport_inuse); a TCP
 * listener it never gives one that is held.
 */
export async function checkUdpFree(host: string, port: number): Promise<void> {
  const udp = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
  try {
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind({ address: host, port, exclusive: true }, () => resolve());
    });
  } finally {
    await new Promise<void>((resolve) => { try { udp.close(() => resolve()); } catch { resolve(); } });
  }
}
