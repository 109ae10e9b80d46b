import { emptyReloadStats, type ReloadStats } from '../counters/snapshot.js';
import type { Logger } from '../log.js';
import type { ZoneSink } from '../sources/source.js';
import { formatName, nameKey, type Name } from '../wire/name.js';
import type { Zone } from '../zone/model.js';
import { parseZoneFile } from '../zone/parse.js';
import { formatProblem, limitProblems, MAX_PROBLEM_LINES_PER_FILE, ZoneFileError, type ZoneProblem } from '../zone/problem.js';

/** One zone file as a source handed it over. */
export interface ZoneText {
  origin: string;
  fileName: string;
  text: string;
}

/**
 * Where the catalog puts the zones it accepts: the answer table of this process, or the workers
 * (the pool's primary forwards the file). `put` throws only on a bug; the catalog then keeps the
 * last good version of that zone and goes on.
 */
export interface ZoneTarget {
  /** Serves `zone` (replacing its earlier version whole); returns the records it serves. */
  put(file: ZoneText, zone: Zone): number;
  /** Stops serving the zone with this apex key, which `file` served. */
  drop(file: Omit<ZoneText, 'text'>, apexKey: string): void;
}

/** What became of one zone file, for callers that report on files (the `check` command). */
export interface FileOutcome {
  origin: string;
  accepted: boolean;
  /** The zone's name, when the file got far enough to say it. */
  zone?: string;
  /** Records served (0 for a file with `active = false`). */
  records: number;
  problems: ZoneProblem[];
  /** What loads but will not work as meant (a served file only). */
  warnings: ZoneProblem[];
}

/**
 * The path every zone file takes, in one process or in the pool's primary alike: parse and check,
 * make sure no other file serves the same zone, hand it to the target, log and count what happened.
 * A file that fails leaves the last good version of its zone in service (CoreDNS's rule), and one
 * file's failure, expected or not, costs that file only.
 */
export class ZoneCatalog implements ZoneSink {
  /** File name → apex of the zone it serves; apex key → file name. */
  private readonly files = new Map<string, Name>();
  private readonly owners = new Map<string, string>();
  readonly stats: ReloadStats = emptyReloadStats();

  /**
   * `quiet`: a DNS worker's copy, fed only files its primary accepted and logged already; it logs
   * only what its primary could not have seen (a failure while compiling).
   */
  constructor(
    private readonly target: ZoneTarget,
    private readonly log: Logger,
    private readonly quiet = false,
    /** Told the outcome of every file handed to `upsert`. */
    private readonly onOutcome: (o: FileOutcome) => void = () => {},
  ) {}

  /** Zones being served. */
  get zoneCount(): number {
    return this.owners.size;
  }

  upsert(origin: string, fileName: string, text: string): boolean {
    const started = performance.now();
    const file = { origin, fileName, text };
    let zone: Zone;
    let records: number;
    let warnings: ZoneProblem[];
    try {
      const parsed = parseZoneFile(text, origin, fileName);
      warnings = parsed.warnings;
      const apex = parsed.active ? parsed.zone.apex : parsed.apex;
      const other = this.owners.get(nameKey(apex));
      if (other !== undefined && other !== fileName) {
        // Two files for one zone (names differing in case only): the first one keeps it.
        return this.reject(file, [{ origin, message: `zone ${formatName(apex)} is already served from ${other}; remove one of the two files` }]);
      }
      if (!parsed.active) {
        if (this.files.has(fileName)) this.remove(origin, fileName, 'active = false');
        else if (!this.quiet) this.log.info('zone not served', { zone: formatName(apex), file: origin, why: 'active = false' });
        this.onOutcome({ origin, accepted: true, zone: formatName(apex), records: 0, problems: [], warnings: [] });
        return true;
      }
      zone = parsed.zone;
      records = this.target.put(file, zone);
    } catch (e) {
      if (e instanceof ZoneFileError) return this.reject(file, e.problems);
      // A bug, not a bad file: say so with the file, keep every zone (this one's last version too).
      return this.reject(file, [{ origin, message: `cannot be served: ${(e as Error).message}; this is a bug in Eclipso, please report it with the file` }], true);
    }
    this.files.set(fileName, zone.apex);
    this.owners.set(nameKey(zone.apex), fileName);
    this.stats.loaded++;
    this.stats.lastLoadUnixSeconds = Date.now() / 1000;
    this.onOutcome({ origin, accepted: true, zone: formatName(zone.apex), records, problems: [], warnings });
    if (!this.quiet) {
      this.log.info('zone loaded', {
        zone: formatName(zone.apex),
        file: origin,
        records,
        serial: zone.soa.data.serial,
        ms: Math.round((performance.now() - started) * 10) / 10,
      });
      const { shown, more } = limitProblems(warnings, MAX_PROBLEM_LINES_PER_FILE);
      for (const w of shown) this.log.warn(formatProblem(w), { file: origin });
      if (more > 0) this.log.warn(`${origin}: ${more} more warnings in this file`, { file: origin });
    }
    return true;
  }

  /** A file whose bytes are not text (not UTF-8): rejected like a file that does not parse. */
  unreadable(origin: string, fileName: string, error: ZoneFileError): void {
    this.reject({ origin, fileName, text: '' }, error.problems);
  }

  /** Stops serving the zone this file served, if it served one (a rejected file served none). */
  remove(origin: string, fileName: string, why = 'file removed'): void {
    const apex = this.files.get(fileName);
    if (apex === undefined) return;
    const apexKey = nameKey(apex);
    this.files.delete(fileName);
    this.owners.delete(apexKey);
    this.target.drop({ origin, fileName }, apexKey);
    this.stats.removed++;
    if (!this.quiet) this.log.info('zone removed', { zone: formatName(apex), file: origin, why });
  }

  private reject(file: ZoneText, problems: ZoneProblem[], unexpected = false): false {
    this.stats.rejected++;
    this.onOutcome({ origin: file.origin, accepted: false, records: 0, problems, warnings: [] });
    if (this.quiet && !unexpected) return false;
    const kept = this.files.has(file.fileName) ? 'the previous version stays in service' : 'not served';
    this.log.error('zone rejected', { file: file.origin, problems: problems.length, kept });
    const { shown, more } = limitProblems(problems, MAX_PROBLEM_LINES_PER_FILE);
    for (const p of shown) this.log.error(formatProblem(p), { file: file.origin });
    if (more > 0) this.log.error(`${file.origin}: ${more} more problems in this file`, { file: file.origin, todo: 'fix the problems above: the rest are listed when the file is read again' });
    return false;
  }
}
