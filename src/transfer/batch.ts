import { TCP_LENGTH_PREFIX } from '../wire/constants.js';

/** Octets of a transfer's messages handed to the connection at a time: a few 16 KiB messages. */
export const TRANSFER_BATCH_OCTETS = 64 * 1024;

/**
 * The next messages, each preceded by its two-octet length as on a TCP connection (RFC 1035
 * §4.2.2), up to about TRANSFER_BATCH_OCTETS, in one buffer, and how many; `done` when the last
 * message is in it.
 * Messages are made as they are pulled, so a slow client costs one batch of memory.
 */
export function nextBatch(messages: Iterator<Buffer>): { batch: Buffer; count: number; done: boolean } {
  const taken: Buffer[] = [];
  let done = false;
  for (let size = 0; size < TRANSFER_BATCH_OCTETS;) {
    const r = messages.next();
    if (r.done) {
      done = true;
      break;
    }
    const prefix = Buffer.allocUnsafe(TCP_LENGTH_PREFIX);
    prefix.writeUInt16BE(r.value.length, 0);
    taken.push(prefix, r.value);
    size += TCP_LENGTH_PREFIX + r.value.length;
  }
  return { batch: Buffer.concat(taken), count: taken.length / 2, done };
}
