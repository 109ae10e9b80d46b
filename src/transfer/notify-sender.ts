import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { RCODE, rcodeName } from '../wire/constants.js';
import { formatName, type Name } from '../wire/name.js';
import type { SoaData } from '../zone/model.js';
import type { TsigKey } from './keys.js';
import { canonicalAddress, notifyMessage, notifyReply, type NotifyTarget } from './notify.js';
import { TsigSigner, verifyReply } from './tsig.js';

/**
 * RFC 1996 §3.6: a NOTIFY is sent again until it is answered, with the interval and the number of
 * tries as operational parameters. Ours: 5 tries, waiting 2 s for the first answer and twice as long
 * for each next one (2, 4, 8, 16, 32 s): a secondary that is down for about a minute is given up,
 * and learns of the change at its next SOA refresh (RFC 1034 §4.3.5).
 */
const NOTIFY_TRIES = 5;
const NOTIFY_FIRST_TIMEOUT_MS = 2000;

export interface NotifyOptions {
  /** Signs each NOTIFY (RFC 8945); the reply must then be signed with the same key. */
  key?: TsigKey | null;
  tries?: number;
  firstTimeoutMs?: number;
  /** Stops the sending (shutdown): targets not answered yet end as failed. */
  signal?: AbortSignal;
  /** Unix seconds, for signing and checking signatures. */
  clock?: () => number;
}

/** How one secondary answered: acknowledged (NOERROR), answered with an error, or not at all. */
export interface NotifyOutcome {
  target: string;
  acknowledged: boolean;
  tries: number;
  /** Why not acknowledged, for the log line. */
  why?: string;
}

interface Pending {
  target: NotifyTarget;
  id: number;
  message: Buffer;
  signer: TsigSigner | null;
  tries: number;
  timer: NodeJS.Timeout | null;
  done: boolean;
  /** A reply that failed its TSIG check: not an answer (it may be forged), but the likely reason if none comes. */
  badReply: string | null;
}

const targetText = (t: NotifyTarget): string => (t.family === 6 ? `[${t.address}]:${t.port}` : `${t.address}:${t.port}`);

/**
 * Tells the secondaries that the zone at `apex` now has this SOA (RFC 1996): a NOTIFY to each over
 * UDP, from one socket per address family, sent again with a doubling timeout until a reply comes
 * from that secondary's address and port with the NOTIFY's ID (random, RFC 5452 §9.2's defence
 * against spoofed replies), at most `tries` times. Resolves with each target's outcome; never rejects.
 */
export function sendNotify(targets: readonly NotifyTarget[], apex: Name, soa: { ttl: number; data: SoaData }, opts: NotifyOptions = {}): Promise<NotifyOutcome[]> {
  const tries = opts.tries ?? NOTIFY_TRIES;
  const firstTimeoutMs = opts.firstTimeoutMs ?? NOTIFY_FIRST_TIMEOUT_MS;
  const clock = opts.clock ?? ((): number => Math.floor(Date.now() / 1000));
  if (targets.length === 0) return Promise.resolve([]);
  return new Promise((resolve) => {
    const sockets = new Map<4 | 6, Socket>();
    const outcomes = new Map<Pending, NotifyOutcome>();
    const pending: Pending[] = targets.map((target) => {
      const id = randomInt(0, 0x10000);
      const signer = opts.key ? new TsigSigner(opts.key, null) : null;
      const unsigned = notifyMessage(id, apex, soa);
      return { target, id, message: signer ? signer.sign(unsigned, clock()) : unsigned, signer, tries: 0, timer: null, done: false, badReply: null };
    });

    const finish = (p: Pending, acknowledged: boolean, why?: string): void => {
      if (p.done) return;
      p.done = true;
      if (p.timer) clearTimeout(p.timer);
      outcomes.set(p, { target: targetText(p.target), acknowledged, tries: p.tries, ...(why === undefined ? {} : { why }) });
      if (outcomes.size < pending.length) return;
      opts.signal?.removeEventListener('abort', abort);
      for (const s of sockets.values()) s.close();
      resolve(pending.map((q) => outcomes.get(q)!));
    };

    const send = (p: Pending): void => {
      if (p.done) return;
      if (p.tries >= tries) {
        finish(p, false, p.badReply ?? `no reply after ${p.tries} tries`);
        return;
      }
      p.tries++;
      sockets.get(p.target.family)!.send(p.message, p.target.port, p.target.address, (e) => {
        // A send error (no route, say) counts as a try without a reply: the timer retries.
        if (e && p.tries >= tries) finish(p, false, `cannot send: ${e.message}`);
      });
      p.timer = setTimeout(() => send(p), firstTimeoutMs * 2 ** (p.tries - 1));
    };

    const onMessage = (msg: Buffer, from: { address: string; port: number }): void => {
      const address = canonicalAddress(from.address);
      for (const p of pending) {
        if (p.done || p.target.port !== from.port || p.target.address !== address) continue;
        const reply = notifyReply(msg, p.id, apex);
        if (!reply) continue;
        const bad = p.signer && verifyReply(msg, reply.message, p.signer, clock());
        if (bad) {
          p.badReply = `TSIG: ${bad}`;
          continue;
        }
        if (reply.rcode === RCODE.NOERROR) finish(p, true);
        else finish(p, false, `the secondary answered ${rcodeName(reply.rcode)} for ${formatName(apex)}`);
      }
    };

    const abort = (): void => {
      for (const p of pending) finish(p, false, 'stopped before a reply');
    };
    opts.signal?.addEventListener('abort', abort);

    for (const family of new Set(pending.map((p) => p.target.family))) {
      const socket = createSocket(family === 4 ? 'udp4' : 'udp6');
      socket.on('message', onMessage);
      // An ICMP error on a later send surfaces here; the tries go on until they run out.
      socket.on('error', () => {});
      sockets.set(family, socket);
    }
    if (opts.signal?.aborted) abort();
    else for (const p of pending) send(p);
  });
}
