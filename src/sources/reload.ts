import type { AnswerTable } from '../answer/table.js';
import type { Logger } from '../log.js';
import { formatName, nameKey } from '../wire/name.js';
import { compileZone } from '../zone/compile.js';
import { parseZoneFile, ZONE_FILE_SUFFIX } from '../zone/parse.js';
import { formatProblem, ZoneFileError } from '../zone/problem.js';
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
  /** File name → apex key of the zone it serves. */
  private readonly files = new Map<string, string>();
  readonly stats: ReloadStats = { loaded: 0, rejected: 0, removed: 0, lastLoadUnixSeconds: 0 };

  constructor(
    private readonly table: AnswerTable,
    private readonly log: Logger,
  ) {}

  static isZoneFile(fileName: string): boolean {
    return fileName.endsWith(ZONE_FILE_SUFFIX) && !fileName.startsWith('.') && fileName.length > ZONE_FILE_SUFFIX.length;
  }

  upsert(origin: string, fileName: string, text: string): boolean {
    const started = performance.now();
    let parsed;
    try {
      parsed = parseZoneFile(text, origin, fileName);
    } catch (e) {
      if (!(e instanceof ZoneFileError)) throw e;
      this.stats.rejected++;
      const kept = this.files.has(fileName) ? 'the previous version stays in service' : 'not served';
      this.log.error('zone rejected', { file: origin, problems: e.problems.length, kept });
      for (const p of e.problems) this.log.error(formatProblem(p), { file: origin });
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

  remove(origin: string, fileName: string, why = 'file removed'): void {
    const apexKey = this.files.get(fileName) ?? nameKeyOfFile(fileName);
    this.files.delete(fileName);
    const zone = apexKey === undefined ? undefined : this.table.remove(apexKey);
    if (zone) {
      this.stats.removed++;
      this.log.info('zone removed', { zone: formatName(zone.apex), file: origin, why });
    }
  }

  get fileNames(): string[] {
    return [...this.files.keys()];
  }
}

function nameKeyOfFile(fileName: string): string | undefined {
  try {
    return nameKey(fileName.slice(0, -ZONE_FILE_SUFFIX.length).split('.'));
  } catch {
    return undefined;
  }
}
