import { createServer, type ListenOptions, type Server, type Socket } from 'node:net';
import type { Responder } from '../answer/respond.js';
import { QueryResult } from '../answer/result.js';
import { TRANSPORT, type TcpCloseReason } from '../counters/queries.js';
import type { Forwarder } from '../forward/forwarder.js';
import { TCP_MAX_MESSAGE } from '../wire/constants.js';
import type { Guard } from './guard.js';
import type { QueryObserver } from './observer.js';
import type { ShareMode } from './share.js';
import { MESSAGE_KIND, type TransferRun, type Transfers } from './transfer.js';

/** RFC 1035 §4.2.2: each message is preceded by a two-octet length. */
const LENGTH_PREFIX = 2;
/**
 * How long a message may take to arrive whole, from its first octet (and never longer than the
 * idle timeout). RFC 7766 §8 has clients hand the length and the message to TCP in one write, so a
 * query normally arrives in one segment; 5 s still covers two retransmissions at RFC 6298's 1 s
 * minimum timeout. Without it, a client sending one octet a second holds its slot for ever, since
 * every octet restarts the idle timer (RFC 7766 §10: slow clients exhausting the connections).
 */
const MESSAGE_DEADLINE_MS = 5000;
/**
 * Unsent answers one connection may hold before we stop answering and reading it until they
 * drain (RFC 7766 §10: "controlling request queues to enable fair use"). Checked before every
 * answer, so a connection holds this plus one answer (at most 64 KiB), never a whole read's worth.
 */
const MAX_UNSENT_PER_CONNECTION = 64 * 1024;
/**
 * Unsent answers across all connections: this much per connection slot (16 MB at the default
 * TCP_MAX_CONNECTIONS of 1000). Past it, the connection holding the most is closed: it is a client
 * not reading while its answers hold the memory other clients' answers need.
 */
const MAX_UNSENT_PER_SLOT = 16 * 1024;
/** After our FIN, how long a connection may stay open before it is cut. */
const CLOSE_LINGER_MS = 1000;
const EMPTY = Buffer.alloc(0);

export interface TcpLimits {
  /** RFC 7766 §6.2.3: connections idle between messages are closed after this. */
  idleTimeoutMs: number;
  maxConnections: number;
  /**
   * RFC 7766 §6.2.2: a server may limit the connections of one client address, "much looser" than
   * a client's own limits, as one address may be many clients behind NAT.
   */
  maxConnectionsPerClient: number;
}

/** One open connection and what the server keeps about it. */
interface Connection {
  readonly socket: Socket;
  readonly client: string;
  /** Octets received and not yet answered: the start of a message, or messages held while blocked. */
  pending: Buffer;
  /** This connection's unsent answer octets as last added into the total. */
  counted: number;
  /** Not read nor answered until its unsent answers drain. */
  blocked: boolean;
  /** Closes the connection when the message begun in `pending` is not whole in time. */
  deadline: NodeJS.Timeout | null;
  /** The client sent its FIN: once the messages held are answered, we send ours. */
  ended: boolean;
  /** A zone transfer being sent: the messages after it wait (RFC 5936 §4.1: in order) until it ends. */
  transfer: TransferRun | null;
  /** The transfer's next messages are being made. */
  pumping: boolean;
  /** Queries with the forwarder: the FIN waits for their answers. */
  forwards: number;
}

/**
 * DNS over TCP (RFC 7766): length-prefixed messages, several queries per connection (pipelined,
 * answered in order), and connection management (RFC 7766 §10): an idle timeout between messages,
 * a deadline for each message, a cap on connections in all and per client address, and bounds on
 * the answers held for clients that do not read.
 */
export class TcpServer {
  private server: Server | null = null;
  /**
   * Open connections, least recently active first: a connection moves to the end when a message
   * from it completes or its answers drain. When the table is full, the first one is closed for the
   * newcomer — the longest idle, or the slowest to send its message (as NSD and Knot do).
   */
  private readonly connections = new Map<Socket, Connection>();
  private readonly perClient = new Map<string, number>();
  /** Sum of the connections' `counted` unsent octets. */
  private unsent = 0;
  private readonly out = Buffer.alloc(TCP_MAX_MESSAGE);
  private readonly result = new QueryResult();
  private readonly messageDeadlineMs: number;
  private readonly maxUnsent: number;

  constructor(
    private readonly responder: Responder,
    private readonly observer: QueryObserver,
    private readonly limits: TcpLimits,
    private readonly onError: (e: Error) => void,
    /** Zone transfers and signed queries; null when transfers are off. */
    private transfers: Transfers | null = null,
    /** Queries outside our zones; set when the responder flags them (FORWARD_TO). */
    private readonly forwarder: Forwarder | null = null,
    /** Cookies and NSID (./guard.ts; never rate limiting over TCP); null when off. */
    private readonly guard: Guard | null = null,
  ) {
    this.messageDeadlineMs = Math.min(MESSAGE_DEADLINE_MS, limits.idleTimeoutMs);
    this.maxUnsent = limits.maxConnections * MAX_UNSENT_PER_SLOT;
  }

  /** Turns zone transfers and signed queries on (once a zone may be transferred). */
  useTransfers(transfers: Transfers): void {
    this.transfers = transfers;
  }

  listen(host: string, port: number, share: ShareMode = 'none'): Promise<void> {
    // Half-open: a client's FIN must not end our side while answers to its queries are held back.
    const server = createServer({ allowHalfOpen: true }, (socket) => this.onConnection(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      const reusePort = share === 'reusePort' ? { reusePort: true } : {};
      server.listen({ host, port, exclusive: true, ...reusePort } as ListenOptions, () => {
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
    const client = socket.remoteAddress;
    if (client === undefined) {
      socket.destroy(); // reset before we saw it
      return;
    }
    const fromClient = this.perClient.get(client) ?? 0;
    if (fromClient >= this.limits.maxConnectionsPerClient) {
      // Refused rather than making room: one address must not push out other clients.
      socket.destroy();
      this.observer.tcpClosed('per_client_limit');
      return;
    }
    if (this.connections.size >= this.limits.maxConnections) {
      this.closeFor(this.connections.values().next().value!, 'table_full');
    }
    const c: Connection = { socket, client, pending: EMPTY, counted: 0, blocked: false, deadline: null, ended: false, transfer: null, pumping: false, forwards: 0 };
    this.connections.set(socket, c);
    this.perClient.set(client, fromClient + 1);
    socket.setNoDelay(true);
    // Node restarts this timer on every read and every completed write: it closes connections
    // with nothing arriving between messages, and clients that stopped reading our answers.
    socket.setTimeout(this.limits.idleTimeoutMs, () => this.closeFor(c, 'idle_timeout'));
    socket.on('data', (chunk: Buffer) => {
      c.pending = c.pending.length === 0 ? chunk : Buffer.concat([c.pending, chunk]);
      if (!c.blocked) this.serve(c);
    });
    socket.on('end', () => {
      c.ended = true;
      if (!c.blocked) this.serve(c);
    });
    socket.on('drain', () => this.onDrain(c));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.forget(c));
  }

  /**
   * Answers the whole messages in `pending`, in order, until the connection's unsent answers pass
   * their bound; then stops reading it, keeping the rest for when they drain.
   */
  private serve(c: Connection): void {
    const { socket } = c;
    const buf = c.pending;
    let at = 0;
    let completed = false;
    while (buf.length - at >= LENGTH_PREFIX && socket.writableLength < MAX_UNSENT_PER_CONNECTION && !socket.destroyed) {
      const end = at + LENGTH_PREFIX + buf.readUInt16BE(at);
      if (buf.length < end) break;
      const msg = buf.subarray(at + LENGTH_PREFIX, end);
      at = end;
      completed = true;
      const kind = this.transfers === null ? MESSAGE_KIND.ORDINARY : this.transfers.kind(msg, msg.length);
      if (kind === MESSAGE_KIND.TRANSFER) {
        const t = this.transfers!.tcp(msg, c.client);
        if ('reply' in t) {
          socket.write(frame(t.reply));
          continue;
        }
        c.transfer = t.run;
        break;
      }
      this.answer(c, msg, kind === MESSAGE_KIND.SIGNED);
    }
    c.pending = at === buf.length ? EMPTY : buf.subarray(at);
    if (socket.destroyed) return;
    if (c.transfer !== null) {
      // Nothing more is read until the transfer is sent; the idle timeout still closes a client that stops reading it.
      c.blocked = true;
      socket.pause();
      this.stopDeadline(c);
      this.touch(c);
      this.count(c);
      this.pump(c);
      return;
    }
    // Past the bound, the last write returned false: 'drain' follows once the answers are sent.
    c.blocked = socket.writableLength >= MAX_UNSENT_PER_CONNECTION;
    if (completed) this.touch(c);
    this.count(c);
    if (c.blocked) {
      socket.pause();
      this.stopDeadline(c);
    } else if (c.ended && c.forwards === 0) {
      // Every whole message is answered; a part of one left at the client's FIN never completes.
      this.stopDeadline(c);
      socket.end();
    } else if (c.pending.length === 0) {
      this.stopDeadline(c);
    } else if (completed || c.deadline === null) {
      // What is left is the start of the next message: its deadline runs from now.
      this.startDeadline(c);
    }
    if (this.unsent > this.maxUnsent) this.shed();
  }

  /**
   * Sends a transfer's next messages while the connection's unsent octets are within their bound;
   * 'drain' calls it again. After the last, the messages held meanwhile are answered.
   */
  private pump(c: Connection): void {
    const run = c.transfer;
    const { socket } = c;
    if (run === null || c.pumping || socket.writableLength >= MAX_UNSENT_PER_CONNECTION) return;
    if (socket.destroyed || socket.writableEnded) {
      this.endTransfer(c, 'the connection closed before the last message');
      return;
    }
    c.pumping = true;
    // While the next messages are made, the client is not the one keeping us waiting: the idle
    // timeout is off until they are written.
    socket.setTimeout(0);
    run.next().then((batch) => {
      c.pumping = false;
      if (!socket.destroyed) socket.setTimeout(this.limits.idleTimeoutMs);
      if (c.transfer !== run) return;
      if (socket.destroyed || socket.writableEnded) {
        this.endTransfer(c, 'the connection closed before the last message');
        return;
      }
      if (batch === null) {
        this.endTransfer(c);
        c.blocked = false;
        socket.resume();
        this.serve(c);
        return;
      }
      socket.write(batch);
      this.count(c);
      if (this.unsent > this.maxUnsent) this.shed();
      // The next batch after the queries that arrived meanwhile: while the kernel takes every batch
      // at once (loopback), a large transfer would otherwise hold the thread until its last message.
      setImmediate(() => this.pump(c));
    }, (e: Error) => {
      c.pumping = false;
      if (c.transfer !== run) return;
      this.endTransfer(c, e.message);
      socket.destroy();
    });
  }

  private endTransfer(c: Connection, error?: string): void {
    const run = c.transfer;
    c.transfer = null;
    run?.end(error);
  }

  private answer(c: Connection, msg: Buffer, signed: boolean): void {
    const { socket } = c;
    let n = 0;
    try {
      n = this.responder.respond(msg, msg.length, this.out, true, this.result);
    } catch (e) {
      this.onError(e as Error);
    }
    if (n <= 0) {
      if (n === 0) {
        // RFC 7766 §7: a server may close a connection that sends something it will not answer.
        this.observer.dropped(TRANSPORT.TCP);
        return;
      }
      // Outside our zones with the forwarder on: it answers, or its REFUSED of -n octets goes out.
      if (!signed && this.forward(c, msg)) return;
      n = -n;
    }
    if (this.guard !== null) n = this.guard.tcp(msg, this.out, n, this.result, socket.remoteAddress ?? '');
    if (signed) {
      // A secondary's signed SOA query gets a signed answer (RFC 8945 §5.3).
      socket.write(frame(this.transfers!.sign(msg, this.out.subarray(0, n))));
    } else {
      const framed = Buffer.allocUnsafe(LENGTH_PREFIX + n);
      framed.writeUInt16BE(n, 0);
      this.out.copy(framed, LENGTH_PREFIX, 0, n);
      socket.write(framed);
    }
    this.observer.answered(TRANSPORT.TCP, this.result, msg, socket.remoteAddress ?? '-', socket.remotePort ?? 0);
  }

  /**
   * Hands a query to the forwarder; its answer is written when it comes, out of order if need be
   * (RFC 7766 §6.2.1.1), and after the serving loop that took the query has finished.
   */
  private forward(c: Connection, msg: Buffer): boolean {
    c.forwards++;
    const client = c.client;
    const taken = this.forwarder!.take(msg, this.result, client, true, (answer, result) => queueMicrotask(() => {
      c.forwards--;
      const { socket } = c;
      if (socket.destroyed || socket.writableEnded) return;
      socket.write(frame(answer));
      this.count(c);
      if (this.unsent > this.maxUnsent) this.shed();
      this.observer.answered(TRANSPORT.TCP, result, msg, client, socket.remotePort ?? 0);
      if (c.ended && c.forwards === 0 && !c.blocked && c.transfer === null) this.serve(c);
    }));
    if (!taken) c.forwards--;
    return taken;
  }

  private onDrain(c: Connection): void {
    if (!this.connections.has(c.socket)) return;
    this.touch(c);
    this.count(c);
    if (c.transfer !== null) {
      this.pump(c);
      return;
    }
    if (!c.blocked) return;
    this.serve(c);
    if (!c.blocked && !c.socket.destroyed) c.socket.resume();
  }

  /** Marks progress: the connection goes to the end of the eviction order. */
  private touch(c: Connection): void {
    this.connections.delete(c.socket);
    this.connections.set(c.socket, c);
  }

  /** Brings the total of unsent octets up to date with this connection's. */
  private count(c: Connection): void {
    const now = c.socket.writableLength;
    this.unsent += now - c.counted;
    c.counted = now;
  }

  /**
   * The unsent total passed its bound: recount it exactly (a connection's answers may have
   * partly drained since it was counted), then close the connections holding the most — the
   * least recently active first among equals — until it is back within.
   */
  private shed(): void {
    this.unsent = 0;
    for (const c of this.connections.values()) {
      c.counted = c.socket.writableLength;
      this.unsent += c.counted;
    }
    while (this.unsent > this.maxUnsent) {
      let worst: Connection | null = null;
      for (const c of this.connections.values()) if (c.counted > (worst?.counted ?? 0)) worst = c;
      if (worst === null) return;
      this.closeFor(worst, 'unsent_limit');
    }
  }

  private startDeadline(c: Connection): void {
    if (c.deadline === null) {
      c.deadline = setTimeout(() => this.closeFor(c, 'message_timeout'), this.messageDeadlineMs).unref();
    } else {
      c.deadline.refresh();
    }
  }

  private stopDeadline(c: Connection): void {
    if (c.deadline === null) return;
    clearTimeout(c.deadline);
    c.deadline = null;
  }

  private closeFor(c: Connection, reason: TcpCloseReason): void {
    if (!this.forget(c)) return;
    this.observer.tcpClosed(reason);
    c.socket.destroy();
  }

  /** Takes a connection out of the table and the counts; false when it was out already. */
  private forget(c: Connection): boolean {
    if (!this.connections.delete(c.socket)) return false;
    const n = this.perClient.get(c.client)! - 1;
    if (n === 0) this.perClient.delete(c.client);
    else this.perClient.set(c.client, n);
    this.unsent -= c.counted;
    c.counted = 0;
    this.stopDeadline(c);
    if (c.transfer !== null) this.endTransfer(c, 'the connection closed before the last message');
    return true;
  }

  /** Stops accepting; open connections finish what they have, then close. */
  close(): Promise<void> {
    const s = this.server;
    this.server = null;
    for (const socket of this.connections.keys()) {
      socket.end();
      // A client that keeps its end open must not hold the shutdown past a stop timeout.
      setTimeout(() => socket.destroy(), CLOSE_LINGER_MS).unref();
    }
    return new Promise((resolve) => (s ? s.close(() => resolve()) : resolve()));
  }
}

/** A message with its two-octet length in front (RFC 1035 §4.2.2). */
function frame(m: Buffer): Buffer {
  const framed = Buffer.allocUnsafe(LENGTH_PREFIX + m.length);
  framed.writeUInt16BE(m.length, 0);
  m.copy(framed, LENGTH_PREFIX);
  return framed;
}
