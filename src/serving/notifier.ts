import type { Logger } from '../log.js';
import { sendNotify } from '../transfer/notify-sender.js';
import type { TransferSettings } from '../transfer/settings.js';
import { formatName, nameKey, type Name } from '../wire/name.js';
import type { SoaData } from '../zone/model.js';

/**
 * Zones whose NOTIFYs are under way at once; the others wait their turn. A folder of thousands of
 * zones loaded at start sends its NOTIFYs a few at a time, never thousands of sockets at once.
 */
const NOTIFY_ZONES_AT_ONCE = 16;

/**
 * Tells the secondaries (XFR_NOTIFY) of every new serial of a zone (RFC 1996), from the one
 * process that runs the catalog. A newer serial of a zone stops the NOTIFY of the older one still
 * in flight (one AbortController per zone): the secondaries need only hear of the latest.
 */
export class Notifier {
  private readonly inFlight = new Map<string, AbortController>();
  private readonly waiting: (() => Promise<void>)[] = [];
  private running = 0;
  private closed = false;
  /** Until the DNS sockets listen, changes wait here (the latest per zone): a secondary told earlier would find nobody to ask. */
  private held: Map<string, { apex: Name; soa: { ttl: number; data: SoaData } }> | null = new Map();

  constructor(
    private readonly settings: TransferSettings,
    private readonly log: Logger,
  ) {}

  /** The zone at `apex` is now served with this SOA. */
  changed(apex: Name, soa: { ttl: number; data: SoaData }): void {
    if (this.closed || this.settings.notify.length === 0) return;
    const key = nameKey(apex);
    if (this.held !== null) {
      this.held.set(key, { apex, soa });
      return;
    }
    this.inFlight.get(key)?.abort();
    const controller = new AbortController();
    this.inFlight.set(key, controller);
    this.waiting.push(async () => {
      if (controller.signal.aborted) return;
      const outcomes = await sendNotify(this.settings.notify, apex, soa, { key: this.settings.notifyKey, signal: controller.signal });
      if (this.inFlight.get(key) === controller) this.inFlight.delete(key);
      // Stopped for a newer serial (or shutdown): that one is what the secondaries hear of.
      if (controller.signal.aborted) return;
      for (const o of outcomes) {
        const fields = { zone: formatName(apex), serial: soa.data.serial, secondary: o.target, tries: o.tries };
        if (o.acknowledged) this.log.info('notify acknowledged', fields);
        else this.log.warn('notify not acknowledged', { ...fields, why: o.why, todo: 'check that the secondary runs and allows NOTIFY from this address (and key); it still picks up the change at its next SOA refresh' });
      }
    });
    this.next();
  }

  /** The DNS sockets listen: the NOTIFYs held so far go out, and later ones at once. */
  start(): void {
    const held = this.held;
    this.held = null;
    for (const { apex, soa } of held?.values() ?? []) this.changed(apex, soa);
  }

  private next(): void {
    while (this.running < NOTIFY_ZONES_AT_ONCE && this.waiting.length > 0) {
      const send = this.waiting.shift()!;
      this.running++;
      void send().finally(() => {
        this.running--;
        this.next();
      });
    }
  }

  /** Stops every NOTIFY in flight or waiting (shutdown). */
  close(): void {
    this.closed = true;
    this.waiting.length = 0;
    for (const c of this.inFlight.values()) c.abort();
    this.inFlight.clear();
  }
}
