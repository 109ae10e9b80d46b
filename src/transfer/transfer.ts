/**
 * A transfer request from reading to the last response message: read it, check its TSIG and who
 * sent it, then (once the caller has found the zone) stream the answer, every message signed when
 * the request was. The caller does the I/O: it frames the messages on the TCP connection, pulling
 * the next one only when the socket has drained (back-pressure), and logs what `startTransfer`
 * and `planTransfer` say.
 */
import { CLASS, RCODE, TYPE } from '../wire/constants.js';
import type { Name } from '../wire/name.js';
import type { Zone } from '../zone/model.js';
import { refusal, zoneTransfersOn, type AddressBlock, type TransferAccess } from './access.js';
import { axfrFromImage, soaOnlyMessage } from './axfr.js';
import type { ZoneDifference } from './difference.js';
import { ixfrMessages, planIxfr, type DifferenceSource } from './ixfr.js';
import { readHead, readTransferRequest, type TransferRequest } from './request.js';
import { errorResponse, headerOnlyResponse } from './response.js';
import type { TsigKey } from './keys.js';
import { readMessage } from './message.js';
import { findTsig, tsigErrorName, TsigSigner, tsigErrorResponse, tsigSize, verifyRequest } from './tsig.js';

/** The request's outcome before the zone is needed. */
export type TransferStart =
  /**
   * Answered at once with `message` (an error, or a refusal): `why` is for the log line, and
   * `zone`, the zone asked for, when the request could be read.
   */
  | { kind: 'reply'; message: Buffer; rcode: number; why: string; zone?: Name }
  /** Allowed: the caller finds the zone named `request.qname` and streams `transferMessages`. */
  | { kind: 'allowed'; request: TransferRequest; signer: TsigSigner | null; overTcp: boolean };

/**
 * Reads and checks a message `isTransferQuery` accepted, from `client` (its address), at `now`
 * (Unix seconds). `zoneAllow` gives the requested zone's own `allow_transfer` (undefined when its
 * file sets none, or no such zone is served), which replaces `access.allow` for it. Order as
 * RFC 8945 §5.2 and NSD: a malformed request gets FORMERR; with transfers off (for that zone),
 * REFUSED; a bad signature its TSIG error (NOTAUTH); then access (REFUSED); AXFR over UDP NOTIMP
 * (RFC 5936 §4.2 keeps AXFR to TCP); classes other than IN NOTAUTH. Answers to a signed request
 * are signed.
 */
export function startTransfer(
  msg: Uint8Array, client: string, access: TransferAccess, now: number, overTcp: boolean,
  zoneAllow: (qname: Name) => readonly AddressBlock[] | undefined = () => undefined,
): TransferStart {
  const req = readTransferRequest(msg);
  if ('rcode' in req) {
    const head = readHead(msg);
    const message = head ? errorResponse({ ...head, edns: req.rcode === RCODE.BADVERS }, req.rcode) : headerOnlyResponse(msg, req.rcode);
    return { kind: 'reply', message, rcode: req.rcode, why: req.why };
  }
  const own = zoneAllow(req.qname);
  // Transfers off (for this zone): REFUSED whatever the request carries, as before transfers were offered.
  if (!zoneTransfersOn(access, own)) return { kind: 'reply', message: errorResponse(req, RCODE.REFUSED), rcode: RCODE.REFUSED, why: refusal(access, client, null, own)!, zone: req.qname };
  let signer: TsigSigner | null = null;
  if (req.tsig) {
    const v = verifyRequest(msg, req.tsig, access.keys, now);
    if (v.status === 'formerr') return { kind: 'reply', message: errorResponse(req, RCODE.FORMERR), rcode: RCODE.FORMERR, why: v.why, zone: req.qname };
    if (v.status === 'error') {
      const message = tsigErrorResponse(errorResponse(req, RCODE.NOTAUTH), v.tsig, v.error, v.key, now);
      return { kind: 'reply', message, rcode: RCODE.NOTAUTH, why: `TSIG ${tsigErrorName(v.error)}: ${v.why}`, zone: req.qname };
    }
    signer = new TsigSigner(v.key, v.tsig.mac);
  }
  const reply = (rcode: number, why: string): TransferStart => {
    const message = errorResponse(req, rcode);
    return { kind: 'reply', message: signer ? signer.sign(message, now) : message, rcode, why, zone: req.qname };
  };
  const refused = refusal(access, client, signer?.key ?? null, own);
  if (refused) return reply(RCODE.REFUSED, refused);
  if (req.qtype === TYPE.AXFR && !overTcp) return reply(RCODE.NOTIMP, 'AXFR over UDP (RFC 5936 §4.2: TCP only)');
  if (req.qclass !== CLASS.IN) return reply(RCODE.NOTAUTH, `class ${req.qclass}: only IN is served`);
  return { kind: 'allowed', request: req, signer, overTcp };
}

/** The answer to an allowed request for a zone not served here: NOTAUTH, as NSD and Knot answer. */
export function notServed(start: Extract<TransferStart, { kind: 'allowed' }>, now: number): Buffer {
  const message = errorResponse(start.request, RCODE.NOTAUTH);
  return start.signer ? start.signer.sign(message, now) : message;
}

/**
 * The served version of a zone a transfer is made of: its SOA, its transfer messages (axfr.ts
 * `axfrImage`, made when it was compiled) and the differences kept from its earlier versions.
 */
export interface TransferVersion {
  zone: Pick<Zone, 'apex' | 'soa'>;
  axfr: Uint8Array;
  journal: DifferenceSource | null;
}

/**
 * What answers an allowed request over TCP: the whole zone (AXFR, or an IXFR from a version the
 * journal does not hold, RFC 1995 §4), the current SOA alone (an IXFR from the current version),
 * or the differences from the client's version.
 */
export type TransferPlan =
  | { kind: 'axfr' | 'ixfr-full' | 'ixfr-current' }
  | { kind: 'ixfr'; steps: ZoneDifference[] };

export function planTransfer(start: Extract<TransferStart, { kind: 'allowed' }>, version: TransferVersion): TransferPlan {
  const req = start.request;
  if (req.qtype === TYPE.AXFR) return { kind: 'axfr' };
  const plan = planIxfr(req.clientSerial!, version.zone.soa.data.serial, version.journal, start.overTcp);
  return plan.kind === 'differences' ? { kind: 'ixfr', steps: plan.steps } : { kind: plan.kind === 'current' ? 'ixfr-current' : 'ixfr-full' };
}

/**
 * The response messages of `plan`, made one at a time as they are pulled; each signed (with
 * `clock()`'s Unix seconds, RFC 8945 §5.3.1: each MAC chained to the one before) when the request
 * was. They are those of `version` to the end: a new version arriving meanwhile does not change them.
 */
export function* transferMessages(start: Extract<TransferStart, { kind: 'allowed' }>, version: TransferVersion, plan: TransferPlan, clock: () => number): Generator<Buffer> {
  const { request, signer } = start;
  const messages = plan.kind === 'ixfr-current' ? [soaOnlyMessage(request, version.zone)]
    : plan.kind === 'ixfr' ? ixfrMessages(request, plan.steps, signer ? tsigSize(signer.key) : 0)
      : axfrFromImage(request, version.axfr);
  for (const m of messages) yield signer ? signer.sign(m, clock()) : m;
}

/**
 * The answer to a signed query that is not a transfer, signed in turn (RFC 8945 §5.3): a secondary
 * signs the SOA query it sends before a transfer (Knot does) and takes no unsigned answer to it.
 * `answer` is what the ordinary answer path made for `query`. Returns it signed when the query's
 * TSIG verifies; the TSIG error (NOTAUTH, header and question only) when it does not; FORMERR when
 * the TSIG cannot be read; `answer` as it is when the query is not signed. Call it only when keys
 * are configured and the query has additional records: other queries never pay for it.
 */
export function signAnswer(query: Uint8Array, answer: Buffer, keys: ReadonlyMap<string, TsigKey>, now: number): Buffer {
  let tsig;
  try {
    tsig = findTsig(query, readMessage(query));
  } catch {
    return headerOnlyResponse(query, RCODE.FORMERR);
  }
  if (!tsig) return answer;
  const v = verifyRequest(query, tsig, keys, now);
  if (v.status === 'ok') return new TsigSigner(v.key, tsig.mac).sign(answer, now);
  if (v.status === 'formerr') return headerOnlyResponse(query, RCODE.FORMERR);
  const head = readHead(query);
  const refused = head ? errorResponse({ ...head, edns: false }, RCODE.NOTAUTH) : headerOnlyResponse(query, RCODE.NOTAUTH);
  return tsigErrorResponse(refused, tsig, v.error, v.key, now);
}
