import { MAX_NAME_LENGTH } from '../wire/constants.js';
import type { CompiledZone } from './compile.js';
import type { Answer, Below } from './answer.js';

/**
 * A compiled zone packed for serving: every key and every packet of the zone in one buffer.
 *
 * Why: a query's answer was reached through five or six heap objects (table entry, key string,
 * Answer, Buffer, its bytes), each a likely cache and TLB miss on a server whose kernel and
 * allocator traffic evict them between queries; with 6,800 names that was about 9% of the CPU per
 * A query at a fixed rate. Here the key and, for the usual answer, its packet lie side by side.
 *
 * Entry i, at offsets[i]:
 *   N (1 octet)         length of the name's wire form (RFC 1035 §3.1: at most 255)
 *   key (N + 2 octets)  the lower-cased wire name and the query type (0: the name's fallback)
 *   L (2 octets)        length of the inline packet; 0 when the answer must be taken from values[i]
 *   packet              the answer, when it is only ever sent for this name (no relocations) and
 *                       no other entry placed it first: inline when at most INLINE_MAX octets (L is
 *                       its length), else still here but reached through its Answer (L is 0)
 * Then every other packet of the zone (smaller forms, answers that serve many names). Every Answer
 * of the zone has its packet moved here: one copy of the bytes, and no 8 KiB pool chunk kept alive
 * by a few stray packets. So a compiled zone is packed once: packing it again would move its
 * Answers' packets to the new buffer, under the first one's feet.
 */
export interface PackedZone {
  readonly bytes: Buffer;
  readonly offsets: Int32Array;
  readonly values: Answer[];
}

/**
 * The longest packet kept inline. The hot path copies an inline packet with a byte loop (no view
 * object to allocate), about 1 ns an octet slower than TypedArray#set: past two cache lines or so
 * that costs more than the misses saved (in-process respond() for TXT, 160 octets: 300 ns inline,
 * 145 ns through its Answer). With an OPT RR it still fits the smallest UDP limit (512), so an
 * inline packet never needs a smaller form.
 */
const INLINE_MAX = 128;
/** Octets before an entry's key: the name length. */
export const ENTRY_KEY_AT = 1;
/** Octets of the query type after the name in a key. */
export const KEY_TYPE_OCTETS = 2;
/** Octets of the inline packet length field (L). */
export const INLINE_LENGTH_OCTETS = 2;

/** The end of the key of the entry at `o`: where its inline length field (L) starts. */
export function keyEnd(bytes: Uint8Array, o: number): number {
  return o + ENTRY_KEY_AT + bytes[o] + KEY_TYPE_OCTETS;
}

/** The key of the entry at `o` as a latin1 string (for the slow paths that compare names as strings). */
export function keyOfEntry(bytes: Buffer, o: number): string {
  return bytes.toString('latin1', o + ENTRY_KEY_AT, keyEnd(bytes, o));
}

/** Every Answer reachable from `a`: its smaller forms and what it gives names below. */
function collect(a: Answer, into: Set<Answer>, belows: Set<Below>): void {
  for (let f: Answer | null = a; f !== null && !into.has(f); f = f.trimmed) {
    into.add(f);
    const below = f.below;
    if (below === null || belows.has(below)) continue;
    belows.add(below);
    for (const b of below.byType.values()) collect(b, into, belows);
    collect(below.other, into, belows);
  }
}

export function packZone(zone: CompiledZone): PackedZone {
  const answers = new Set<Answer>();
  const belows = new Set<Below>();
  let size = 0;
  for (const [key, a] of zone.entries) {
    size += ENTRY_KEY_AT + key.length + INLINE_LENGTH_OCTETS;
    collect(a, answers, belows);
  }
  for (const a of answers) size += a.packet.length;

  const bytes = Buffer.allocUnsafeSlow(size);
  const offsets = new Int32Array(zone.entries.size);
  const values: Answer[] = [];
  const placed = new Set<Answer>();
  const move = (a: Answer, at: number): number => {
    a.packet.copy(bytes, at);
    a.packet = bytes.subarray(at, at + a.packet.length);
    placed.add(a);
    return at + a.packet.length;
  };
  let at = 0;
  for (const [key, a] of zone.entries) {
    offsets[values.length] = at;
    values.push(a);
    // RFC 1035 §3.1: the parser allows no longer name; one octet holds its length.
    if (key.length - KEY_TYPE_OCTETS > MAX_NAME_LENGTH) throw new RangeError(`name of ${key.length - KEY_TYPE_OCTETS} octets in ${zone.apexKey}`);
    bytes[at] = key.length - KEY_TYPE_OCTETS;
    at += ENTRY_KEY_AT + bytes.write(key, at + ENTRY_KEY_AT, 'latin1');
    // A packet for this name alone follows its key, inline or not: the Answer's view points there.
    const own = a.relocs === null && !placed.has(a);
    bytes.writeUInt16BE(own && a.packet.length <= INLINE_MAX ? a.packet.length : 0, at);
    at = own ? move(a, at + INLINE_LENGTH_OCTETS) : at + INLINE_LENGTH_OCTETS;
  }
  for (const a of answers) if (!placed.has(a)) at = move(a, at);
  return { bytes, offsets, values };
}
