import type { CompiledFile } from '../answer/compile-file.js';
import { AnswerTable } from '../answer/table.js';
import { ServedZone } from '../answer/zone.js';
import type { TransferSource } from '../server/transfer.js';
import type { ZoneTarget, ZoneText } from './catalog.js';

/** Zones compiled into this process's answer table. */
export class TableTarget implements ZoneTarget {
  readonly table = new AnswerTable();
  /** With transfers on: each served zone's file text, which a transfer is made from (on a compile thread). */
  private readonly texts = new Map<string, ZoneText>();

  constructor(private readonly keepText = false) {}

  put(file: ZoneText, zone: Extract<CompiledFile, { kind: 'zone' }>): void {
    this.table.install(new ServedZone(zone.facts, zone.image));
    if (this.keepText) this.texts.set(zone.facts.apexKey, file);
  }

  drop(_file: unknown, apexKey: string): void {
    this.table.remove(apexKey);
    this.texts.delete(apexKey);
  }

  /** The served zone with this apex and the text it was compiled from (transfers on only). */
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
