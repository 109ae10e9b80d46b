import type { ZoneFacts } from '../answer/zone.js';
import { XFR_RESULTS, type XfrResult } from '../counters/queries.js';
import type { Logger } from '../log.js';
import { parseBlock, type AddressBlock } from '../transfer/access.js';
import { soaOnlyMessage } from '../transfer/axfr.js';
import { nextBatch } from '../transfer/batch.js';
import { ixfrMessages, ixfrRecordCount, planIxfr, type DifferenceSource } from '../transfer/ixfr.js';
import type { TransferRequest } from '../transfer/request.js';
import type { TransferSettings } from '../transfer/settings.js';
import { notServed, planTransfer, signAnswer, startTransfer, transferMessages } from '../transfer/transfer.js';
import { tsigSize } from '../transfer/tsig.js';
import { EDNS_DEFAULT_PAYLOAD, HEADER_SIZE, RCODE, rcodeName, TYPE } from '../wire/constants.js';
import { getAncount, getArcount, getNscount, getQdcount } from '../wire/header.js';
import { formatName, nameKey, skipName, type Name } from '../wire/name.js';

/**
 * A served zone, its transfer messages (src/transfer/axfr.ts axfrImage, made when it was compiled)
 * and the differences between its last versions (null: none kept): what a transfer is made of.
 */
export interface TransferSource {
  zone: ZoneFacts;
  axfr: Uint8Array;
  journal: DifferenceSource | null;
}

/** Where the listeners find the zones to transfer. */
export interface TransferZones {
  find(apexKey: string): TransferSource | undefined;
}

/** How a message leaves the ordinary answer path: not at all, as a transfer request, or signed. */
export const MESSAGE_KIND = { ORDINARY: 0, TRANSFER: 1, SIGNED: 2 } as const;

/** A transfer under way on a TCP connection: its framed messages, pulled as the socket drains. */
export interface TransferRun {
  /** The next messages, framed for TCP (and signed when the request was); null after the last. */
  next(): Promise<Uint8Array | null>;
  /** Ends it: `error` when it could not finish (logged); without, it finished or the client left. */
  end(error?: string): void;
}

const unixNow = (): number => Math.floor(Date.now() / 1000);

/**
 * The largest UDP answer to an IXFR: the client's payload size (RFC 6891 §6.2.5), no more than
 * the size that avoids fragmentation on common paths (DNS Flag Day 2020), as ordinary answers.
 */
function ixfrUdpLimit(request: TransferRequest): number {
  return Math.min(request.udpPayload, EDNS_DEFAULT_PAYLOAD);
}

/**
 * Zone transfers out (RFC 5936, RFC 1995) and signed queries (RFC 8945) at the listeners: the
 * requests are read and checked by src/transfer/, the zone's messages copied from those made when
 * it was compiled (or from its journal, for IXFR), and each transfer logged and counted. Ordinary queries pay one look at the question's type
 * (and, with keys configured, at the last record's type), without allocating.
 */
export class Transfers {
  private readonly keyed: boolean;

  /** `counts`: [result] as in XFR_RESULTS, eclipso_xfr_requests_total (the process's QueryCounters). */
  constructor(
    private readonly settings: TransferSettings,
    private readonly zones: TransferZones,
    private readonly log: Logger,
    private readonly counts: number[],
  ) {
    this.keyed = settings.access.keys.size > 0;
  }

  /** Whether `msg` asks for a transfer, carries a TSIG record, or neither. */
  kind(msg: Uint8Array, len: number): number {
    if (len < HEADER_SIZE || getQdcount(msg) !== 1) return MESSAGE_KIND.ORDINARY;
    const qEnd = skipName(msg, HEADER_SIZE, len);
    if (qEnd < 0 || qEnd + 4 > len) return MESSAGE_KIND.ORDINARY;
    const qtype = (msg[qEnd] << 8) | msg[qEnd + 1];
    if (qtype === TYPE.AXFR || qtype === TYPE.IXFR) return MESSAGE_KIND.TRANSFER;
    if (this.keyed && getArcount(msg) > 0 && lastRecordType(msg, qEnd + 4, len) === TYPE.TSIG) return MESSAGE_KIND.SIGNED;
    return MESSAGE_KIND.ORDINARY;
  }

  /** The ordinary answer to a signed query, signed (or the TSIG error, RFC 8945 §5.3). */
  sign(query: Uint8Array, answer: Buffer): Buffer {
    return signAnswer(query, answer, this.settings.access.keys, unixNow());
  }

  /**
   * A transfer request over UDP (RFC 1995 §2): an IXFR allowed for the client gets its
   * differences when they fit one datagram, else the current SOA alone (which tells a client that
   * is behind to ask again over TCP); everything else the RCODE `startTransfer` gives (NOTIMP for
   * AXFR, REFUSED, NOTAUTH).
   */
  udp(msg: Buffer, client: string): Buffer {
    const start = startTransfer(msg, client, this.settings.access, unixNow(), false, this.zoneAllow);
    if (start.kind === 'reply') return this.refused(client, start.rcode, start.why, start.message, 'udp', start.zone && formatName(start.zone));
    const source = this.zones.find(nameKey(start.request.qname));
    if (!source) return this.refused(client, RCODE.NOTAUTH, 'zone not served here', notServed(start, unixNow()), 'udp', formatName(start.request.qname));
    const { request, signer } = start;
    const plan = planIxfr(request.clientSerial!, source.zone.serial, source.journal, false);
    if (plan.kind === 'differences') {
      const limit = ixfrUdpLimit(request);
      const reserve = signer ? tsigSize(signer.key) : 0;
      const [m, more] = ixfrMessages(request, plan.steps, reserve, limit);
      if (more === undefined && m.length + reserve <= limit) {
        this.done(client, source.zone, 'ixfr', 'udp', 1, 0, 'IXFR', ixfrRecordCount(plan.steps));
        return signer ? signer.sign(m, unixNow()) : m;
      }
    }
    const m = soaOnlyMessage(request, source.zone);
    this.done(client, source.zone, 'ixfr', 'udp', 1, 0, 'current SOA', 1);
    return signer ? signer.sign(m, unixNow()) : m;
  }

  /**
   * A transfer request over TCP: a framed reply (refused, or the current SOA alone for an IXFR
   * that is up to date), or a run of messages to stream.
   */
  tcp(msg: Buffer, client: string): { reply: Buffer } | { run: TransferRun } {
    const start = startTransfer(msg, client, this.settings.access, unixNow(), true, this.zoneAllow);
    if (start.kind === 'reply') return { reply: this.refused(client, start.rcode, start.why, start.message, 'tcp', start.zone && formatName(start.zone)) };
    const source = this.zones.find(nameKey(start.request.qname));
    if (!source) return { reply: this.refused(client, RCODE.NOTAUTH, 'zone not served here', notServed(start, unixNow()), 'tcp', formatName(start.request.qname)) };
    const { zone } = source;
    const kind = start.request.qtype === TYPE.AXFR ? 'axfr' : 'ixfr';
    // The version served now is the one sent to the end, whatever replaces it meanwhile: the
    // journal's differences as they are now, or the transfer messages of the version served now.
    const plan = planTransfer(start, source);
    const messages = transferMessages(start, source, plan, unixNow);
    if (plan.kind === 'ixfr-current') {
      this.done(client, zone, 'ixfr', 'tcp', 1, 0, 'current SOA', 1);
      return { reply: messages.next().value as Buffer };
    }
    const records = plan.kind === 'ixfr' ? ixfrRecordCount(plan.steps) : zone.records + 1;
    const started = performance.now();
    let sent = 0;
    let done = false;
    let ended = false;
    const what = { axfr: 'AXFR', ixfr: 'IXFR', 'ixfr-full': 'AXFR-style IXFR' }[plan.kind];
    return {
      run: {
        next: async () => {
          if (done) return null;
          const r = nextBatch(messages);
          done = r.done;
          sent += r.count;
          return r.batch;
        },
        end: (error) => {
          if (ended) return;
          ended = true;
          done = true;
          if (error === undefined) {
            this.done(client, zone, kind, 'tcp', sent, performance.now() - started, what, records);
          } else {
            this.counts[XFR_RESULTS.indexOf('failed')]++;
            this.log.error('zone transfer failed', { client, zone: formatName(zone.apex), serial: zone.serial, messages: sent, error, todo: 'the client may retry; if this repeats, report it with the zone file' });
          }
        },
      },
    };
  }

  /** The requested zone's own `allow_transfer`, read as XFR_ALLOW is; undefined when its file sets none. */
  private readonly zoneAllow = (qname: Name): AddressBlock[] | undefined =>
    this.zones.find(nameKey(qname))?.zone.allowTransfer?.map((e, i) => parseBlock(e, i + 1));

  private refused(client: string, rcode: number, why: string, message: Buffer, transport: string, zone?: string): Buffer {
    this.counts[XFR_RESULTS.indexOf('refused')]++;
    this.log.warn('zone transfer refused', { client, zone, transport, rcode: rcodeName(rcode), why });
    return message;
  }

  private done(client: string, zone: ZoneFacts, kind: XfrResult, transport: string, messages: number, ms: number, what: string, records: number): void {
    this.counts[XFR_RESULTS.indexOf(kind)]++;
    this.log.info('zone transfer', {
      client, zone: formatName(zone.apex), serial: zone.serial, kind: what, transport, messages, records, ms: Math.round(ms * 10) / 10,
    });
  }
}

/** The type of the message's last record (RFC 8945 §5.1: where a TSIG must be), -1 when the records cannot be walked. */
function lastRecordType(b: Uint8Array, p: number, end: number): number {
  const count = getAncount(b) + getNscount(b) + getArcount(b);
  let type = -1;
  for (let i = 0; i < count; i++) {
    p = skipName(b, p, end);
    if (p < 0 || p + 10 > end) return -1;
    type = (b[p] << 8) | b[p + 1];
    p += 10 + ((b[p + 8] << 8) | b[p + 9]);
  }
  return p <= end ? type : -1;
}
