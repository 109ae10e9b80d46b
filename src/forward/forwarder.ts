import { randomInt } from 'node:crypto';
import { QueryResult } from '../answer/result.js';
import type { ForwardSnapshot } from '../counters/forward.js';
import type { Logger } from '../log.js';
import { addressAllowed } from '../transfer/access.js';
import { FLAG2_RD, FLAG2_TC, HEADER_SIZE, RCODE, TCP_MAX_MESSAGE } from '../wire/constants.js';
import { FLAGS1_OFFSET, getRcode } from '../wire/header.js';
import { isSubdomain, readName } from '../wire/name.js';
import { WireReader } from '../wire/reader.js';
import { AnswerCache } from './cache.js';
import { exchangeTcp, exchangeUdp } from './exchange.js';
import { ConcurrencyGate } from './gate.js';
import { cacheable, clientAnswer, clientQuery, EDE_NO_REACHABLE_AUTHORITY, EDE_NONE, errorAnswer, upstreamQuery, type ClientQuery } from './message.js';
import type { ForwardSettings } from './settings.js';
import { Upstream } from './upstream.js';

/** Called with the answer for the client, and what it was for the counters and the query log. */
export type ForwardReply = (answer: Buffer, result: QueryResult) => void;

/**
 * The forwarder (issue 18): queries outside our zones, with RD=1, from a client in FORWARD_ALLOW,
 * answered from the cache or by the upstreams of FORWARD_TO, each asked in turn until one answers.
 * Everyone else gets what the responder answered (REFUSED, RA clear). One per DNS thread.
 */
export class Forwarder {
  private readonly upstreams: Upstream[];
  private readonly cache: AnswerCache;
  private readonly gate: ConcurrencyGate;
  private cacheHits = 0;
  private cacheMisses = 0;
  private concurrentRejects = 0;

  /**
   * `payload`: our EDNS size (EDNS_MAX_PAYLOAD); `sharedGate`: the process's FORWARD_MAX_CONCURRENT
   * counters (DNS threads), of which `gateIndex` is this thread's.
   */
  constructor(private readonly settings: ForwardSettings, private readonly payload: number, private readonly log: Logger, sharedGate?: SharedArrayBuffer, gateIndex = 0) {
    this.upstreams = settings.upstreams.map((t) => new Upstream(t, settings.timeoutMs, log));
    this.cache = new AnswerCache(settings.cacheSize);
    this.gate = new ConcurrencyGate(settings.maxConcurrent, sharedGate, gateIndex);
  }

  /**
   * Takes a query the responder found outside our zones (`result.qEnd`: the end of its question)
   * from `client`; false when it is not to be forwarded (RD clear, a client outside FORWARD_ALLOW,
   * a name outside FORWARD_ZONES), and the responder's REFUSED stands. Otherwise `reply` is called
   * once, at once from the cache or the concurrency cap, else when an upstream answered or none did.
   */
  take(q: Buffer, result: QueryResult, client: string, tcp: boolean, reply: ForwardReply): boolean {
    try {
      return this.tryTake(q, result, client, tcp, reply);
    } catch (e) {
      // A bug must not stop the server: the responder's REFUSED goes out instead.
      this.log.error('forwarder error; the query is answered REFUSED', { error: (e as Error).message, todo: 'this is a bug in Eclipso, please report it' });
      return false;
    }
  }

  private tryTake(q: Buffer, result: QueryResult, client: string, tcp: boolean, reply: ForwardReply): boolean {
    if ((q[FLAGS1_OFFSET] & FLAG2_RD) === 0 || !addressAllowed(this.settings.allow, client)) return false;
    const c = clientQuery(q, q.length, result.qEnd);
    if (this.settings.zones.length > 0 && !this.inForwardZones(c)) return false;
    const qtype = result.qtype;
    const limit = tcp ? TCP_MAX_MESSAGE : Math.min(c.udpSize, this.payload);
    const cached = this.cache.get(c.key);
    if (cached !== null) {
      this.cacheHits++;
      this.send(reply, clientAnswer(cached.entry.reply, cached.entry.shape, c, cached.age, this.payload, limit), qtype);
      return true;
    }
    this.cacheMisses++;
    if (!this.gate.tryEnter()) {
      this.concurrentRejects++;
      this.send(reply, errorAnswer(c, RCODE.REFUSED, this.payload, EDE_NONE), qtype);
      return true;
    }
    void this.resolve(c).finally(() => this.gate.leave()).then((answer) => this.send(reply, this.fromUpstream(c, answer, limit), qtype)).catch((e: Error) => {
      this.log.error('forwarder error; the query goes unanswered', { error: e.message, todo: 'this is a bug in Eclipso, please report it' });
    });
    return true;
  }

  /** The client's answer from an upstream's reply (cached on the way), or SERVFAIL when there was none or it does not parse. */
  private fromUpstream(c: ClientQuery, answer: Buffer | null, limit: number): Buffer {
    if (answer === null) return errorAnswer(c, RCODE.SERVFAIL, this.payload, EDE_NO_REACHABLE_AUTHORITY);
    const shape = cacheable(answer);
    if (shape === null) return errorAnswer(c, RCODE.SERVFAIL, this.payload, EDE_NONE);
    this.cache.put(c.key, answer, shape);
    return clientAnswer(answer, shape, c, 0, this.payload, limit);
  }

  private inForwardZones(c: ClientQuery): boolean {
    try {
      const name = readName(new WireReader(c.head, HEADER_SIZE, c.head.length));
      return this.settings.zones.some((z) => isSubdomain(name, z));
    } catch {
      return false;
    }
  }

  private send(reply: ForwardReply, answer: Buffer, qtype: number): void {
    const r = new QueryResult();
    r.qtype = qtype;
    r.rcode = getRcode(answer);
    r.truncated = (answer[FLAGS1_OFFSET] & FLAG2_TC) !== 0;
    reply(answer, r);
  }

  /**
   * Asks the healthy upstreams in the policy's order (all of them when none is healthy), each
   * until FORWARD_TIMEOUT; a reply with TC=1 is asked again over TCP. SERVFAIL and REFUSED mean
   * "not from me": the next upstream is asked, and the last such reply is the answer if no other
   * comes. Null when no upstream replied.
   */
  private async resolve(c: ClientQuery): Promise<Buffer | null> {
    const healthy = this.upstreams.filter((u) => u.healthy);
    const order = healthy.length > 0 ? healthy : [...this.upstreams];
    if (this.settings.policy === 'random') shuffle(order);
    let fallback: Buffer | null = null;
    for (const u of order) {
      const answer = await this.ask(u, c);
      if (answer === null) continue;
      const rcode = getRcode(answer);
      if (rcode !== RCODE.SERVFAIL && rcode !== RCODE.REFUSED) return answer;
      fallback = answer;
    }
    return fallback;
  }

  /** One upstream's reply (over TCP after TC=1), counted; null on a timeout or an error. */
  private async ask(u: Upstream, c: ClientQuery): Promise<Buffer | null> {
    const query = upstreamQuery(c, randomInt(0, 0x10000));
    const timeoutMs = this.settings.timeoutMs;
    const counters = u.counters;
    const started = performance.now();
    counters.queries++;
    let e = await exchangeUdp(u.target, query, timeoutMs);
    if (e.kind === 'reply' && (e.reply[FLAGS1_OFFSET] & FLAG2_TC) !== 0) e = await exchangeTcp(u.target, query, timeoutMs);
    if (e.kind === 'reply') {
      counters.answered(getRcode(e.reply), (performance.now() - started) / 1000);
      u.succeeded();
      return e.reply;
    }
    if (e.kind === 'timeout') counters.timeouts++;
    u.failed(e.kind === 'timeout' ? `no reply within ${timeoutMs / 1000} s` : e.message);
    return null;
  }

  snapshot(): ForwardSnapshot {
    return {
      upstreams: this.upstreams.map((u) => u.counters.snapshot()),
      cacheHits: this.cacheHits,
      cacheMisses: this.cacheMisses,
      cacheEntries: this.cache.size,
      concurrentRejects: this.concurrentRejects,
    };
  }

  /** Stops the background probes (queries in flight end by their timeout). */
  close(): void {
    for (const u of this.upstreams) u.close();
  }
}

/** Fisher–Yates, for FORWARD_POLICY=random. */
function shuffle<T>(a: T[]): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = randomInt(0, i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
}
