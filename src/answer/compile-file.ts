import { nameKey, type Name } from '../wire/name.js';
import { parseZoneFile } from '../zone/parse.js';
import { ZoneFileError, type ZoneProblem } from '../zone/problem.js';
import { zoneTextOf, type ZoneContent } from '../zone/text.js';
import { axfrImage } from '../transfer/axfr.js';
import { zoneDifference, type ZoneDifference } from '../transfer/difference.js';
import { nextSerial } from '../transfer/serial.js';
import { parseBlock } from '../transfer/access.js';
import { parseTarget } from '../transfer/notify.js';
import type { Zone, ZoneFile } from '../zone/model.js';
import { ZoneTree } from '../zone/tree.js';
import { compileZone } from './compile.js';
import { hasHealthFields, type HealthPlan } from './health.js';
import { privateImage, type ImageAllocator, type ZoneImage } from './image.js';
import { packImage } from './pack.js';
import type { ZoneFacts } from './zone.js';

/**
 * What one zone file compiles to: a zone ready to install (its image and facts), a zone switched
 * off, a file with problems, or a failure of ours (a bug, reported with the file). Plain data with
 * two typed arrays: it crosses from a compile thread to the serving thread without copying.
 */
export type CompiledFile =
  /** `cached`: read back from the compiled cache (src/answer/compiled-cache.ts), not compiled now. */
  /**
   * `axfr`: the zone's transfer messages (src/transfer/axfr.ts axfrImage), when transfers are on;
   * `difference`: from the version before (`PreviousVersion`), for IXFR, when asked for and made.
   */
  /** `health`: the zone's health checks and where its image swaps their states (src/answer/health.ts). */
  | { kind: 'zone'; facts: ZoneFacts; image: ZoneImage; warnings: ZoneProblem[]; cached?: boolean; axfr?: Uint8Array; difference?: ZoneDifference; health?: HealthPlan }
  | { kind: 'inactive'; apex: Name; warnings: ZoneProblem[] }
  | { kind: 'rejected'; problems: ZoneProblem[] }
  /** `stopped`: not compiled because the server is stopping (nothing wrong with the file). */
  | { kind: 'failed'; message: string; stopped?: boolean };

/**
 * How the serial served is decided (src/transfer/serial.ts): from `modified` (the file's
 * modification time, Unix seconds) and `previous` (the serial served for the file's last
 * version); with neither, the file's own (explicit, or a placeholder read from `digest`, the
 * text's textDigest, made from the text when not given).
 */
export interface SerialInput {
  previous?: number;
  modified?: number;
  digest?: string;
}

/** The file's version compiled before, and the serial it was served with: what an IXFR difference starts from. */
export interface PreviousVersion {
  text: ZoneContent;
  serial: number;
}

/**
 * The difference from the previous version to `zone`, or undefined when the previous version no
 * longer parses as an active zone (it did when it was served; a new Eclipso may read it otherwise).
 */
function differenceFrom(previous: PreviousVersion, zone: Zone, origin: string, fileName: string): ZoneDifference | undefined {
  try {
    const before = parseZoneFile(zoneTextOf(previous.text, origin), origin, fileName);
    if (!before.active) return undefined;
    before.zone.soa.data.serial = previous.serial;
    return zoneDifference(before.zone, zone);
  } catch {
    return undefined;
  }
}

/**
 * The difference from `previous` to `text` served with `serial`: for a compiled zone read back
 * from the cache (whose transfer messages were kept with it).
 */
export function differenceOf(previous: PreviousVersion, content: ZoneContent, serial: number, origin: string, fileName: string): ZoneDifference | undefined {
  const parsed = parseZoneFile(zoneTextOf(content, origin), origin, fileName);
  if (!parsed.active) return undefined;
  parsed.zone.soa.data.serial = serial;
  return differenceFrom(previous, parsed.zone, origin, fileName);
}

/** The serial of a parsed zone as it is to be served; a warning added when secondaries would ignore it. */
function servedSerial(parsed: Extract<ZoneFile, { active: true }>, input: SerialInput, origin: string, warnings: ZoneProblem[]): number {
  if (input.modified === undefined) return parsed.zone.soa.data.serial;
  const next = nextSerial(input.previous, parsed.explicitSerial ? parsed.zone.soa.data.serial : undefined, input.modified);
  if (next.warning !== undefined) warnings.push({ origin, field: '[domain] serial', message: next.warning });
  return next.serial;
}

/**
 * What is made besides the answers: the zone's transfer messages (when `transfers`, or when the
 * zone allows transfers itself), and its difference from `previous`.
 */
export interface TransferOutputs {
  transfers?: boolean;
  previous?: PreviousVersion;
}

/** A zone file's transfer lists are read as the settings they replace are (XFR_ALLOW, XFR_NOTIFY). */
const TRANSFER_LIST_READERS = { allowTransfer: parseBlock, notify: parseTarget };

/** Parses, checks and compiles one zone file, its image in memory from `alloc`: everything but installing it. */
export function compileFile(content: ZoneContent, origin: string, fileName: string, serial: SerialInput = {}, outputs: TransferOutputs = {}, alloc: ImageAllocator = privateImage): CompiledFile {
  try {
    const parsed = parseZoneFile(zoneTextOf(content, origin), origin, fileName, TRANSFER_LIST_READERS, serial.digest);
    if (!parsed.active) return { kind: 'inactive', apex: parsed.apex, warnings: parsed.warnings };
    parsed.zone.soa.data.serial = servedSerial(parsed, serial, origin, parsed.warnings);
    const transfers = outputs.transfers || (parsed.transfer.allowTransfer?.length ?? 0) > 0;
    // The zone's tree serves its transfer messages too, unless compiling health states changes it;
    // without transfers, it is let go once the answers are compiled.
    const tree = transfers && !hasHealthFields(parsed.zone) ? new ZoneTree(parsed.zone) : undefined;
    const compiled = compileZone(parsed.zone, tree);
    const facts: ZoneFacts = { apex: parsed.zone.apex, apexKey: nameKey(parsed.zone.apex), serial: compiled.serial, records: compiled.records, soa: parsed.zone.soa, ...parsed.transfer };
    const { previous } = outputs;
    const difference = transfers && previous && differenceFrom(previous, parsed.zone, origin, fileName);
    const { health, ...image } = packImage(compiled, alloc);
    return {
      kind: 'zone', facts, image, ...(health && { health }), warnings: parsed.warnings, ...(transfers && { axfr: axfrImage(parsed.zone, tree, alloc.buffer) }), ...(difference && { difference }),
    };
  } catch (e) {
    if (e instanceof ZoneFileError) return { kind: 'rejected', problems: e.problems };
    return { kind: 'failed', message: (e as Error).message };
  }
}
