import { nameKey, type Name } from '../wire/name.js';
import { parseZoneFile } from '../zone/parse.js';
import { ZoneFileError, type ZoneProblem } from '../zone/problem.js';
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

/** Parses, checks and compiles one zone file: everything but installing it. */
export function compileFile(text: string, origin: string, fileName: string): CompiledFile {
  try {
    const parsed = parseZoneFile(text, origin, fileName);
    if (!parsed.active) return { kind: 'inactive', apex: parsed.apex, warnings: parsed.warnings };
    const compiled = compileZone(parsed.zone);
    const facts: ZoneFacts = { apex: parsed.zone.apex, apexKey: nameKey(parsed.zone.apex), serial: compiled.serial, records: compiled.records, soa: parsed.zone.soa };
    return { kind: 'zone', facts, image: packImage(compiled), warnings: parsed.warnings };
  } catch (e) {
    if (e instanceof ZoneFileError) return { kind: 'rejected', problems: e.problems };
    return { kind: 'failed', message: (e as Error).message };
  }
}
