import { randomInt } from 'node:crypto';
import { UpstreamCounters } from '../counters/forward.js';
import type { Logger } from '../log.js';
import type { NotifyTarget } from '../transfer/notify.js';
import { CLASS, FLAG2_RD, HEADER_SIZE, TYPE } from '../wire/constants.js';
import { exchangeUdp } from './exchange.js';

/**
 * Failures in a row (timeouts, unreachable) after which an upstream is marked unhealthy and
 * skipped: CoreDNS forward's max_fails default.
 */
const MAX_FAILS = 2;
/** How often an unhealthy upstream is probed in the background: CoreDNS forward's health_check default. */
export const PROBE_INTERVAL_MS = 500;

/** `. IN NS` with a fresh ID, as CoreDNS probes: any reply at all shows the upstream is back. */
function probeQuery(): Buffer {
  const q = Buffer.alloc(HEADER_SIZE + 5);
  q.writeUInt16BE(randomInt(0, 0x10000), 0);
  q[2] = FLAG2_RD;
  q.writeUInt16BE(1, 4);
  q.writeUInt16BE(TYPE.NS, HEADER_SIZE + 1);
  q.writeUInt16BE(CLASS.IN, HEADER_SIZE + 3);
  return q;
}

/**
 * One upstream of FORWARD_TO: its counters and its health, from the queries themselves (in band):
 * MAX_FAILS failures in a row mark it unhealthy; it is then skipped and probed every
 * PROBE_INTERVAL_MS until it answers.
 */
export class Upstream {
  readonly label: string;
  readonly counters: UpstreamCounters;
  private fails = 0;
  private probe: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(readonly target: NotifyTarget, private readonly timeoutMs: number, private readonly log: Logger) {
    this.label = target.family === 6 ? `[${target.address}]:${target.port}` : `${target.address}:${target.port}`;
    this.counters = new UpstreamCounters(this.label);
  }

  get healthy(): boolean {
    return this.probe === null;
  }

  /** It answered (whatever the RCODE): it is up. */
  succeeded(): void {
    this.fails = 0;
  }

  /** It timed out or could not be reached. */
  failed(why: string): void {
    this.fails++;
    if (this.fails < MAX_FAILS || !this.healthy || this.closed) return;
    this.counters.healthFailures++;
    this.log.warn('upstream unhealthy; skipped until it answers a probe', { upstream: this.label, failures: this.fails, why });
    this.probe = setTimeout(() => this.sendProbe(), PROBE_INTERVAL_MS).unref();
  }

  private sendProbe(): void {
    void exchangeUdp(this.target, probeQuery(), this.timeoutMs).then((e) => {
      if (this.closed) return;
      if (e.kind === 'reply') {
        this.probe = null;
        this.fails = 0;
        this.log.info('upstream answers again; forwarding to it', { upstream: this.label });
        return;
      }
      this.counters.healthFailures++;
      this.probe = setTimeout(() => this.sendProbe(), PROBE_INTERVAL_MS).unref();
    });
  }

  close(): void {
    this.closed = true;
    if (this.probe !== null) clearTimeout(this.probe);
  }
}
