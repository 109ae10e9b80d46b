import type { QueryResult } from '../answer/result.js';
import { CookieMaker } from '../guard/cookie.js';
import { COOKIE_STATE, EdnsExtras, RCODE_BADCOOKIE } from '../guard/extras.js';
import { cutToOpt } from '../guard/options.js';
import type { GuardSettings } from '../guard/settings.js';
import { FLAG2_TC, HEADER_SIZE, RCODE } from '../wire/constants.js';
import { ANCOUNT_OFFSET, FLAGS1_OFFSET, getRcode } from '../wire/header.js';
import { RateLimiter, RRL_ACTION } from './rrl.js';

/**
 * What the listeners do to a response after the responder built it, when any of it is on: the
 * server cookie and NSID options (src/guard/extras.ts), then, over UDP only, rate limiting
 * (./rrl.ts), which a client with a valid server cookie skips (RFC 7873 §5.2.5: it cannot be
 * spoofing its address). A listener without any of them has no Guard: its query path is unchanged.
 */
export class Guard {
  /** Null when neither cookies nor NSID are on. */
  readonly extras: EdnsExtras | null;
  private readonly limiter: RateLimiter | null;

  /** `rrlCounts`: as in RRL_COUNTS (the listener's QueryCounters). */
  constructor(settings: GuardSettings, rrlCounts: number[]) {
    const cookies = settings.cookieSecret ? new CookieMaker(settings.cookieSecret, settings.cookieSecretPrevious) : null;
    this.extras = cookies !== null || settings.nsid !== null ? new EdnsExtras(settings.nsid, cookies) : null;
    this.limiter = settings.rrl.rate > 0 ? new RateLimiter(settings.rrl, rrlCounts) : null;
  }

  /** Whether a guard has anything to do with these settings. */
  static needed(settings: GuardSettings): boolean {
    return settings.cookieSecret !== null || settings.nsid !== null || settings.rrl.rate > 0;
  }

  /** Octets the responder keeps free in UDP answers for our options. */
  get room(): number {
    return this.extras?.room ?? 0;
  }

  /**
   * The response to send over UDP, of the returned length: `n` octets of `out` with our options,
   * cut to TC=1 or BADCOOKIE when it slips; 0 when rate limiting drops it.
   */
  udp(q: Buffer, out: Buffer, n: number, result: QueryResult, client: string): number {
    const now = Date.now();
    const extras = this.extras;
    if (extras !== null) n = this.finish(extras, q, out, n, result, client, now);
    if (this.limiter === null || (extras !== null && extras.cookie === COOKIE_STATE.VALID)) return n;
    const action = this.limiter.decide(q, out, result, client, now);
    if (action === RRL_ACTION.SEND) return n;
    if (action === RRL_ACTION.DROP) return 0;
    const qEnd = result.qEnd === 0 ? HEADER_SIZE : result.qEnd;
    if (extras !== null && extras.cookie === COOKIE_STATE.CLIENT) {
      // RFC 7873 §5.2.3: rather than TC, BADCOOKIE with the fresh cookie: its retry is not limited.
      n = extras.badCookie(out, qEnd);
      result.rcode = RCODE_BADCOOKIE;
    } else if (extras !== null && extras.opt !== 0) {
      n = cutToOpt(out, qEnd, extras.opt, extras.optEnd, getRcode(out));
      out[FLAGS1_OFFSET] |= FLAG2_TC;
    } else {
      // As BIND's slip: the header and question alone, TC=1 (RFC 2181 §9: ask again over TCP).
      out.fill(0, ANCOUNT_OFFSET, HEADER_SIZE);
      out[FLAGS1_OFFSET] |= FLAG2_TC;
      n = qEnd;
    }
    result.truncated = (out[FLAGS1_OFFSET] & FLAG2_TC) !== 0;
    return n;
  }

  /** The response to send over TCP: with our options (TCP is never rate limited). */
  tcp(q: Buffer, out: Buffer, n: number, result: QueryResult, client: string): number {
    return this.extras === null ? n : this.finish(this.extras, q, out, n, result, client, Date.now());
  }

  private finish(extras: EdnsExtras, q: Buffer, out: Buffer, n: number, result: QueryResult, client: string, now: number): number {
    const len = extras.finish(q, q.length, result.qEnd, out, n, client, Math.floor(now / 1000));
    if (extras.malformed) result.rcode = RCODE.FORMERR;
    return len;
  }
}
