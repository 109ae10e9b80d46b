import type { CompiledFile } from '../answer/compile-file.js';
import { AnswerTable } from '../answer/table.js';
import { ServedZone } from '../answer/zone.js';
import type { ZoneTarget, ZoneText } from './catalog.js';

/** Zones compiled into this process's answer table. */
export class TableTarget implements ZoneTarget {
  readonly table = new AnswerTable();

  put(_file: ZoneText, zone: Extract<CompiledFile, { kind: 'zone' }>): void {
    this.table.install(new ServedZone(zone.facts, zone.image));
  }

  drop(_file: unknown, apexKey: string): void {
    this.table.remove(apexKey);
  }

  /** Records in the zones being served. */
  get records(): number {
    let n = 0;
    for (const z of this.table.allZones()) n += z.records;
    return n;
  }
}
