import { createServer, type ListenOptions, type Server, type Socket } from 'node:net';
import type { Responder } from '../answer/respond.js';
import { QueryResult } from '../answer/result.js';
import { TRANSPORT } from '../counters/queries.js';
import { TCP_MAX_MESSAGE } from '../wire/constants.js';
import type { QueryObserver } from './observer.js';
import type { ShareMode } from './share.js';

/** RFC 1035 §4.2.2: each message is preceded by a two-octet length. */
const LENGTH_PREFIX = 2;
/** Answers written but not yet sent on one connection before we stop reading from it. */
const MAX_UNSENT = 256 * 1024;
/** After our FIN, how long a connection may stay open before it is cut. */
const CLOSE_LINGER_MS = 1000;

export interface TcpLimits {
  /** RFC 7766 §6.2.3: idle connections are closed after a timeout. */
  idleTimeoutMs: number;
  maxConnections: number;
}

/**
 * DNS over TCP (RFC 7766): length-prefixed messages, several queries per connection (pipelined,
 * answered in order), idle timeout, a cap on open connections.
 */
export class TcpServer {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly out = Buffer.alloc(TCP_MAX_MESSAGE);
  private readonly result = new QueryResult();

  constructor(
    private readonly responder: Responder,
    private readonly observer: QueryObserver,
    private readonly limits: TcpLimits,
    private readonly onError: (e: Error) => void,
  ) {}

  listen(host: string, port: number, share: ShareMode = 'none'): Promise<void> {
    const server = createServer((socket) => this.onConnection(socket));
    server.maxConnections = this.limits.maxConnections;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      const reusePort = share === 'reusePort' ? { reusePort: true } : {};
      server.listen({ host, port, exclusive: share !== 'cluster', ...reusePort } as ListenOptions, () => {
        server.off('error', reject);
        server.on('error', (e) => this.onError(e));
        resolve();
      });
    });
  }

  get port(): number {
    const a = this.server!.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  private onConnection(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(this.limits.idleTimeoutMs, () => socket.destroy());
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let at = 0;
      while (pending.length - at >= LENGTH_PREFIX) {
        const len = pending.readUInt16BE(at);
        if (pending.length - at - LENGTH_PREFIX < len) break;
        const msg = pending.subarray(at + LENGTH_PREFIX, at + LENGTH_PREFIX + len);
        at += LENGTH_PREFIX + len;
        this.answer(socket, msg);
      }
      pending = at === pending.length ? Buffer.alloc(0) : pending.subarray(at);
      // A client that sends without reading must not make us buffer its answers without end:
      // stop reading until what we wrote has drained (RFC 7766 §6.2.2 lets servers pace clients).
      if (socket.writableLength > MAX_UNSENT && !socket.isPaused()) {
        socket.pause();
        socket.once('drain', () => socket.resume());
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  private answer(socket: Socket, msg: Buffer): void {
    let n = 0;
    try {
      n = this.responder.respond(msg, msg.length, this.out, true, this.result);
    } catch (e) {
      this.onError(e as Error);
    }
    if (n === 0) {
      // RFC 7766 §7: a server may close a connection that sends something it will not answer.
      this.observer.dropped(TRANSPORT.TCP);
      return;
    }
    const framed = Buffer.allocUnsafe(LENGTH_PREFIX + n);
    framed.writeUInt16BE(n, 0);
    this.out.copy(framed, LENGTH_PREFIX, 0, n);
    socket.write(framed);
    this.observer.answered(TRANSPORT.TCP, this.result, msg, socket.remoteAddress ?? '-', socket.remotePort ?? 0);
  }

  /** Stops accepting; open connections finish what they have, then close. */
  close(): Promise<void> {
    const s = this.server;
    this.server = null;
    for (const socket of this.sockets) {
      socket.end();
      // A client that keeps its end open must not hold the shutdown past a stop timeout.
      setTimeout(() => socket.destroy(), CLOSE_LINGER_MS).unref();
    }
    return new Promise((resolve) => (s ? s.close(() => resolve()) : resolve()));
  }
}
