import { serialGreater } from './serial.js';

/**
 * How an IXFR is answered without a journal of differences (RFC 1995):
 * - `current`: the current SOA alone. §2: a client with the same or a newer serial is up to date;
 *   over UDP, a client that is behind learns from it that it must ask again over TCP.
 * - `full`: the whole zone, as AXFR sends it (§4: "the server may respond with a full zone
 *   transfer", which the client recognises since the second record is not an SOA).
 */
export type IxfrAnswer = 'current' | 'full';

export function ixfrAnswer(clientSerial: number, serial: number, overTcp: boolean): IxfrAnswer {
  if (clientSerial === serial || serialGreater(clientSerial, serial) || !overTcp) return 'current';
  return 'full';
}
