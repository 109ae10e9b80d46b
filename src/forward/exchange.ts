/**
 * One query to one upstream and its reply, over UDP or TCP: the only I/O of the forwarder.
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import type { NotifyTarget } from '../transfer/notify.js';
import { TCP_LENGTH_PREFIX } from '../wire/constants.js';
import { answers } from './message.js';

export type Exchange =
  | { kind: 'reply'; reply: Buffer }
  | { kind: 'timeout' }
  /** The upstream could not be reached (ICMP unreachable, connection refused or reset). */
  | { kind: 'error'; message: string };

/**
 * Sends `query` over UDP from a socket of its own, bound to a port the kernel picks at random,
 * and connected to the upstream (RFC 5452 §9.2: a fresh ID and source port per query; a connected
 * socket takes datagrams from the upstream's address and port only). A datagram that is not the
 * reply (another ID or question: a spoof attempt, or a late reply to an earlier query) is ignored
 * and the wait goes on. Resolves; never rejects.
 */
export function exchangeUdp(to: NotifyTarget, query: Buffer, timeoutMs: number): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = createSocket(to.family === 6 ? 'udp6' : 'udp4');
    let done = false;
    const finish = (e: Exchange): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      resolve(e);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
    socket.on('error', (e) => finish({ kind: 'error', message: e.message }));
    socket.on('message', (reply, rinfo) => {
      if (rinfo.address !== to.address || rinfo.port !== to.port || !answers(reply, query)) return;
      finish({ kind: 'reply', reply });
    });
    socket.bind(0, () => socket.connect(to.port, to.address, (e?: Error) => {
      if (e) finish({ kind: 'error', message: e.message });
      else if (!done) socket.send(query);
    }));
  });
}

/**
 * Sends `query` over TCP (RFC 7766), after a reply with TC=1 (RFC 1035 §4.2.1, RFC 7766 §5): one
 * connection per query, closed after the reply, which must carry the query's ID and question.
 */
export function exchangeTcp(to: NotifyTarget, query: Buffer, timeoutMs: number): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = connect({ host: to.address, port: to.port, noDelay: true });
    let pending: Buffer = Buffer.alloc(0);
    let done = false;
    const finish = (e: Exchange): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(e);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
    socket.on('error', (e) => finish({ kind: 'error', message: e.message }));
    socket.on('close', () => finish({ kind: 'error', message: 'the upstream closed the TCP connection without a reply' }));
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= TCP_LENGTH_PREFIX) {
        const end = TCP_LENGTH_PREFIX + pending.readUInt16BE(0);
        if (pending.length < end) return;
        const reply = pending.subarray(TCP_LENGTH_PREFIX, end);
        pending = pending.subarray(end);
        if (answers(reply, query)) {
          finish({ kind: 'reply', reply: Buffer.from(reply) });
          return;
        }
      }
    });
    const framed = Buffer.alloc(TCP_LENGTH_PREFIX + query.length);
    framed.writeUInt16BE(query.length, 0);
    query.copy(framed, TCP_LENGTH_PREFIX);
    socket.write(framed);
  });
}
