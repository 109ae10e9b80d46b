/**
 * The physical limit of this design: a bare node:dgram server that answers every datagram with
 * one fixed response, only the ID patched. Same socket options as Eclipso's UDP listener (a
 * `lookup` that skips dns.lookup() for numeric addresses). Usage:
 *   node bench/baseline.mjs <port> <response-hex>
 * Prints "listening <port>" once bound.
 */
import { createSocket } from 'node:dgram';

const port = Number(process.argv[2] ?? 0);
const reply = Buffer.from(process.argv[3] ?? '', 'hex');
if (reply.length < 12) throw new Error('usage: baseline.mjs <port> <response-hex>');

const socket = createSocket({ type: 'udp4', lookup: (address, _family, cb) => cb(null, address, 4) });
socket.on('message', (msg, rinfo) => {
  reply[0] = msg[0];
  reply[1] = msg[1];
  socket.send(reply, 0, reply.length, rinfo.port, rinfo.address);
});
socket.bind(port, '127.0.0.1', () => process.stdout.write(`listening ${socket.address().port}\n`));
process.on('SIGTERM', () => socket.close(() => process.exit(0)));
