import type { CompiledFile } from '../answer/compile-file.js';
import { AnswerTable } from '../answer/table.js';
import { ServedZone } from '../answer/zone.js';
import type { TransferSource } from '../server/transfer.js';
import type { ZoneTarget, ZoneText } from './catalog.js';

/** Zones compiled into this process's answer table. */
export class TableTarget implements ZoneTarget {
  readonly table = new AnswerTable();
  /**
   * The file text of each zone that may be transferred, which a transfer is made from (on a compile
   * thread): every zone with transfers on (`keepText`), else only the zones whose file has a
   * non-empty `allow_transfer` of its own.
   */
  private readonly texts = new Map<string, ZoneText>();

  /** `onTransferable`: told each time a zone with its own non-empty `allow_transfer` is served. */
  constructor(private readonly keepText = false, private readonly onTransferable: () => void = () => {}) {}

  put(file: ZoneText, zone: Extract<CompiledFile, { kind: 'zone' }>): void {
    this.table.install(new ServedZone(zone.facts, zone.image));
    const own = (zone.facts.allowTransfer?.length ?? 0) > 0;
    if (this.keepText || own) this.texts.set(zone.facts.apexKey, file);
    else this.texts.delete(zone.facts.apexKey);
    if (own) this.onTransferable();
  }

  drop(_file: unknown, apexKey: string): void {
    this.table.remove(apexKey);
    this.texts.delete(apexKey);
  }

  /** The served zone with this apex and the text it was compiled from (a zone that may be transferred only). */
  source(apexKey: string): TransferSource | undefined {
    const zone = this.table.zone(apexKey);
    const file = this.texts.get(apexKey);
    return zone && file ? { zone, text: file.text, origin: file.origin, fileName: file.fileName } : undefined;
  }

  /** Records in the zones being served. */
  get records(): number {
    let n = 0;
    for (const z of this.table.allZones()) n += z.records;
    return n;
  }
}
