/**
 * Response rate limiting at the UDP listener (as BIND's RRL, NSD's and Knot's): responses are
 * accounted per client prefix (RRL_IPV4_PREFIX, RRL_IPV6_PREFIX) and per what they are, so that a
 * flood of random names does not escape the limit (a known bypass of CoreDNS's rrl):
 *   positive answers and NODATA   per question name and type
 *   NXDOMAIN                      per zone
 *   wildcard answers              per wildcard (its closest encloser)
 *   referrals                     per delegation point
 *   errors (REFUSED, FORMERR...)  all together
 * Past RRL_RATE a second, a response is dropped, or every RRL_SLIP-th sent truncated (TC=1) so a
 * real client asks again over TCP, which is never limited. RRL_ALLOW's prefixes are not limited.
 */
import type { QueryResult } from '../answer/result.js';
import { RRL_COUNTS } from '../counters/queries.js';
import { clientOctets } from '../guard/address.js';
import { RateTable, RRL_ACTION } from '../guard/rrl.js';
import type { RrlSettings } from '../guard/settings.js';
import type { AddressBlock } from '../transfer/access.js';
import { FLAG2_AA, HEADER_SIZE, POINTER_MASK, RCODE } from '../wire/constants.js';
import { FLAGS1_OFFSET, getAncount, getNscount, getRcode } from '../wire/header.js';
import { lowerByte } from '../wire/name.js';

/** What a response is accounted as (mixed into its key). */
const KIND = { POSITIVE: 1, NODATA: 2, NXDOMAIN: 3, WILDCARD: 4, REFERRAL: 5, ERROR: 6 } as const;
const LOWER = Uint8Array.from({ length: 256 }, (_, b) => lowerByte(b));
/** FNV-1a (32-bit) offset basis and prime; a second basis gives the table's independent tag. */
const FNV_BASIS = 0x811c9dc5;
const FNV_BASIS_2 = 0x01000193 ^ 0x5bd1e995;
const FNV_PRIME = 0x01000193;

export { RRL_ACTION };

const LIMITED = RRL_COUNTS.indexOf('limited');
const SLIPPED = RRL_COUNTS.indexOf('slipped');
const DROPPED = RRL_COUNTS.indexOf('dropped');
const ENTRIES = RRL_COUNTS.indexOf('table_entries');

export class RateLimiter {
  readonly table: RateTable;
  private readonly ip = new Uint8Array(16);
  private h1 = 0;
  private h2 = 0;

  /** `counts`: as in RRL_COUNTS (the listener's QueryCounters). */
  constructor(private readonly settings: RrlSettings, private readonly counts: number[]) {
    this.table = new RateTable(settings.rate, settings.slip);
  }

  /**
   * What to do with the response `out` to `q` (question ending at `result.qEnd`) for `client` at
   * `nowMs`: RRL_ACTION.SEND, DROP or SLIP.
   */
  decide(q: Uint8Array, out: Uint8Array, result: QueryResult, client: string, nowMs: number): number {
    const ipLen = clientOctets(client, this.ip);
    if (ipLen === 0 || this.allowed(ipLen)) return RRL_ACTION.SEND;
    this.h1 = FNV_BASIS;
    this.h2 = FNV_BASIS_2;
    // The client's prefix: the octets it covers, the last one masked.
    const prefix = ipLen === 4 ? this.settings.ipv4Prefix : this.settings.ipv6Prefix;
    this.mix(ipLen);
    for (let i = 0; i * 8 < prefix; i++) this.mix(i * 8 + 8 <= prefix ? this.ip[i] : this.ip[i] & (0xff << (8 - (prefix - i * 8))));
    this.account(q, out, result);
    const action = this.table.account(this.h1 >>> 0, this.h2 >>> 0, nowMs);
    this.counts[ENTRIES] = this.table.entries;
    if (action !== RRL_ACTION.SEND) {
      this.counts[LIMITED]++;
      this.counts[action === RRL_ACTION.SLIP ? SLIPPED : DROPPED]++;
    }
    return action;
  }

  /** Mixes the response's kind and name into the key. */
  private account(q: Uint8Array, out: Uint8Array, result: QueryResult): void {
    const qEnd = result.qEnd;
    const rcode = getRcode(out);
    if (qEnd === 0 || (rcode !== RCODE.NOERROR && rcode !== RCODE.NXDOMAIN)) {
      this.mix(KIND.ERROR);
      return;
    }
    const nameEnd = qEnd - 4;
    const below = result.belowQuery === q;
    if (rcode === RCODE.NXDOMAIN) {
      this.mix(KIND.NXDOMAIN);
      // The zone: its apex is the question name's last octets (RFC 4343: compared lower-cased).
      const apex = below ? result.apexOctets : nameEnd - HEADER_SIZE;
      this.mixName(q, nameEnd - apex, nameEnd);
      return;
    }
    if ((out[FLAGS1_OFFSET] & FLAG2_AA) === 0 && getAncount(out) === 0 && getNscount(out) > 0) {
      this.mix(KIND.REFERRAL);
      // The delegation point: the owner of the first authority record, a pointer into the question.
      const ptr = ((out[qEnd] & ~POINTER_MASK) << 8) | out[qEnd + 1];
      const from = (out[qEnd] & POINTER_MASK) === POINTER_MASK && ptr >= HEADER_SIZE && ptr < nameEnd ? ptr : HEADER_SIZE;
      this.mixName(q, from, nameEnd);
      return;
    }
    if (below) {
      this.mix(KIND.WILDCARD);
      this.mixName(q, HEADER_SIZE + result.encloserAt, nameEnd);
      return;
    }
    this.mix(getAncount(out) > 0 ? KIND.POSITIVE : KIND.NODATA);
    this.mixName(q, HEADER_SIZE, nameEnd);
    this.mix(result.qtype >> 8);
    this.mix(result.qtype & 0xff);
  }

  private mixName(q: Uint8Array, from: number, to: number): void {
    for (let i = from; i < to; i++) this.mix(LOWER[q[i]]);
  }

  private mix(b: number): void {
    this.h1 = Math.imul(this.h1 ^ b, FNV_PRIME);
    this.h2 = Math.imul(this.h2 ^ b, FNV_PRIME) ^ (this.h2 >>> 15);
  }

  private allowed(ipLen: number): boolean {
    const allow = this.settings.allow;
    for (let i = 0; i < allow.length; i++) {
      if (allow[i].octets.length === ipLen && inBlock(this.ip, allow[i])) return true;
    }
    return false;
  }
}

function inBlock(ip: Uint8Array, block: AddressBlock): boolean {
  const { octets, prefix } = block;
  let i = 0;
  for (; i * 8 + 8 <= prefix; i++) if (ip[i] !== octets[i]) return false;
  const rest = prefix - i * 8;
  return rest === 0 || ((ip[i] ^ octets[i]) & (0xff << (8 - rest)) & 0xff) === 0;
}
