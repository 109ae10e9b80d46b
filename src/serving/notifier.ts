import type { ZoneFacts } from '../answer/zone.js';
import { NOTIFY_RESULTS } from '../counters/snapshot.js';
import type { Logger } from '../log.js';
import { parseTarget } from '../transfer/notify.js';
import { sendNotify, type NotifyOptions } from '../transfer/notify-sender.js';
import type { TransferSettings } from '../transfer/settings.js';
import { formatName, nameKey } from '../wire/name.js';

/**
 * Zones whose NOTIFYs are under way at once; the others wait their turn. A folder of thousands of
 * zones loaded at start sends its NOTIFYs a few at a time, never thousands of sockets at once.
 */
const NOTIFY_ZONES_AT_ONCE = 16;

/** What a NOTIFY is about: a zone as served, and its file's own `notify` list if it has one. */
export type NotifyZone = Pick<ZoneFacts, 'apex' | 'soa' | 'notify'>;

const count = (result: (typeof NOTIFY_RESULTS)[number]): number => NOTIFY_RESULTS.indexOf(result);

/**
 * Tells the secondaries (the zone file's `notify`, else XFR_NOTIFY) of every new serial of a zone
 * (RFC 1996), from the one process that runs the catalog. A newer serial of a zone stops the
 * NOTIFY of the older one still in flight (one AbortController per zone): the secondaries need
 * only hear of the latest.
 */
export class Notifier {
  private readonly inFlight = new Map<string, AbortController>();
  private readonly waiting: (() => Promise<void>)[] = [];
  private running = 0;
  private closed = false;
  /** Until the DNS sockets listen, changes wait here (the latest per zone): a secondary told earlier would find nobody to ask. */
  private held: Map<string, NotifyZone> | null = new Map();
  /**
   * [result] as in NOTIFY_RESULTS, one per secondary per serial (tries not counted): NOTIFYs sent,
   * acknowledged, failed (no reply after the last try, or an error reply). One stopped for a newer
   * serial or by shutdown is sent but neither acknowledged nor failed.
   */
  readonly counts = NOTIFY_RESULTS.map(() => 0);

  /** `options`: the sender's tries and first timeout (tests make them short). */
  constructor(
    private readonly settings: TransferSettings,
    private readonly log: Logger,
    private readonly options: Pick<NotifyOptions, 'tries' | 'firstTimeoutMs'> = {},
  ) {}

  /** The zone is now served with this SOA. */
  changed(zone: NotifyZone): void {
    if (this.closed) return;
    const { apex, soa } = zone;
    const key = nameKey(apex);
    // Entries were checked when the file was read (src/zone/parse.ts), by the same reader.
    const targets = zone.notify === undefined ? this.settings.notify : zone.notify.map((e, i) => parseTarget(e, i + 1));
    if (targets.length === 0) {
      this.held?.delete(key);
      return;
    }
    if (this.held !== null) {
      this.held.set(key, zone);
      return;
    }
    this.inFlight.get(key)?.abort();
    const controller = new AbortController();
    this.inFlight.set(key, controller);
    this.waiting.push(async () => {
      if (controller.signal.aborted) return;
      this.counts[count('sent')] += targets.length;
      this.log.debug('notify sent', { zone: formatName(apex), serial: soa.data.serial, secondaries: targets.length });
      const outcomes = await sendNotify(targets, apex, soa, { ...this.options, key: this.settings.notifyKey, signal: controller.signal });
      if (this.inFlight.get(key) === controller) this.inFlight.delete(key);
      // Stopped for a newer serial (or shutdown): that one is what the secondaries hear of.
      if (controller.signal.aborted) return;
      for (const o of outcomes) {
        const fields = { zone: formatName(apex), serial: soa.data.serial, secondary: o.target, tries: o.tries };
        this.counts[count(o.acknowledged ? 'acknowledged' : 'failed')]++;
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
    for (const zone of held?.values() ?? []) this.changed(zone);
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
