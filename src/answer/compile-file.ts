import { nameKey, type Name } from '../wire/name.js';
import { parseZoneFile } from '../zone/parse.js';
import { ZoneFileError, type ZoneProblem } from '../zone/problem.js';
import { nextSerial } from '../transfer/serial.js';
import type { ZoneFile } from '../zone/model.js';
import { compileZone } from './compile.js';
import { packImage, type ZoneImage } from './image.js';
import type { ZoneFacts } from './zone.js';

/**
 * What one zone file compiles to: a zone ready to install (its image and facts), a zone switched
 * off, a file with problems, or a failure of ours (a bug, reported with the file). Plain data with
 * two typed arrays: it crosses from a compile thread to the serving thread without copying.
 */
export type CompiledFile =
  /** `cached`: read back from the compiled cache (src/answer/compiled-cache.ts), not compiled now. */
  | { kind: 'zone'; facts: ZoneFacts; image: ZoneImage; warnings: ZoneProblem[]; cached?: boolean }
  | { kind: 'inactive'; apex: Name; warnings: ZoneProblem[] }
  | { kind: 'rejected'; problems: ZoneProblem[] }
  | { kind: 'failed'; message: string };

/**
 * How the serial served is decided (src/transfer/serial.ts): from `modified` (the file's
 * modification time, Unix seconds) and `previous` (the serial served for the file's last
 * version); with neither, the file's own (explicit, or a placeholder).
 */
export interface SerialInput {
  previous?: number;
  modified?: number;
}

/** The serial of a parsed zone as it is to be served; a warning added when secondaries would ignore it. */
function servedSerial(parsed: Extract<ZoneFile, { active: true }>, input: SerialInput, origin: string, warnings: ZoneProblem[]): number {
  if (input.modified === undefined) return parsed.zone.soa.data.serial;
  const next = nextSerial(input.previous, parsed.explicitSerial ? parsed.zone.soa.data.serial : undefined, input.modified);
  if (next.warning !== undefined) warnings.push({ origin, field: '[domain] serial', message: next.warning });
  return next.serial;
}

/** Parses, checks and compiles one zone file: everything but installing it. */
export function compileFile(text: string, origin: string, fileName: string, serial: SerialInput = {}): CompiledFile {
  try {
    const parsed = parseZoneFile(text, origin, fileName);
    if (!parsed.active) return { kind: 'inactive', apex: parsed.apex, warnings: parsed.warnings };
    parsed.zone.soa.data.serial = servedSerial(parsed, serial, origin, parsed.warnings);
    const compiled = compileZone(parsed.zone);
    const facts: ZoneFacts = { apex: parsed.zone.apex, apexKey: nameKey(parsed.zone.apex), serial: compiled.serial, records: compiled.records, soa: parsed.zone.soa };
    return { kind: 'zone', facts, image: packImage(compiled), warnings: parsed.warnings };
  } catch (e) {
    if (e instanceof ZoneFileError) return { kind: 'rejected', problems: e.problems };
    return { kind: 'failed', message: (e as Error).message };
  }
}
