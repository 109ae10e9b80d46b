import { TCP_LENGTH_PREFIX } from '../wire/constants.js';
import { parseZoneFile } from '../zone/parse.js';
import { axfrMessages } from '../transfer/axfr.js';
import type { ResponseHead } from '../transfer/response.js';

/**
 * A zone transfer's messages, made from the zone file's text where the zone is compiled (a compile
 * thread): parsing a large zone there never holds up the thread that answers queries.
 */
export interface TransferJob {
  /** The text of the file the served version was compiled from, and its names. */
  text: string;
  origin: string;
  fileName: string;
  /** The serial the served version carries (src/serving/catalog.ts decides it). */
  serial: number;
  /** What every message echoes (ID, RD, question, EDNS). */
  head: ResponseHead;
  /** Room kept free in each message for the TSIG record it is signed with (0: unsigned). */
  reserve: number;
}

/** Octets of messages handed from the compile thread at a time: a few 16 KiB messages, a bounded buffer. */
export const TRANSFER_BATCH_OCTETS = 64 * 1024;

/** The AXFR messages of the job's zone (RFC 5936 §2.2), made as they are pulled. */
export function transferMessagesOf(job: TransferJob): Generator<Buffer> {
  const parsed = parseZoneFile(job.text, job.origin, job.fileName);
  if (!parsed.active) throw new Error(`${job.origin} has active = false: it serves no zone`);
  parsed.zone.soa.data.serial = job.serial;
  return axfrMessages(job.head, parsed.zone, job.reserve);
}

/**
 * The next messages, each preceded by its two-octet length as on a TCP connection (RFC 1035
 * §4.2.2), up to about TRANSFER_BATCH_OCTETS, in a buffer of their own (transferable to another
 * thread); `done` when the last message is in it.
 */
export function nextBatch(messages: Iterator<Buffer>): { batch: Uint8Array; done: boolean } {
  const taken: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < TRANSFER_BATCH_OCTETS) {
    const r = messages.next();
    if (r.done) {
      done = true;
      break;
    }
    taken.push(r.value);
    size += TCP_LENGTH_PREFIX + r.value.length;
  }
  const batch = new Uint8Array(new ArrayBuffer(size));
  let at = 0;
  for (const m of taken) {
    batch[at] = m.length >> 8;
    batch[at + 1] = m.length & 0xff;
    batch.set(m, at + TCP_LENGTH_PREFIX);
    at += TCP_LENGTH_PREFIX + m.length;
  }
  return { batch, done };
}
