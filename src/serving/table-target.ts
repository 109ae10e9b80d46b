import { AnswerTable } from '../answer/table.js';
import { ServedZone, type ZoneFacts } from '../answer/zone.js';
import type { TransferSource } from '../server/transfer.js';
import { ZoneJournal } from '../transfer/journal.js';
import type { ZoneTarget } from './catalog.js';
import { sharedZone, type ServableZone, type SharedZone } from './thread-messages.js';

/** Zones compiled into this process's answer table. */
export class TableTarget implements ZoneTarget {
  readonly table = new AnswerTable();
  /**
   * The transfer messages of each zone that may be transferred, made when it was compiled (every
   * zone with transfers on, else only the zones whose file has a non-empty `allow_transfer`), and
   * the facts its transfers and its own `allow_transfer` are made of.
   */
  private readonly transfers = new Map<string, { facts: ZoneFacts; axfr: Uint8Array }>();
  /** With IXFR_VERSIONS above 0: each such zone's last differences, for IXFR. */
  private readonly journals = new Map<string, ZoneJournal>();

  /** `onTransferable`: told each time a zone with its own non-empty `allow_transfer` is served. */
  constructor(private readonly ixfrVersions = 0, private readonly onTransferable: () => void = () => {}) {}

  put(_file: unknown, compiled: ServableZone | SharedZone): void {
    const zone = sharedZone(compiled);
    const { apexKey } = zone.facts;
    this.table.install(new ServedZone(zone.facts, zone.image));
    if (zone.axfr === undefined) {
      this.transfers.delete(apexKey);
      this.journals.delete(apexKey);
      return;
    }
    // A file's own `allow_transfer` makes its zone transferable (compiled with its messages).
    if ((zone.facts.allowTransfer?.length ?? 0) > 0) this.onTransferable();
    this.transfers.set(apexKey, { facts: zone.facts, axfr: zone.axfr });
    if (this.ixfrVersions === 0) return;
    let journal = this.journals.get(apexKey);
    if (journal === undefined) this.journals.set(apexKey, journal = new ZoneJournal(this.ixfrVersions));
    // A version compiled without a difference (the first, or one whose previous version no longer
    // parses) starts the journal again: IXFR from an older serial is answered in full.
    if (zone.difference) journal.add(zone.difference, zone.facts.records);
    else journal.clear();
  }

  drop(_file: unknown, apexKey: string): void {
    this.table.remove(apexKey);
    this.transfers.delete(apexKey);
    this.journals.delete(apexKey);
  }

  /** The served zone with this apex, its transfer messages and its journal (a zone that may be transferred only). */
  source(apexKey: string): TransferSource | undefined {
    const t = this.transfers.get(apexKey);
    return t && this.table.zone(apexKey) ? { zone: t.facts, axfr: t.axfr, journal: this.journals.get(apexKey) ?? null } : undefined;
  }

  /** Records in the zones being served. */
  get records(): number {
    let n = 0;
    for (const z of this.table.allZones()) n += z.records;
    return n;
  }
}
