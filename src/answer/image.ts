/**
 * A compiled zone as flat memory (laid out by pack.ts): two typed arrays and no objects, so it is
 * built on a compile thread and handed to the serving thread without copying (their buffers are
 * transferred), and installed there in one step, however large the zone.
 *
 * `bytes`: entry i, its offset (entryOffset(i)) at N:
 *   key (N + 2 octets)  the lower-cased wire name and the query type (0: the name's fallback)
 *   N (1 octet)         length of the name's wire form (RFC 1035 §3.1: 1 to 255)
 *   L (2 octets)        length of the inline packet; 0 when the answer must be taken from its record
 *   packet              the answer, when it is only ever sent for this name (no relocations) and
 *                       no other entry placed it first: inline when at most INLINE_MAX octets (L is
 *                       its length), else still here but reached through its answer record (L is 0)
 * then every other packet of the zone (smaller forms, answers that serve many names). A packet is
 * kept without its question (header, then body): the query's own question is always sent in its
 * place (src/answer/respond.ts), so the key's name and type, or the name a wildcard or NXDOMAIN
 * answer was compiled for, would be a second copy never read.
 *
 * A name's later entries (its other types, its fallback) do not repeat it: their key is
 *   D (2 octets)        how far back the name's first entry's N is (when within 65,535 octets)
 *   type (2 octets)     the query type
 *   0 (1 octet)         SAME_NAME in place of N
 * then L and the packet as above: 5 octets for the key, not N + 3 (19 for a name of 16).
 *
 * `ints`: a header (HEADER_INTS), then in order: the entries' offsets, the entries' answers, the
 * answer records, the below records, the (type, answer) pairs of the belows, the relocations, and
 * the zone's own hash index of its keys (src/answer/zone.ts reads them).
 *
 * Why keys beside packets: a query's answer was reached through five or six heap objects (table
 * entry, key string, Answer, Buffer, its bytes), each a likely cache and TLB miss; here the key
 * and, for the usual answer, its packet lie side by side (bench/RESULTS.md).
 */
export interface ZoneImage {
  readonly bytes: Uint8Array;
  readonly ints: Int32Array;
}

/**
 * The longest packet kept inline. The hot path copies an inline packet with a byte loop (no view
 * object to allocate), about 1 ns an octet slower than TypedArray#set: past two cache lines or so
 * that costs more than the misses saved. With an OPT RR it still fits the smallest UDP limit
 * (512), so an inline packet never needs a smaller form.
 */
export const INLINE_MAX = 128;
/** Octets of the query type after the name in a key. */
export const KEY_TYPE_OCTETS = 2;
/** Octets of an entry's N, between its key and L. */
export const NAME_LENGTH_OCTETS = 1;
/** N of an entry whose name is its name's first entry's (no name is 0 octets long). */
export const SAME_NAME = 0;
/** Octets of D, the distance back to a name's first entry. */
export const DISTANCE_OCTETS = 2;
export const MAX_DISTANCE = 0xffff;
/** Octets of the inline packet length field (L). */
export const INLINE_LENGTH_OCTETS = 2;

/** Header of `ints`: the counts of each section. */
export const IMAGE = { ENTRIES: 0, ANSWERS: 1, BELOWS: 2, PAIR_INTS: 3, RELOCS: 4, SLOTS: 5 } as const;
export const HEADER_INTS = 6;
/**
 * An answer record: its packet (header and body), its relocations (NONE when it has no pointer
 * to move), smaller form, below.
 */
export const ANSWER = { PACKET_AT: 0, PACKET_LENGTH: 1, RELOCS: 2, TRIMMED: 3, BELOW: 4 } as const;
export const ANSWER_INTS = 5;
/**
 * An answer's relocations: how many, where the question ended in its packet as compiled (the
 * offsets count from there), then the offsets. Only answers for many names have them, so the
 * question's end lives here, not in every record: a packet without relocations is sent behind
 * the query's question whatever its length.
 */
export const RELOC = { COUNT: 0, QEND: 1 } as const;
export const RELOC_HEADER_INTS = 2;
/** A below record: the answer for other types, and where its (type, answer) pairs are. */
export const BELOW = { OTHER: 0, PAIR_AT: 1, PAIR_COUNT: 2 } as const;
export const BELOW_INTS = 3;
/**
 * A slot of the zone's hash index is one int: 0 when empty, else the entry number plus one in its
 * low `entryBits(entries)` bits and the key's hash in the bits above (the hash's own low bits are
 * dropped: the slot's place already says most of them). A probe reads one word, and the index
 * costs 4 octets a slot, not 8; the 10 hash bits left in a zone of three million entries still
 * spare all but one key comparison in a thousand.
 */
export function entryBits(entries: number): number {
  return 32 - Math.clz32(entries);
}
/** An empty slot of the index. */
export const EMPTY_SLOT = 0;
/** No smaller form, no below. */
export const NONE = -1;

/**
 * Octets from which an allocation is mapped on its own by glibc's malloc whatever it learned
 * (mallopt(3): M_MMAP_THRESHOLD's dynamic bound on 64-bit systems): its pages untouched take no
 * memory, and it is given back whole when freed. A smaller one may come from memory malloc reuses
 * (which calloc clears whole, and which stays in its arenas once freed).
 */
export const MAPPED_ALONE_OCTETS = 32 * 2 ** 20;

/**
 * Where an image is put: private memory, or memory shared with other threads; `buffer` makes a
 * compiled zone's other octets (its transfer messages) in the same kind of memory.
 */
export type ImageAllocator = ((bytes: number, ints: number) => ZoneImage) & { readonly buffer: (octets: number) => ArrayBufferLike };

/**
 * An image's arrays in one buffer, its ints after its bytes: one allocation a zone, not two (each
 * costs its own bookkeeping, and in every thread that holds it).
 */
function oneBuffer(buffer: (octets: number) => ArrayBufferLike): ImageAllocator {
  const image = (bytes: number, ints: number): ZoneImage => {
    const intsAt = (bytes + Int32Array.BYTES_PER_ELEMENT - 1) & -Int32Array.BYTES_PER_ELEMENT;
    const b = buffer(intsAt + ints * Int32Array.BYTES_PER_ELEMENT);
    return { bytes: new Uint8Array(b, 0, bytes), ints: new Int32Array(b, intsAt, ints) };
  };
  return Object.assign(image, { buffer });
}

/** An image in an ArrayBuffer: handed to another thread by transferring it. */
export const privateImage: ImageAllocator = oneBuffer((n) => new ArrayBuffer(n));
/** An image in a SharedArrayBuffer, for DNS threads (src/serving/threads.ts): every thread serves it where it lies. */
export const sharedImage: ImageAllocator = oneBuffer((n) => new SharedArrayBuffer(n));
