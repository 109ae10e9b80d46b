/**
 * A compile thread (src/answer/compiler.ts): compiles the zone files it is sent and sends back
 * what they compiled to, the buffers transferred, not copied. With a cache folder, a file compiled
 * before (same text, name and Eclipso version) is read back from it instead.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { releaseMemory } from '../heap.js';
import { differenceBuffers } from '../transfer/difference.js';
import { textDigest } from '../zone/text.js';
import { compileFile, differenceOf, type CompiledFile } from './compile-file.js';
import { cacheKey, readCached, writeCached } from './compiled-cache.js';
import { sharedImage, type ZoneImage } from './image.js';
import type { CompileReply, CompileThreadData, ToThread } from './compiler.js';

const { cacheDir, version, transfers, shared } = workerData as CompileThreadData;
/** Where images are made: shared, they are made where they are handed over from, not copied there (handedOver). */
const images = shared ? sharedImage : undefined;

/** A zone read back from the cache, with the difference from the previous version when one is asked for. */
function fromCache(m: ToThread, cached: CompiledFile): CompiledFile {
  if (cached.kind !== 'zone') return cached;
  const difference = m.previous && differenceOf(m.previous, m.text, cached.facts.serial, m.origin, m.fileName);
  return { ...cached, cached: true, ...(difference && { difference }) };
}

/** Zones this thread has compiled (not read back from the cache): see idleStep. */
let compiledZones = 0;

function compiledFile(m: ToThread): CompiledFile {
  compiledZones++;
  return compileFile(m.text, m.origin, m.fileName, m.serial, { previous: m.previous, transfers }, images);
}

function compile(m: ToThread, digest: string): Omit<CompileReply, 'id' | 'result'> & { result: CompiledFile } {
  if (cacheDir === null) return { result: compiledFile(m), key: null };
  const key = cacheKey(version, digest, m.origin, m.fileName, m.serial);
  const cached = readCached(cacheDir, key, images);
  // An entry written while transfers were off has no transfer messages: compiled again, and rewritten.
  if (cached && (!transfers || cached.kind !== 'zone' || cached.axfr)) return { result: fromCache(m, cached), key };
  const result = compiledFile(m);
  if (result.kind !== 'zone' && result.kind !== 'inactive') return { result, key: null };
  try {
    writeCached(cacheDir, key, result);
    return { result, key };
  } catch (e) {
    // A full disk or a read-only folder costs the next start its speed, nothing else.
    return { result, key: null, cacheError: (e as Error).message };
  }
}

/** A copy of `a` in a SharedArrayBuffer. */
function sharedCopy(a: Uint8Array): Uint8Array {
  const copy = new Uint8Array(new SharedArrayBuffer(a.byteLength));
  copy.set(a);
  return copy;
}

function isShared(image: ZoneImage): boolean {
  return image.bytes.buffer instanceof SharedArrayBuffer;
}

/** With `shared`, the zone's image and transfer messages moved into shared memory (the private copies die with this thread's heap). */
function handedOver(result: CompiledFile): CompiledFile {
  if (!shared || result.kind !== 'zone') return result;
  let image = result.image;
  if (!isShared(image)) {
    image = sharedImage(image.bytes.length, image.ints.length);
    image.bytes.set(result.image.bytes);
    image.ints.set(result.image.ints);
  }
  return { ...result, image, ...(result.axfr && { axfr: sharedCopy(result.axfr) }) };
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
 * Then its heap, full of what it parsed and compiled, is collected and the pages given back
 * (releaseMemory): they would stay pooled, and after the thread ends (compiler.ts) 8 s more.
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
/** True when the thread has worked since it last gave its memory back. */
let worked = true;

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
    if (worked) releaseMemory();
    worked = false;
    return;
  }
  try {
    compiledZones++;
    // Without a serial or a digest given, the zone's placeholder serial warms up the hashing too.
    handedOver(compileFile(WARM_UP_ZONE, 'warm-up.invalid.toml', 'warm-up.invalid.toml', {}, { transfers }, images));
  } catch {
    // A warm-up that fails costs the next files their speed, nothing else: a file says what is wrong.
    compiledZones = WARM_UP_COMPILES;
  }
  idle = setImmediate(idleStep);
}

idleLater();

// The files of one message are answered in one message (src/outbox.ts).
parentPort!.on('message', (files: ToThread[]) => {
  stopIdle();
  worked = true;
  const replies = files.map((m): CompileReply => {
    // Made once: the source's when it made one (the folder, to see whether the file changed).
    const digest = m.serial.digest ?? textDigest(m.text);
    const { result, ...rest } = compile({ ...m, serial: { ...m.serial, digest } }, digest);
    return { id: m.id, result: { ...handedOver(result), digest }, ...rest };
  });
  parentPort!.postMessage(replies, replies.flatMap((r) => buffersOf(r.result)));
  idleLater();
});
