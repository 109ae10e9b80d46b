import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { RCODE, TYPE } from '../../src/wire/constants.js';
import { nameKey } from '../../src/wire/name.js';
import type { Zone } from '../../src/zone/model.js';
import type { TransferAccess } from '../../src/transfer/access.js';
import { soaOnlyMessage } from '../../src/transfer/axfr.js';
import { isTransferQuery, readHead } from '../../src/transfer/request.js';
import { errorResponse, headerOnlyResponse } from '../../src/transfer/response.js';
import { notServed, signAnswer, startTransfer, transferKind, transferMessages } from '../../src/transfer/transfer.js';

/** One transfer as the primary saw it: what a log line would say. */
export interface TransferLog {
  client: string;
  zone: string;
  kind: string;
  rcode: number;
  why?: string;
  messages: number;
}

const now = (): number => Math.floor(Date.now() / 1000);

/**
 * A primary made of src/transfer/'s pieces on 127.0.0.1, for tests with real secondaries until
 * the server's own listeners serve transfers: over TCP, transfers (streamed with back-pressure:
 * the next message is made only when the socket has drained) and SOA queries; over UDP, SOA
 * queries and IXFR. Everything else is REFUSED. It shows the wiring the listeners need.
 */
export class TransferPrimary {
  private readonly zones = new Map<string, Zone>();
  readonly log: TransferLog[] = [];
  private tcp: Server | null = null;
  private udp: UdpSocket | null = null;
  port = 0;

  constructor(
    private readonly access: TransferAccess,
    zones: Zone[],
  ) {
    for (const z of zones) this.setZone(z);
  }

  /** Serves this version of the zone from now on; transfers under way finish with the one they began with. */
  setZone(zone: Zone): void {
    this.zones.set(nameKey(zone.apex), zone);
  }

  async start(): Promise<void> {
    this.tcp = createServer((s) => this.onConnection(s));
    this.tcp.listen(0, '127.0.0.1');
    await once(this.tcp, 'listening');
    this.port = (this.tcp.address() as { port: number }).port;
    this.udp = createSocket('udp4');
    this.udp.on('message', (msg, rinfo) => {
      const reply = this.answer(msg, rinfo.address, false);
      if (reply) this.udp!.send(reply, rinfo.port, rinfo.address);
    });
    this.udp.bind(this.port, '127.0.0.1');
    await once(this.udp, 'listening');
  }

  async stop(): Promise<void> {
    this.udp?.close();
    await new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r()));
  }

  /** A plain query (SOA) or a transfer small enough to answer in one message (UDP IXFR); null to drop. */
  private answer(msg: Buffer, client: string, overTcp: boolean): Buffer | null {
    if (isTransferQuery(msg)) {
      const start = startTransfer(msg, client, this.access, now(), overTcp);
      if (start.kind === 'reply') {
        this.log.push({ client, zone: '', kind: 'refused', rcode: start.rcode, why: start.why, messages: 1 });
        return start.message;
      }
      const zone = this.zones.get(nameKey(start.request.qname));
      if (!zone) return notServed(start, now());
      const [m] = transferMessages(start, zone, now);
      this.log.push({ client, zone: zone.apex.join('.'), kind: transferKind(start, zone), rcode: RCODE.NOERROR, messages: 1 });
      return m;
    }
    if (msg.length < 12 || msg[2] & 0x80) return null;
    const head = readHead(msg);
    if (!head) return headerOnlyResponse(msg, RCODE.FORMERR);
    if (((msg[2] >> 3) & 0xf) !== 0) return headerOnlyResponse(msg, RCODE.NOTIMP);
    const zone = this.zones.get(nameKey(head.qname));
    const answer = zone && head.qtype === TYPE.SOA ? soaOnlyMessage({ ...head, edns: false }, zone) : errorResponse({ ...head, edns: false }, RCODE.REFUSED);
    // A secondary may sign its SOA query (Knot does): the answer is then signed too.
    return this.access.keys.size > 0 && msg.readUInt16BE(10) > 0 ? signAnswer(msg, answer, this.access.keys, now()) : answer;
  }

  private onConnection(socket: Socket): void {
    let pending = Buffer.alloc(0);
    let busy = Promise.resolve();
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const msg = pending.subarray(2, 2 + pending.readUInt16BE(0));
        pending = pending.subarray(2 + msg.length);
        // Answers go out in the order the queries came (RFC 7766 §6.2.1.1 allows either).
        busy = busy.then(() => this.serve(socket, msg));
      }
    });
  }

  private async serve(socket: Socket, msg: Buffer): Promise<void> {
    const write = async (m: Buffer): Promise<void> => {
      const framed = Buffer.alloc(2 + m.length);
      framed.writeUInt16BE(m.length, 0);
      m.copy(framed, 2);
      if (!socket.write(framed)) await Promise.race([once(socket, 'drain'), once(socket, 'close')]);
    };
    const client = socket.remoteAddress ?? '';
    if (!isTransferQuery(msg)) {
      const reply = this.answer(msg, client, true);
      if (reply) await write(reply);
      return;
    }
    const start = startTransfer(msg, client, this.access, now(), true);
    if (start.kind === 'reply') {
      this.log.push({ client, zone: '', kind: 'refused', rcode: start.rcode, why: start.why, messages: 1 });
      return write(start.message);
    }
    // The version served when the transfer starts is the one it sends to the end.
    const zone = this.zones.get(nameKey(start.request.qname));
    if (!zone) return write(notServed(start, now()));
    let messages = 0;
    for (const m of transferMessages(start, zone, now)) {
      if (socket.destroyed) return;
      await write(m);
      messages++;
    }
    this.log.push({ client, zone: zone.apex.join('.'), kind: transferKind(start, zone), rcode: RCODE.NOERROR, messages });
  }
}
