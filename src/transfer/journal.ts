import { differenceRecords, type ZoneDifference } from './difference.js';

/**
 * The differences between a zone's last versions, newest last, from which an IXFR is answered
 * (RFC 1995 §4). Bounded twice: at most `maxVersions` differences, and no more records in them
 * all than the zone has, since past that a full transfer is the smaller answer (the oldest ones
 * go first). It lives as long as the process: after a restart, a client that is behind gets the
 * whole zone, as RFC 1995 §4 allows.
 */
export class ZoneJournal {
  private readonly differences: ZoneDifference[] = [];
  private records = 0;

  constructor(private readonly maxVersions: number) {}

  /**
   * Records the step to a new version of `zoneRecords` records. A step that does not start from
   * the newest version known (a version missed: its difference could not be made) starts the
   * journal again from it.
   */
  add(d: ZoneDifference, zoneRecords: number): void {
    if (d.fromSerial === d.toSerial) {
      // The same serial again: a client at it cannot be told which version it has (an explicit
      // serial not raised, warned about); nothing to record when the content is the same too.
      if (d.deletedCount + d.addedCount > 0) this.clear();
      return;
    }
    const newest = this.differences.at(-1);
    if (newest !== undefined && newest.toSerial !== d.fromSerial) this.clear();
    this.differences.push(d);
    this.records += differenceRecords(d);
    while (this.differences.length > 0 && (this.differences.length > this.maxVersions || this.records > zoneRecords)) {
      this.records -= differenceRecords(this.differences.shift()!);
    }
  }

  clear(): void {
    this.differences.length = 0;
    this.records = 0;
  }

  /** The steps from the version with serial `serial` to the newest, or null when it is not kept. */
  from(serial: number): ZoneDifference[] | null {
    const i = this.differences.findIndex((d) => d.fromSerial === serial);
    return i < 0 ? null : this.differences.slice(i);
  }

  /** The serial of the newest version recorded, or null when empty. */
  get newest(): number | null {
    return this.differences.at(-1)?.toSerial ?? null;
  }
}
