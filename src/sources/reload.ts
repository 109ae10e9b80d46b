import type { AnswerTable } from '../answer/table.js';
import type { Logger } from '../log.js';
import { formatName, nameKey } from '../wire/name.js';
import { compileZone } from '../zone/compile.js';
import { parseZoneFile, ZONE_FILE_SUFFIX } from '../zone/parse.js';
import { formatProblem, limitProblems, MAX_PROBLEM_LINES_PER_FILE, ZoneFileError } from '../zone/problem.js';
import type { ZoneSink } from './source.js';

/** Counters of the reload path, for /metrics. */
export interface ReloadStats {
  loaded: number;
  rejected: number;
  removed: number;
  lastLoadUnixSeconds: number;
}

/**
 * The one reload path: file text → parse → compile → atomic swap of that zone in the table.
 * A file that fails leaves the last good version of its zone in service (CoreDNS's rule).
 */
export class ZoneReloader implements ZoneSink {
  /** File name → apex key of the zone it serves, and back. */
  private readonly files = new Map<string, string>();
  private readonly owners = new Map<string, string>();
  readonly stats: ReloadStats = { loaded: 0, rejected: 0, removed: 0, lastLoadUnixSeconds: 0 };

  constructor(
    private readonly table: AnswerTable,
    private log: Logger,
  ) {}

  /** Where zone loads, rejections and removals are logged from now on. */
  logTo(log: Logger): void {
    this.log = log;
  }

  static isZoneFile(fileName: string): boolean {
    return fileName.endsWith(ZONE_FILE_SUFFIX) && !fileName.startsWith('.') && fileName.length > ZONE_FILE_SUFFIX.length;
  }

  upsert(origin: string, fileName: string, text: string): boolean {
    const started = performance.now();
    let parsed;
    try {
      parsed = parseZoneFile(text, origin, fileName);
      const apexKey = nameKey(parsed.active ? parsed.zone.apex : parsed.apex);
      const other = this.owners.get(apexKey);
      if (other !== undefined && other !== fileName) {
        // Two files for one zone (names differing in case only): the first one keeps it.
        throw new ZoneFileError([{ origin, message: `zone ${formatName(parsed.active ? parsed.zone.apex : parsed.apex)} is already served from ${other}; remove one of the two files` }]);
      }
    } catch (e) {
      if (!(e instanceof ZoneFileError)) throw e;
      this.stats.rejected++;
      const kept = this.files.has(fileName) ? 'the previous version stays in service' : 'not served';
      this.log.error('zone rejected', { file: origin, problems: e.problems.length, kept });
      const { shown, more } = limitProblems(e.problems, MAX_PROBLEM_LINES_PER_FILE);
      for (const p of shown) this.log.error(formatProblem(p), { file: origin });
      if (more > 0) this.log.error(`${origin}: ${more} more problems in this file`, { file: origin, todo: 'fix the problems above: the rest are listed when the file is read again' });
      return false;
    }
    if (!parsed.active) {
      if (this.files.has(fileName)) this.remove(origin, fileName, 'active = false');
      else this.log.info('zone not served', { zone: formatName(parsed.apex), file: origin, why: 'active = false' });
      return true;
    }
    const compiled = compileZone(parsed.zone);
    this.table.install(compiled);
    this.files.set(fileName, compiled.apexKey);
    this.owners.set(compiled.apexKey, fileName);
    this.stats.loaded++;
    this.stats.lastLoadUnixSeconds = Date.now() / 1000;
    this.log.info('zone loaded', {
      zone: formatName(compiled.apex),
      file: origin,
      records: compiled.records,
      serial: compiled.serial,
      ms: Math.round((performance.now() - started) * 10) / 10,
    });
    return true;
  }

  /** Stops serving the zone this file served, if it served one (a rejected file served none). */
  remove(origin: string, fileName: string, why = 'file removed'): void {
    const apexKey = this.files.get(fileName);
    if (apexKey === undefined) return;
    this.files.delete(fileName);
    this.owners.delete(apexKey);
    const zone = this.table.remove(apexKey);
    if (zone) {
      this.stats.removed++;
      this.log.info('zone removed', { zone: formatName(zone.apex), file: origin, why });
    }
  }
}
