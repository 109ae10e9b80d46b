/**
 * The EDNS options a response gains beside its answer: the server cookie (RFC 7873, RFC 9018) and
 * the NSID (RFC 5001). Applied to a response the responder built, before it is sent: the
 * responder kept room for them (`room`). Nothing here allocates per query.
 */
import { OPT_RR_SIZE, RCODE } from '../wire/constants.js';
import { clientOctets } from './address.js';
import { CLIENT_COOKIE_SIZE, COOKIE_CHECK, SERVER_COOKIE_MAX, SERVER_COOKIE_MIN, SERVER_COOKIE_SIZE, type CookieMaker } from './cookie.js';
import { closeOpt, cutToOpt, findOpt, OPTION, OPT_RDLENGTH_AT, OPTION_HEADER_SIZE, responseOpt, writeOptionHeader } from './options.js';

/** RFC 7873 §8: BADCOOKIE, an extended RCODE. */
export const RCODE_BADCOOKIE = 23;

/** What the last query's cookie was worth: the rate limiter lets VALID through (RFC 7873 §5.2.5). */
export const COOKIE_STATE = {
  /** No COOKIE option, or cookies off. */
  NONE: 0,
  /** A client cookie alone, or with a server cookie that is not valid (RFC 7873 §5.2.3, §5.2.4). */
  CLIENT: 1,
  /** A client cookie and a valid server cookie of ours (RFC 7873 §5.2.5). */
  VALID: 2,
} as const;

const COOKIE_OPTION_SIZE = OPTION_HEADER_SIZE + CLIENT_COOKIE_SIZE + SERVER_COOKIE_SIZE;

/** The NSID option holding `nsid` (RFC 5001 §2.3). */
function nsidOption(nsid: Uint8Array): Uint8Array {
  const option = new Uint8Array(OPTION_HEADER_SIZE + nsid.length);
  option.set(nsid, writeOptionHeader(option, 0, OPTION.NSID, nsid.length));
  return option;
}

export class EdnsExtras {
  /** Octets our options take at most: what the responder keeps free in a UDP answer for them. */
  readonly room: number;
  /** The cookie of the last query finished. */
  cookie: number = COOKIE_STATE.NONE;
  /** The last query's options were malformed: its response was made FORMERR. */
  malformed = false;
  /** Where our OPT RR starts and ends in the last response finished (0: it has none). */
  opt = 0;
  optEnd = 0;
  private readonly ip = new Uint8Array(16);
  /** The whole NSID option (code, length, data), made once: copied into each answer that asks. */
  private readonly nsidOption: Uint8Array | null;

  constructor(nsid: Uint8Array | null, private readonly cookies: CookieMaker | null) {
    this.nsidOption = nsid === null ? null : nsidOption(nsid);
    this.room = (this.nsidOption?.length ?? 0) + (cookies ? COOKIE_OPTION_SIZE : 0);
  }

  /**
   * Adds the options the query (`q`, `qlen` octets, question ending at `qEnd`) asks for to the
   * response `out` of `n` octets from `client`, at `now` (Unix seconds). Returns the response's new
   * length: FORMERR for a malformed COOKIE option (RFC 7873 §5.2.2).
   */
  finish(q: Uint8Array, qlen: number, qEnd: number, out: Buffer, n: number, client: string, now: number): number {
    this.cookie = COOKIE_STATE.NONE;
    this.opt = 0;
    this.malformed = false;
    if (qEnd === 0) return n;
    const opt = findOpt(q, qlen, qEnd);
    const ours = opt === 0 ? 0 : responseOpt(out, n);
    if (ours === 0) return n;
    this.opt = ours;
    // The options: RDATA, RDLENGTH octets after the fixed part (RFC 6891 §6.1.2).
    const end = opt + OPT_RR_SIZE + ((q[opt + OPT_RDLENGTH_AT] << 8) | q[opt + OPT_RDLENGTH_AT + 1]);
    let cookieAt = 0;
    let cookieLength = 0;
    let nsidAsked = false;
    for (let p = opt + OPT_RR_SIZE; p < end;) {
      if (p + OPTION_HEADER_SIZE > end) return this.formerr(out, qEnd, ours);
      const code = (q[p] << 8) | q[p + 1];
      const length = (q[p + 2] << 8) | q[p + 3];
      p += OPTION_HEADER_SIZE;
      if (p + length > end) return this.formerr(out, qEnd, ours);
      if (code === OPTION.COOKIE && this.cookies !== null) {
        // RFC 7873 §5.2.2: a client cookie alone, or with a server cookie of 8 to 32 octets, once.
        const server = length - CLIENT_COOKIE_SIZE;
        if (cookieAt !== 0 || (server !== 0 && (server < SERVER_COOKIE_MIN || server > SERVER_COOKIE_MAX))) return this.formerr(out, qEnd, ours);
        cookieAt = p;
        cookieLength = length;
      } else if (code === OPTION.NSID) {
        // RFC 5001 §2.1: the query's NSID option is empty.
        nsidAsked = length === 0;
      }
      p += length;
    }
    let at = n;
    if (cookieAt !== 0) at = this.addCookie(q, cookieAt, cookieLength, client, now, out, at);
    if (nsidAsked && this.nsidOption !== null) {
      out.set(this.nsidOption, at);
      at += this.nsidOption.length;
    }
    closeOpt(out, ours, at);
    this.optEnd = at;
    return at;
  }

  /** Writes our COOKIE option at `at`: the client cookie and ours, the same or a fresh one. */
  private addCookie(q: Uint8Array, client: number, length: number, from: string, now: number, out: Uint8Array, at: number): number {
    const cookies = this.cookies!;
    const ipLen = clientOctets(from, this.ip);
    const server = client + CLIENT_COOKIE_SIZE;
    const check = length > CLIENT_COOKIE_SIZE ? cookies.check(q, client, server, length - CLIENT_COOKIE_SIZE, this.ip, ipLen, now) : COOKIE_CHECK.INVALID;
    this.cookie = check === COOKIE_CHECK.INVALID ? COOKIE_STATE.CLIENT : COOKIE_STATE.VALID;
    const data = writeOptionHeader(out, at, OPTION.COOKIE, CLIENT_COOKIE_SIZE + SERVER_COOKIE_SIZE);
    for (let i = 0; i < CLIENT_COOKIE_SIZE; i++) out[data + i] = q[client + i];
    if (check === COOKIE_CHECK.VALID) {
      for (let i = 0; i < SERVER_COOKIE_SIZE; i++) out[data + CLIENT_COOKIE_SIZE + i] = q[server + i];
    } else {
      cookies.make(q, client, this.ip, ipLen, now, out, data + CLIENT_COOKIE_SIZE);
    }
    return data + CLIENT_COOKIE_SIZE + SERVER_COOKIE_SIZE;
  }

  /** RFC 7873 §5.2.2: a malformed COOKIE option gets FORMERR, with our OPT and no options. */
  private formerr(out: Buffer, qEnd: number, ours: number): number {
    closeOpt(out, ours, ours + OPT_RR_SIZE);
    this.opt = 0;
    this.malformed = true;
    return cutToOpt(out, qEnd, ours, ours + OPT_RR_SIZE, RCODE.FORMERR);
  }

  /**
   * RFC 7873 §5.2.3: under rate limiting, a query with a client cookie and no valid server cookie
   * may get BADCOOKIE, with the fresh server cookie, instead of an answer: the client asks again
   * with it and is then not limited. Cuts the last response finished to that; returns its length.
   */
  badCookie(out: Buffer, qEnd: number): number {
    return cutToOpt(out, qEnd, this.opt, this.optEnd, RCODE_BADCOOKIE);
  }
}
