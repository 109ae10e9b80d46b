import { createServer } from 'node:net';
import { Responder } from '../answer/respond.js';
import type { AnswerTable } from '../answer/table.js';
import type { Config } from '../config.js';
import { Forwarder } from '../forward/forwarder.js';
import { forwardSettings } from '../forward/settings.js';
import { IdentityAnswers } from '../guard/identity.js';
import { guardSettings } from '../guard/settings.js';
import type { Logger } from '../log.js';
import { Guard } from './guard.js';
import { checkUdpFree, type ShareMode } from './share.js';
import type { QueryObserver } from './observer.js';
import { TcpServer } from './tcp.js';
import type { Transfers } from './transfer.js';
import { UdpServer } from './udp.js';

/** Tries at finding a port free for both UDP and TCP when asked for any port. */
const PORT_PAIR_ATTEMPTS = 10;

/**
 * Binds UDP and TCP on host:port and lets go at once: whether the server will be able to listen
 * there, asked before a long zone load rather than after it. Throws the bind error (EACCES,
 * EADDRINUSE). Port 0 always can.
 */
export async function checkBindable(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await checkUdpFree(host, port);
  const tcp = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen({ host, port, exclusive: true }, () => resolve());
    });
  } finally {
    await new Promise<void>((resolve) => (tcp.listening ? tcp.close(() => resolve()) : resolve()));
  }
}

/** The DNS listeners: UDP and TCP on one address and port. */
export class DnsServer {
  readonly udp: UdpServer;
  readonly tcp: TcpServer;
  /** Queries outside our zones, for the clients allowed (FORWARD_TO); null when it is off. */
  readonly forwarder: Forwarder | null;

  /**
   * `transfers`: zone transfers and signed queries, or null when transfers are off. `forwardGate`:
   * the process's counts of queries at the upstreams, shared by the DNS threads, and this one's slot.
   */
  constructor(
    table: AnswerTable, observer: QueryObserver, config: Config, private readonly log: Logger, transfers: Transfers | null = null,
    forwardGate?: { shared: SharedArrayBuffer; index: number },
  ) {
    const forward = forwardSettings(config);
    this.forwarder = forward === null ? null : new Forwarder(forward, config.ednsMaxPayload, log, forwardGate?.shared, forwardGate?.index);
    // Cookies, NSID, identity and rate limiting: checked at start by main.ts (ConfigError).
    const settings = guardSettings(config);
    const guard = Guard.needed(settings) ? new Guard(settings, observer.counters.rrl) : null;
    const identity = settings.identity || settings.versionBind ? new IdentityAnswers(settings.identity, settings.versionBind) : null;
    const responder = new Responder(table, config.ednsMaxPayload, this.forwarder !== null, identity, guard?.room ?? 0);
    const onError = (e: Error): void => log.error('DNS listener error; still serving', { error: e.message });
    this.udp = new UdpServer(responder, observer, onError, transfers, this.forwarder, guard);
    this.tcp = new TcpServer(responder, observer, {
      idleTimeoutMs: config.tcpIdleTimeoutMs,
      maxConnections: config.tcpMaxConnections,
      maxConnectionsPerClient: config.tcpMaxConnectionsPerClient,
    }, onError, transfers, this.forwarder, guard);
  }

  /** Turns zone transfers and signed queries on after the start (a zone with its own allow_transfer came). */
  useTransfers(transfers: Transfers): void {
    this.udp.useTransfers(transfers);
    this.tcp.useTransfers(transfers);
  }

  /**
   * Binds TCP, then UDP on the same port. `share` lets several DNS threads bind the same port.
   * Port 0 takes the port the kernel picks for TCP, once UDP is found free there (checkUdpFree:
   * with SO_REUSEPORT, the kernel's pick for UDP may be a port another program holds).
   */
  async listen(host: string, port: number, share: ShareMode = 'none'): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      await this.tcp.listen(host, port, share);
      const bound = this.tcp.port;
      try {
        if (port === 0 && share === 'reusePort') await checkUdpFree(host, bound);
        await this.udp.listen(host, bound, share);
        this.log.info('listening', { host, port: bound, udp: true, tcp: true });
        return bound;
      } catch (e) {
        await this.tcp.close();
        // A port free for TCP may be taken for UDP: with port 0, pick another.
        const inUse = (e as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (port !== 0 || !inUse || attempt >= PORT_PAIR_ATTEMPTS) throw e;
      }
    }
  }

  async close(): Promise<void> {
    this.forwarder?.close();
    await Promise.all([this.udp.close(), this.tcp.close()]);
  }
}
