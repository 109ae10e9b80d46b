/**
 * A compile thread (src/answer/compiler.ts): compiles the zone files it is sent and sends back
 * what they compiled to, the buffers transferred, not copied. With a cache folder, a file compiled
 * before (same text, name and Eclipso version) is read back from it instead.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { differenceBuffers } from '../transfer/difference.js';
import { textDigest } from '../zone/text.js';
import { compileFile, differenceOf, type CompiledFile } from './compile-file.js';
import { cacheKey, readCached, sharedImage, writeCached } from './compiled-cache.js';
import type { ZoneImage } from './image.js';
import type { CompileReply, CompileThreadData, ToThread } from './compiler.js';

const { cacheDir, version, transfers, shared } = workerData as CompileThreadData;

/** A zone read back from the cache, with the difference from the previous version when one is asked for. */
function fromCache(m: ToThread, cached: CompiledFile): CompiledFile {
  if (cached.kind !== 'zone') return cached;
  const difference = m.previous && differenceOf(m.previous, m.text, cached.facts.serial, m.origin, m.fileName);
  return { ...cached, cached: true, ...(difference && { difference }) };
}

function compile(m: ToThread, digest: string): Omit<CompileReply, 'id' | 'result'> & { result: CompiledFile } {
  const outputs = { previous: m.previous, transfers };
  if (cacheDir === null) return { result: compileFile(m.text, m.origin, m.fileName, m.serial, outputs), key: null };
  const key = cacheKey(version, digest, m.origin, m.fileName, m.serial);
  // Read back where it is handed over from: shared, the image is not copied again.
  const cached = readCached(cacheDir, key, shared ? sharedImage : undefined);
  // An entry written while transfers were off has no transfer messages: compiled again, and rewritten.
  if (cached && (!transfers || cached.kind !== 'zone' || cached.axfr)) return { result: fromCache(m, cached), key };
  const result = compileFile(m.text, m.origin, m.fileName, m.serial, outputs);
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
 * A zone compiled once when the thread starts, and thrown away: the first zone a fresh thread
 * compiles pays for compiling the compiler itself (its functions are parsed and compiled on first
 * call). compiler.ts replaces the last idle thread by a fresh one, so a change after a quiet spell
 * met that cost (bench/RESULTS.md: one-zone reload after idle). Paid here, before any file waits.
 */
const WARM_UP_ZONE = '[domain]\ndomain = "warm-up.invalid"\n[[records]]\ndomain = "www"\naddress = "192.0.2.1"\n[[records]]\ntype = "MX"\naddress = "mail.warm-up.invalid."\n';
try {
  handedOver(compileFile(WARM_UP_ZONE, 'warm-up.invalid.toml', 'warm-up.invalid.toml', {}, { transfers }));
  textDigest(WARM_UP_ZONE);
} catch {
  // A warm-up that fails costs the next file its speed, nothing else: that file says what is wrong.
}

// The files of one message are answered in one message (src/outbox.ts).
parentPort!.on('message', (files: ToThread[]) => {
  const replies = files.map((m): CompileReply => {
    const digest = textDigest(m.text);
    const { result, ...rest } = compile(m, digest);
    return { id: m.id, result: { ...handedOver(result), digest }, ...rest };
  });
  parentPort!.postMessage(replies, replies.flatMap((r) => buffersOf(r.result)));
});
