import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Responder } from '../answer/respond.js';
import { QueryResult } from '../answer/result.js';
import { TRANSPORT } from '../counters/queries.js';
import type { Forwarder } from '../forward/forwarder.js';
import type { Guard } from './guard.js';
import type { QueryObserver } from './observer.js';
import type { ShareMode } from './share.js';
import { MESSAGE_KIND, type Transfers } from './transfer.js';

/**
 * Response buffers reused in turn. node:dgram sends synchronously when it can and otherwise
 * queues the buffer itself (libuv queues every send behind a queued one, in order). With nothing
 * queued, every slot is free and slot 0, warm in cache, is written; while sends are queued they
 * hold the slots used since the queue began, so the next slot is free while fewer than
 * RING_SIZE - 1 are queued. Past that (a full socket buffer), a fresh buffer is used.
 */
const RING_SIZE = 64;
/**
 * Receive buffer asked for (SO_RCVBUF; Linux caps it at net.core.rmem_max): queries arriving while
 * the event loop is busy, compiling a reloaded zone say, wait here instead of being dropped.
 */
const RECV_BUFFER_SIZE = 4 * 1024 * 1024;
/** Large enough for any UDP response we build (EDNS payload is capped at 4096 by config). */
const UDP_BUFFER_SIZE = 4096 + 64;

export class UdpServer {
  private socket: Socket | null = null;
  private readonly ring = Array.from({ length: RING_SIZE }, () => Buffer.alloc(UDP_BUFFER_SIZE));
  private next = 0;
  private readonly result = new QueryResult();
  /**
   * Views of slot 0 by length, each made once: send(view, port, address) skips the per-send
   * slice node:dgram makes when given an offset and length (an allocation per query).
   */
  private readonly views: (Buffer | undefined)[] = [];

  constructor(
    private readonly responder: Responder,
    private readonly observer: QueryObserver,
    private readonly onError: (e: Error) => void,
    /** Zone transfers and signed queries; null when transfers are off. */
    private transfers: Transfers | null = null,
    /** Queries outside our zones; set when the responder flags them (FORWARD_TO). */
    private readonly forwarder: Forwarder | null = null,
    /** Cookies, NSID and rate limiting (./guard.ts); null when all are off. */
    private readonly guard: Guard | null = null,
  ) {}

  /** Turns zone transfers and signed queries on (once a zone may be transferred). */
  useTransfers(transfers: Transfers): void {
    this.transfers = transfers;
  }

  /** Binds to a numeric address, alone or shared with the other DNS threads (see ShareMode). */
  listen(host: string, port: number, share: ShareMode = 'none'): Promise<void> {
    const type = isIPv6(host) ? 'udp6' : 'udp4';
    const socket = createSocket({
      type,
      ...(share === 'reusePort' ? { reusePort: true } : {}),
      recvBufferSize: RECV_BUFFER_SIZE,
      // Addresses here are always numeric: skip dns.lookup() on every send (measured ~10%).
      lookup: (address: string, _family: unknown, cb: (e: Error | null, a: string, f: number) => void) =>
        cb(null, address, type === 'udp6' ? 6 : 4),
    } as Parameters<typeof createSocket>[0]);
    this.socket = socket;
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    return new Promise((resolve, reject) => {
      const failed = (e: Error): void => {
        this.socket = null;
        socket.close();
        reject(e);
      };
      socket.once('error', failed);
      socket.bind({ address: host, port, exclusive: true }, () => {
        socket.off('error', failed);
        socket.on('error', (e) => this.onError(e));
        resolve();
      });
    });
  }

  get port(): number {
    return this.socket!.address().port;
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    const socket = this.socket!;
    // Only transfer requests and signed queries leave the ordinary path (and only with transfers on).
    const kind = this.transfers === null ? MESSAGE_KIND.ORDINARY : this.transfers.kind(msg, msg.length);
    if (kind !== MESSAGE_KIND.ORDINARY) {
      this.special(socket, msg, rinfo, kind === MESSAGE_KIND.SIGNED);
      return;
    }
    const queued = socket.getSendQueueCount();
    if (queued === 0) this.next = 0;
    else if (queued < RING_SIZE - 1) this.next = (this.next + 1) % RING_SIZE;
    const out = queued < RING_SIZE - 1 ? this.ring[this.next] : Buffer.allocUnsafe(UDP_BUFFER_SIZE);
    let n = 0;
    try {
      n = this.responder.respond(msg, msg.length, out, false, this.result);
    } catch (e) {
      // A bug must not stop the server: count the query as dropped and say what happened.
      this.onError(e as Error);
    }
    if (n <= 0) {
      if (n === 0) {
        this.observer.dropped(TRANSPORT.UDP);
        return;
      }
      // Outside our zones with the forwarder on: it answers, or its REFUSED of -n octets goes out.
      if (this.forwarder!.take(msg, this.result, rinfo.address, false, (a, r) => this.forwarded(a, r, msg, rinfo))) return;
      n = -n;
    }
    // Rate limiting drops quietly: counted by the guard, not as a malformed query.
    if (this.guard !== null && (n = this.guard.udp(msg, out, n, this.result, rinfo.address)) === 0) return;
    if (out === this.ring[0]) socket.send(this.views[n] ??= out.subarray(0, n), rinfo.port, rinfo.address);
    else socket.send(out, 0, n, rinfo.port, rinfo.address);
    this.observer.answered(TRANSPORT.UDP, this.result, msg, rinfo.address, rinfo.port);
  }

  /** Sends the forwarder's answer, later than the query's turn (its socket may have closed since). */
  private forwarded(answer: Buffer, result: QueryResult, msg: Buffer, rinfo: RemoteInfo): void {
    if (this.socket === null) return;
    this.socket.send(answer, rinfo.port, rinfo.address);
    this.observer.answered(TRANSPORT.UDP, result, msg, rinfo.address, rinfo.port);
  }

  /** A transfer request (RFC 1995 §2 over UDP), or a signed query whose answer is signed in turn (RFC 8945 §5.3). */
  private special(socket: Socket, msg: Buffer, rinfo: RemoteInfo, signed: boolean): void {
    let reply: Buffer | null = null;
    try {
      if (signed) {
        const out = Buffer.allocUnsafe(UDP_BUFFER_SIZE);
        const n = Math.abs(this.responder.respond(msg, msg.length, out, false, this.result));
        if (n > 0) {
          reply = this.transfers!.sign(msg, out.subarray(0, n));
          this.observer.answered(TRANSPORT.UDP, this.result, msg, rinfo.address, rinfo.port);
        }
      } else {
        reply = this.transfers!.udp(msg, rinfo.address);
      }
    } catch (e) {
      this.onError(e as Error);
    }
    if (reply === null) {
      this.observer.dropped(TRANSPORT.UDP);
      return;
    }
    socket.send(reply, rinfo.port, rinfo.address);
  }

  close(): Promise<void> {
    const s = this.socket;
    this.socket = null;
    return new Promise((resolve) => (s ? s.close(() => resolve()) : resolve()));
  }
}
