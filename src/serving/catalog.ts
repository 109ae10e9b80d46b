import { performance } from 'node:perf_hooks';
import { emptyReloadStats, type ReloadStats } from '../counters/snapshot.js';
import type { Logger } from '../log.js';
import type { ZoneSink } from '../sources/source.js';
import type { CompiledFile, PreviousVersion } from '../answer/compile-file.js';
import type { DigestedFile, ZoneCompiler } from '../answer/compiler.js';
import type { ZoneFacts } from '../answer/zone.js';
import type { HealthChecks } from '../health/checks.js';
import { formatName, nameKey, type Name } from '../wire/name.js';
import { formatProblem, limitProblems, MAX_PROBLEM_LINES_PER_FILE, ZoneFileError, type ZoneProblem } from '../zone/problem.js';
import type { ZoneContent } from '../zone/text.js';

/** One zone file as a source handed it over. */
export interface ZoneText {
  origin: string;
  fileName: string;
  text: ZoneContent;
}

/**
 * Where the catalog puts the zones it accepts: the answer table of this thread, or the DNS threads
 * (src/serving/threads.ts shares the image with them). `put` throws only on a bug; the catalog then keeps the
 * last good version of that zone and goes on.
 */
export interface ZoneTarget {
  /** Serves the compiled zone (replacing its earlier version whole). */
  put(file: ZoneText, zone: Extract<CompiledFile, { kind: 'zone' }>): void;
  /** Stops serving the zone with this apex key, which `file` served. */
  drop(file: Omit<ZoneText, 'text'>, apexKey: string): void;
}

/**
 * What this server serves from one zone file now: the digest of the text it was compiled from
 * (src/zone/text.ts textDigest), and, for an active zone, its serial and record count. The HTTP
 * API (src/api/) reads it to say whether a change is live (`INSYNC`).
 */
export interface ServedVersion {
  digest: string;
  active: boolean;
  serial?: number;
  records: number;
  /** False while DNS threads have yet to swap this version in (src/serving/threads.ts); absent: answering. */
  answering?: boolean;
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
 * The path every zone file takes, with one thread or several DNS threads alike: compile it (parse,
 * check, compile, on the compiler's threads), make sure no other file serves the same zone, hand
 * it to the target, log and count what happened.
 * A file that fails leaves the last good version of its zone in service (CoreDNS's rule), and one
 * file's failure, expected or not, costs that file only.
 */
export class ZoneCatalog implements ZoneSink {
  /** File name → the zone it serves (its apex) and the serial served; apex key → file name. */
  private readonly files = new Map<string, { apex: Name; serial: number }>();
  private readonly owners = new Map<string, string>();
  /**
   * File name → the serial of its latest compiled version: the next version's serial is greater
   * (src/transfer/serial.ts), so secondaries take every change. With `differences`, its text too:
   * the next version's IXFR difference is made from it (as the source handed it over, not a copy).
   */
  private readonly latest = new Map<string, PreviousVersion>();
  /** File name → its compile under way, which the file's next version waits for. */
  private readonly compiling = new Map<string, Promise<void>>();
  readonly stats: ReloadStats = emptyReloadStats();
  /** File name → what is served from it (an accepted file's digest, an active zone's serial). */
  private readonly versions = new Map<string, ServedVersion>();
  /**
   * File name → the digest of the last text handed over and not rejected: the same text handed
   * again (the folder watcher or the S3 sync reading back what the HTTP API has just served) is
   * not compiled again, so its serial does not move.
   */
  private readonly handed = new Map<string, string>();
  /** File name → how many times it was removed (or unreadable): a compile that began before one is not its last text. */
  private readonly removals = new Map<string, number>();

  /** The last step handed over (steps run one after another, in order). */
  private applied: Promise<void> = Promise.resolve();

  constructor(
    private readonly target: ZoneTarget,
    private readonly compiler: ZoneCompiler,
    private readonly log: Logger,
    /** Told the outcome of every file handed to `upsert`. */
    private readonly onOutcome: (o: FileOutcome) => void = () => {},
    /** Told each time a zone is served with a serial it was not served with just before (NOTIFY). */
    private readonly onNewSerial: (zone: ZoneFacts, fileName: string) => void = () => {},
    /**
     * Whether a transferable zone's new version is compiled with its difference from the one
     * before (IXFR journals kept here).
     */
    private readonly differences = false,
    /** Where the health checks of the zones served run (none: zones are served all up, nothing probed: `eclipso check`). */
    private readonly health: HealthChecks | null = null,
  ) {}

  /** Zones being served. */
  get zoneCount(): number {
    return this.owners.size;
  }

  /**
   * Takes a file: compiled at once (on the compiler's threads, many files at a time), applied in
   * the order the files were handed over (so the first of two files for one zone keeps it, as in
   * a folder's name order). Resolves with whether the file was accepted. `modified`: when the
   * source last changed the file (Unix seconds; now when not given), which the serial is derived
   * from unless the file sets one.
   */
  upsert(origin: string, fileName: string, text: ZoneContent, modified?: number, digest?: string): Promise<boolean> {
    const started = performance.now();
    const removals = this.removals.get(fileName) ?? 0;
    // The same text as the one handed over last (the folder watcher or the S3 sync reading back
    // what the HTTP API has just served) is not applied again, so its serial does not move. Known
    // once compiled: the digest, unless the source made it, is made on the compile thread (a large
    // zone's takes milliseconds).
    let again = false;
    // A file's versions are compiled one after another: each one's serial builds on the one before.
    const prior = this.compiling.get(fileName) ?? Promise.resolve();
    const compiled = prior.then(() => {
      const latest = this.latest.get(fileName);
      return this.compiler.compile(text, origin, fileName, { previous: latest?.serial, modified: modified ?? Date.now() / 1000, digest }, latest?.text ? latest : undefined);
    });
    const noted = compiled.then((c) => {
      again = c.digest === this.handed.get(fileName);
      // Removed since it was handed over: it is no longer the file's last text.
      if (again || removals !== (this.removals.get(fileName) ?? 0)) return;
      this.handed.set(fileName, c.digest);
      // A zone compiled with its transfer messages is transferable: its text is kept for the next difference.
      if (c.kind === 'zone') this.latest.set(fileName, { serial: c.facts.serial, text: this.differences && c.axfr ? text : '' });
    }, () => {});
    this.compiling.set(fileName, noted);
    void noted.then(() => {
      if (this.compiling.get(fileName) === noted) this.compiling.delete(fileName);
    });
    return this.inOrder(async () => {
      const c = await compiled;
      await noted;
      if (again) return this.versions.get(fileName)?.digest === c.digest;
      const accepted = this.apply({ origin, fileName, text }, c, started);
      if (!accepted && this.handed.get(fileName) === c.digest) this.handed.delete(fileName);
      return accepted;
    });
  }

  /** The file's last text is gone: the next one is new whatever it holds. */
  private forgetHanded(fileName: string): void {
    this.handed.delete(fileName);
    this.removals.set(fileName, (this.removals.get(fileName) ?? 0) + 1);
  }

  /** What is served from this file now, if anything. */
  version(fileName: string): ServedVersion | undefined {
    return this.versions.get(fileName);
  }

  /** The file the zone whose apex has this nameKey is served from, if it is served. */
  fileOf(apexKey: string): string | undefined {
    return this.owners.get(apexKey);
  }

  /** A file whose bytes are not text (not UTF-8): rejected like a file that does not parse. */
  unreadable(origin: string, fileName: string, error: ZoneFileError): Promise<void> {
    this.forgetHanded(fileName);
    return this.inOrder(async () => void this.reject({ origin, fileName, text: '' }, error.problems));
  }

  /** Stops serving the zone this file served, if it served one (a rejected file served none). */
  remove(origin: string, fileName: string): Promise<void> {
    this.forgetHanded(fileName);
    return this.inOrder(async () => this.drop(origin, fileName, 'file removed'));
  }

  /** Resolves once every file handed over so far has been applied. */
  settled(): Promise<void> {
    return this.applied;
  }

  /** Runs `step` after every step handed over before it. */
  private inOrder<T>(step: () => Promise<T>): Promise<T> {
    const done = this.applied.then(step);
    this.applied = done.then(() => undefined, () => undefined);
    return done;
  }

  private apply(file: ZoneText, compiled: DigestedFile, started: number): boolean {
    const { origin, fileName } = file;
    switch (compiled.kind) {
      case 'rejected':
        return this.reject(file, compiled.problems);
      case 'failed':
        // Cut short by a shutdown: nothing to say of the file, and nothing changes.
        if (compiled.stopped) return false;
        // A bug, not a bad file: say so with the file, keep every zone (this one's last version too).
        return this.reject(file, [{ origin, message: `cannot be served: ${compiled.message}; this is a bug in Eclipso, please report it with the file` }]);
      case 'inactive': {
        const other = this.owners.get(nameKey(compiled.apex));
        if (other !== undefined && other !== fileName) return this.duplicate(file, compiled.apex, other);
        if (this.files.has(fileName)) this.drop(origin, fileName, 'active = false');
        else this.log.info('zone not served', { zone: formatName(compiled.apex), file: origin, why: 'active = false' });
        this.versions.set(fileName, { digest: compiled.digest, active: false, records: 0 });
        this.onOutcome({ origin, accepted: true, zone: formatName(compiled.apex), records: 0, problems: [], warnings: [] });
        return true;
      }
    }
    const { apex, apexKey, records, serial } = compiled.facts;
    const other = this.owners.get(apexKey);
    if (other !== undefined && other !== fileName) return this.duplicate(file, apex, other);
    // The version's health checks start, and their current states are written into its image,
    // before it is served; the version before keeps its checks until then.
    const checks = compiled.health && this.health ? this.health.prepare(formatName(apex), compiled.health, compiled.image.ints) : null;
    try {
      this.target.put(file, compiled);
    } catch (e) {
      if (checks) this.health!.release(checks);
      return this.reject(file, [{ origin, message: `cannot be served: ${(e as Error).message}; this is a bug in Eclipso, please report it with the file` }]);
    }
    this.health?.commit(apexKey, checks);
    const before = this.files.get(fileName)?.serial;
    this.files.set(fileName, { apex, serial });
    this.owners.set(apexKey, fileName);
    this.versions.set(fileName, { digest: compiled.digest, active: true, serial, records });
    if (before !== serial) this.onNewSerial(compiled.facts, fileName);
    this.stats.loaded++;
    this.stats.lastLoadUnixSeconds = Date.now() / 1000;
    const zone = formatName(apex);
    this.onOutcome({ origin, accepted: true, zone, records, problems: [], warnings: compiled.warnings });
    this.log.info('zone loaded', {
      zone, file: origin, records, serial, ms: Math.round((performance.now() - started) * 10) / 10, cached: compiled.cached,
    });
    const { shown, more } = limitProblems(compiled.warnings, MAX_PROBLEM_LINES_PER_FILE);
    for (const w of shown) this.log.warn(formatProblem(w), { file: origin });
    if (more > 0) this.log.warn(`${origin}: ${more} more warnings in this file`, { file: origin });
    return true;
  }

  /** Two files for one zone (names differing in case only): the first one keeps it. */
  private duplicate(file: ZoneText, apex: Name, other: string): false {
    return this.reject(file, [{ origin: file.origin, message: `zone ${formatName(apex)} is already served from ${other}; remove one of the two files` }]);
  }

  private drop(origin: string, fileName: string, why: string): void {
    this.versions.delete(fileName);
    const apex = this.files.get(fileName)?.apex;
    if (apex === undefined) return;
    const apexKey = nameKey(apex);
    this.files.delete(fileName);
    this.owners.delete(apexKey);
    this.latest.delete(fileName);
    this.target.drop({ origin, fileName }, apexKey);
    this.health?.commit(apexKey, null);
    this.compiler.forget(origin);
    this.stats.removed++;
    this.log.info('zone removed', { zone: formatName(apex), file: origin, why });
  }

  private reject(file: ZoneText, problems: ZoneProblem[]): false {
    this.stats.rejected++;
    this.onOutcome({ origin: file.origin, accepted: false, records: 0, problems, warnings: [] });
    const kept = this.files.has(file.fileName) ? 'the previous version stays in service' : 'not served';
    this.log.error('zone rejected', { file: file.origin, problems: problems.length, kept });
    const { shown, more } = limitProblems(problems, MAX_PROBLEM_LINES_PER_FILE);
    for (const p of shown) this.log.error(formatProblem(p), { file: file.origin });
    if (more > 0) this.log.error(`${file.origin}: ${more} more problems in this file`, { file: file.origin, todo: 'fix the problems above: the rest are listed when the file is read again' });
    return false;
  }
}
