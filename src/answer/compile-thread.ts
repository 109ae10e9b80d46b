/**
 * A compile thread (src/answer/compiler.ts): compiles the zone files it is sent and sends back
 * what they compiled to, the buffers transferred, not copied. With a cache folder, a file compiled
 * before (same text, name and Eclipso version) is read back from it instead, and a file compiled
 * is written to it: during the first load, once the load is done (see `deferred`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { releaseMemory } from '../heap.js';
import { differenceBuffers } from '../transfer/difference.js';
import { textDigest } from '../zone/text.js';
import { compileFile, differenceOf, type CompiledFile } from './compile-file.js';
import { cacheEntry, cachedKeys, cacheKey, readCached, writeCached, writeEntry, type Cacheable } from './compiled-cache.js';
import { MAPPED_ALONE_OCTETS, sharedImage } from './image.js';
import type { CompileReply, CompileThreadData, DeferredWritten, ToThread, ToThreadMessage } from './compiler.js';

const { cacheDir, version, transfers, shared } = workerData as CompileThreadData;
/**
 * Where images and transfer messages are made: with `shared`, in shared memory, where every thread
 * serves them from, not copied there; else private, and transferred (buffersOf).
 */
const images = shared ? sharedImage : undefined;

/** A zone read back from the cache, with the difference from the previous version when one is asked for. */
function fromCache(m: ToThread, cached: CompiledFile): CompiledFile {
  if (cached.kind !== 'zone') return cached;
  const difference = m.previous && differenceOf(m.previous, m.content, cached.facts.serial, m.origin, m.fileName);
  return { ...cached, cached: true, ...(difference && { difference }) };
}

/** Zones this thread has compiled (not read back from the cache): see idleStep. */
let compiledZones = 0;

function compiledFile(m: ToThread): CompiledFile {
  compiledZones++;
  return compileFile(m.content, m.origin, m.fileName, m.serial, { previous: m.previous, transfers }, images);
}

/**
 * The keys of the cache's entries when this thread first looked (cachedKeys), and of those it has
 * written since. One another thread wrote meanwhile is missed: its zone is compiled, and written, again.
 */
let keys: Set<string> | null = null;

function compile(m: ToThread, digest: string): Omit<CompileReply, 'id' | 'result'> & { result: CompiledFile } {
  if (cacheDir === null) return { result: compiledFile(m), key: null };
  const key = cacheKey(version, digest, m.origin, m.fileName, m.serial);
  keys ??= cachedKeys(cacheDir);
  const cached = keys.has(key) ? readCached(cacheDir, key, images) : null;
  // An entry written while transfers were off has no transfer messages: compiled again, and rewritten.
  if (cached && (!transfers || cached.kind !== 'zone' || cached.axfr)) return { result: fromCache(m, cached), key };
  const result = compiledFile(m);
  if (result.kind !== 'zone' && result.kind !== 'inactive') return { result, key: null };
  if (m.deferCache && defer(key, result)) return { result, key };
  try {
    writeCached(cacheDir, key, result);
    keys.add(key);
    return { result, key };
  } catch (e) {
    // A full disk or a read-only folder costs the next start its speed, nothing else.
    return { result, key: null, cacheError: (e as Error).message };
  }
}

/**
 * Cache entries compiled during the first load, written once it is done (writeDeferred): an entry
 * written as each zone compiled (a file made, written, closed and renamed) made a first start at
 * 20,000 zones a second longer (bench/RESULTS.md); written after, it delays no answer (the next
 * start reads only what was written). Each is its pieces (cacheEntry): views of the parts in
 * shared memory that nothing changes (see `kept`), and copies of the rest (a private image is handed
 * over, and a health-checked zone's changes as its checks report), the copies at most
 * DEFERRED_MAX_OCTETS in all (past that, entries are written as their zones are compiled). A view
 * keeps its zone's image until written, served or not: for the first load's length.
 */
const deferred: Uint8Array[][] = [];
const deferredKeys: string[] = [];
let deferredOctets = 0;
const DEFERRED_MAX_OCTETS = 128 * 2 ** 20;
/**
 * The copied pieces are put end to end into slabs of this size (a larger entry's into one of its own):
 * a buffer of its own for each was a third of deferring them (an ArrayBuffer costs its allocation
 * and the collector's bookkeeping, whatever its size). Mapped alone, a slab is given back whole
 * when freed; slabs of 1 MiB stayed in malloc's arenas once written, 130 MiB of PSS a first start
 * at 20,000 zones kept (bench/RESULTS.md).
 */
const SLAB_OCTETS = MAPPED_ALONE_OCTETS;
let slab = new Uint8Array(0);
let slabUsed = 0;

/**
 * Whether a piece of `result`'s entry is kept as it is, not copied: a part of an image in shared
 * memory (the serving thread reads the same octets) that nothing writes to once made, as a zone
 * without health checks. Copying the images of a first load was most of deferring them: 100 MB
 * at 20,000 zones, each page new to the process (bench/RESULTS.md).
 */
function kept(result: Cacheable, piece: Uint8Array): boolean {
  return piece.buffer instanceof SharedArrayBuffer && !(result.kind === 'zone' && result.health);
}

/** Keeps the entry of `result` for writeDeferred; false when there is no room. */
function defer(key: string, result: Cacheable): boolean {
  const pieces = cacheEntry(result);
  // The header is never kept (kept), so every entry has a piece in the slab: writeDeferred frees the slab by it.
  const size = pieces.reduce((n, p) => (kept(result, p) ? n : n + p.length), 0);
  if (deferredOctets + size > DEFERRED_MAX_OCTETS) return false;
  deferredOctets += size;
  if (slabUsed + size > slab.length) {
    slab = new Uint8Array(Math.max(SLAB_OCTETS, size));
    slabUsed = 0;
  }
  deferred.push(pieces.map((p) => {
    if (kept(result, p)) return p;
    const at = slabUsed;
    slab.set(p, at);
    slabUsed += p.length;
    return slab.subarray(at, slabUsed);
  }));
  deferredKeys.push(key);
  return true;
}

/** Entries written a turn: files sent meanwhile are compiled between turns, not after all of them. */
const WRITES_PER_TURN = 64;

/** An entry written: its slab is let go once every entry in it is. */
const WRITTEN: Uint8Array[] = [];

/**
 * Writes the deferred entries, a few a turn, then says so (DeferredWritten). Each slab goes once
 * its entries are written, not when the heap next fills (an idle thread's may not for minutes):
 * writing 20,000 entries can take seconds.
 */
function writeDeferred(from = 0, error?: string): void {
  if (from === 0) slab = new Uint8Array(0);
  let i = from;
  for (const end = Math.min(deferred.length, from + WRITES_PER_TURN); i < end; i++) {
    try {
      writeEntry(cacheDir!, deferredKeys[i], deferred[i]);
      keys?.add(deferredKeys[i]);
    } catch (e) {
      error ??= (e as Error).message;
    }
    const done = deferred[i][0].buffer;
    deferred[i] = WRITTEN;
    if (i + 1 === deferred.length || deferred[i + 1][0].buffer !== done) releaseMemory();
  }
  if (i < deferred.length) {
    setImmediate(() => writeDeferred(i, error));
    return;
  }
  deferred.length = 0;
  deferredKeys.length = 0;
  deferredOctets = 0;
  slabUsed = 0;
  parentPort!.postMessage({ written: i, ...(error !== undefined && { cacheError: error }) } satisfies DeferredWritten);
}

/** The private buffers of a compiled zone, handed to the serving thread without copying. */
function buffersOf(result: CompiledFile): ArrayBuffer[] {
  if (result.kind !== 'zone') return [];
  // One buffer may hold both of an image's arrays: each is listed once.
  const out = [...new Set([result.image.bytes.buffer, result.image.ints.buffer, result.axfr?.buffer])].filter((b) => b instanceof ArrayBuffer);
  if (result.difference) out.push(...differenceBuffers(result.difference));
  return out;
}

/**
 * What a thread does while it has nothing else to do, one step a turn (a file that arrives waits for
 * one step at most): warm up, then give back the memory its work left.
 *
 * A fresh thread compiles its first zones slowly: its functions run unoptimised until V8 has seen
 * them run often (a 50-record zone: 7–15 ms the first, about 1 ms after some thirty,
 * bench/RESULTS.md). compiler.ts replaces the last idle thread by a fresh one, and a server that
 * loaded a few zones has compiled only those: a changed zone would pay for it. So a thread that has
 * compiled fewer than WARM_UP_COMPILES zones compiles WARM_UP_ZONE first.
 *
 * Then, once it has compiled RELEASE_AFTER_OCTETS since it last did, its heap, full of what it
 * parsed and compiled, is collected and the pages given back (releaseMemory): they would stay
 * pooled, and after the thread ends (compiler.ts) 8 s more.
 */
const WARM_UP_COMPILES = 40;
/** Idle this long first: a thread in the middle of a load, or reading the cache back, is left to it. */
const IDLE_AFTER_MS = 100;
/** A zone like most: names with addresses, mail, text, a delegation with glue, an alias, a wildcard. */
const WARM_UP_ZONE = [
  '[domain]\ndomain = "warm-up.invalid"\n\n[defaults]\nttl = 3600\n',
  ...['192.0.2.1', '2001:db8::1'].map((a) => `[[records]]\ndomain = ""\naddress = "${a}"\n${a.includes(':') ? 'type = "AAAA"\n' : ''}`),
  '[[records]]\ndomain = ""\ntype = "NS"\naddress = "ns1.warm-up.invalid."\n',
  '[[records]]\ndomain = ""\ntype = "MX"\npreference = 10\naddress = "mail.warm-up.invalid."\n',
  '[[records]]\ndomain = ""\ntype = "TXT"\naddress = "v=spf1 mx -all"\n',
  '[[records]]\ndomain = ""\ntype = "CAA"\ntag = "issue"\naddress = "ca.example"\n',
  '[[records]]\ndomain = "_sip._udp"\ntype = "SRV"\nport = 5060\naddress = "mail.warm-up.invalid."\n',
  '[[records]]\ndomain = "sub"\ntype = "NS"\naddress = "ns.sub.warm-up.invalid."\n',
  '[[records]]\ndomain = "ns.sub"\naddress = "192.0.2.2"\n',
  '[[records]]\ndomain = "www"\ntype = "CNAME"\naddress = "warm-up.invalid."\n',
  '[[records]]\ndomain = "*.apps"\naddress = "192.0.2.3"\n',
  ...Array.from({ length: 40 }, (_, i) => `[[records]]\ndomain = "host-${i}"\naddress = "192.0.2.${10 + i}"\n`),
].join('\n');

let idle: NodeJS.Timeout | NodeJS.Immediate | null = null;
/**
 * Octets of zone files compiled since the thread last gave its memory back, from which it does so
 * once idle. Less leaves a few MiB that the collector and V8's page pool (emptied after 8 s) see to
 * on their own: after one changed zone of 50 records, the last-resort collection gave back nothing
 * and took 10–15 ms, which a file arriving meanwhile waited for (bench/RESULTS.md).
 */
const RELEASE_AFTER_OCTETS = 1 << 20;
let compiledOctets = 0;

function stopIdle(): void {
  clearTimeout(idle as NodeJS.Timeout);
  clearImmediate(idle as NodeJS.Immediate);
  idle = null;
}

function idleLater(): void {
  stopIdle();
  idle = setTimeout(idleStep, IDLE_AFTER_MS);
}

function idleStep(): void {
  idle = null;
  if (compiledZones >= WARM_UP_COMPILES) {
    if (compiledOctets >= RELEASE_AFTER_OCTETS) {
      releaseMemory();
      compiledOctets = 0;
    }
    return;
  }
  try {
    compiledZones++;
    // Without a serial or a digest given, the zone's placeholder serial warms up the hashing too.
    compileFile(WARM_UP_ZONE, 'warm-up.invalid.toml', 'warm-up.invalid.toml', {}, { transfers }, images);
  } catch {
    // A warm-up that fails costs the next files their speed, nothing else: a file says what is wrong.
    compiledZones = WARM_UP_COMPILES;
  }
  idle = setImmediate(idleStep);
}

idleLater();

// The files of one message are answered in one message (src/outbox.ts).
parentPort!.on('message', (message: ToThreadMessage) => {
  if (!Array.isArray(message)) {
    writeDeferred();
    return;
  }
  const files: ToThread[] = message;
  stopIdle();
  for (const m of files) compiledOctets += m.content.length;
  const replies = files.map((m): CompileReply => {
    // Made once: the source's when it made one (the folder, to see whether the file changed).
    const digest = m.serial.digest ?? textDigest(m.content);
    const { result, ...rest } = compile({ ...m, serial: { ...m.serial, digest } }, digest);
    return { id: m.id, result: { ...result, digest }, ...rest };
  });
  parentPort!.postMessage(replies, replies.flatMap((r) => buffersOf(r.result)));
  idleLater();
});
