import type { CompiledFile } from '../answer/compile-file.js';
import { AnswerTable } from '../answer/table.js';
import { ServedZone } from '../answer/zone.js';
import type { TransferSource } from '../server/transfer.js';
import { ZoneJournal } from '../transfer/journal.js';
import type { ZoneTarget, ZoneText } from './catalog.js';

/** Zones compiled into this process's answer table. */
export class TableTarget implements ZoneTarget {
  readonly table = new AnswerTable();
  /** With transfers on: each served zone's file text, which a transfer is made from (on a compile thread). */
  private readonly texts = new Map<string, ZoneText>();
  /** With transfers on and IXFR_VERSIONS above 0: each served zone's last differences, for IXFR. */
  private readonly journals = new Map<string, ZoneJournal>();

  constructor(private readonly keepText = false, private readonly ixfrVersions = 0) {}

  put(file: ZoneText, zone: Extract<CompiledFile, { kind: 'zone' }>): void {
    const { apexKey } = zone.facts;
    this.table.install(new ServedZone(zone.facts, zone.image));
    if (!this.keepText) return;
    this.texts.set(apexKey, file);
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
    this.texts.delete(apexKey);
    this.journals.delete(apexKey);
  }

  /** The served zone with this apex, the text it was compiled from and its journal (transfers on only). */
  source(apexKey: string): TransferSource | undefined {
    const zone = this.table.zone(apexKey);
    const file = this.texts.get(apexKey);
    return zone && file ? { zone, text: file.text, origin: file.origin, fileName: file.fileName, journal: this.journals.get(apexKey) ?? null } : undefined;
  }

  /** Whether new versions should come with their difference from the one before. */
  get journaling(): boolean {
    return this.keepText && this.ixfrVersions > 0;
  }

  /** Records in the zones being served. */
  get records(): number {
    let n = 0;
    for (const z of this.table.allZones()) n += z.records;
    return n;
  }
}
