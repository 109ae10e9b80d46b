import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import * as packet from 'dns-packet';

export type Decoded = packet.Packet & { rcode?: string; flag_aa?: boolean; flag_tc?: boolean; flag_qr?: boolean; flag_rd?: boolean; flag_ra?: boolean };

/**
 * How long a query waits for its answer: far beyond the normal (a millisecond), so that a busy
 * machine never turns a slow answer into a missing one. Tests that expect no answer pass their own.
 */
export const ANSWER_MS = 10_000;

/** Sends raw bytes over UDP to 127.0.0.1 and resolves with the raw reply, or null after `ms` (or once `signal` aborts). */
export function udpRaw(port: number, query: Buffer, ms = ANSWER_MS, signal?: AbortSignal): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const end = (reply: Buffer | null): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', giveUp);
      s.close();
      resolve(reply);
    };
    const giveUp = (): void => end(null);
    const timer = setTimeout(giveUp, ms);
    signal?.addEventListener('abort', giveUp, { once: true });
    s.on('message', end);
    s.send(query, port, '127.0.0.1');
  });
}

/** Sends messages over one TCP connection (RFC 7766 framing) and resolves with `expect` replies. */
export function tcpRaw(port: number, queries: Buffer[], expect = queries.length, ms = ANSWER_MS): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const replies: Buffer[] = [];
    let pending = Buffer.alloc(0);
    const sock = connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`TCP: ${replies.length} of ${expect} replies in ${ms} ms`));
    }, ms);
    sock.on('data', (d) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const len = pending.readUInt16BE(0);
        replies.push(pending.subarray(2, 2 + len));
        pending = pending.subarray(2 + len);
      }
      if (replies.length >= expect) {
        clearTimeout(timer);
        sock.end();
        resolve(replies);
      }
    });
    sock.on('error', reject);
    sock.write(Buffer.concat(queries.map((q) => {
      const b = Buffer.alloc(2 + q.length);
      b.writeUInt16BE(q.length, 0);
      q.copy(b, 2);
      return b;
    })));
  });
}

let nextId = 1;

export interface QueryOptions {
  edns?: number;
  rd?: boolean;
  id?: number;
}

/** Encodes a query with dns-packet (an independent encoder). */
export function makeQuery(name: string, type: string, opts: QueryOptions = {}): Buffer {
  const id = opts.id ?? (nextId++ & 0xffff);
  return packet.encode({
    type: 'query',
    id,
    flags: opts.rd === false ? 0 : packet.RECURSION_DESIRED,
    questions: [{ name, type: type as packet.RecordType, class: 'IN' }],
    additionals: opts.edns ? [{ type: 'OPT', name: '.', udpPayloadSize: opts.edns, flags: 0, options: [] } as unknown as packet.Answer] : [],
  });
}

/** Queries over UDP and decodes the reply with dns-packet. */
export async function query(port: number, name: string, type: string, opts: QueryOptions = {}): Promise<Decoded> {
  const reply = await udpRaw(port, makeQuery(name, type, opts));
  if (!reply) throw new Error(`no UDP reply for ${name} ${type} from port ${port} in ${ANSWER_MS / 1000} s`);
  return packet.decode(reply) as Decoded;
}

export async function queryTcp(port: number, name: string, type: string, opts: QueryOptions = {}): Promise<Decoded> {
  const [reply] = await tcpRaw(port, [makeQuery(name, type, opts)]);
  return packet.decode(reply) as Decoded;
}

/** Answer records as "name TTL TYPE data" lines, for readable assertions. */
export function lines(records: packet.Answer[] | undefined): string[] {
  return (records ?? []).filter((r) => r.type !== 'OPT').map((r) => {
    const d = (r as { data: unknown }).data;
    const data = r.type === 'TXT' ? (d as Buffer[]).map((b) => JSON.stringify(b.toString())).join(' ')
      : r.type === 'MX' ? `${(d as { preference: number }).preference} ${(d as { exchange: string }).exchange}`
      : r.type === 'SRV' ? `${(d as packet.SrvData).priority} ${(d as packet.SrvData).weight} ${(d as packet.SrvData).port} ${(d as packet.SrvData).target}`
      : r.type === 'SOA' ? `${(d as packet.SoaData).mname} ${(d as packet.SoaData).rname} ${(d as packet.SoaData).serial}`
      : r.type === 'CAA' ? `${(d as packet.CaaData).flags} ${(d as packet.CaaData).tag} ${(d as packet.CaaData).value}`
      : String(d);
    return `${r.name} ${(r as { ttl: number }).ttl} ${r.type} ${data}`;
  });
}
