/**
 * A compile thread (src/answer/compiler.ts): compiles the zone files it is sent and sends back
 * what they compiled to, the images' buffers transferred, not copied. With a cache folder, a file
 * compiled before (same text, name and Eclipso version) is read back from it instead.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { compileFile } from './compile-file.js';
import { cacheKey, readCached, writeCached } from './compiled-cache.js';
import type { CompileReply, CompileRequest, CompileThreadData } from './compiler.js';

const { cacheDir, version } = workerData as CompileThreadData;

function compile(m: CompileRequest): Omit<CompileReply, 'id'> {
  if (cacheDir === null) return { result: compileFile(m.text, m.origin, m.fileName), key: null };
  const key = cacheKey(version, m.text, m.origin, m.fileName);
  const cached = readCached(cacheDir, key);
  if (cached) return { result: cached.kind === 'zone' ? { ...cached, cached: true } : cached, key };
  const result = compileFile(m.text, m.origin, m.fileName);
  if (result.kind !== 'zone' && result.kind !== 'inactive') return { result, key: null };
  try {
    writeCached(cacheDir, key, result);
    return { result, key };
  } catch (e) {
    // A full disk or a read-only folder costs the next start its speed, nothing else.
    return { result, key: null, cacheError: (e as Error).message };
  }
}

parentPort!.on('message', (m: CompileRequest) => {
  const reply: CompileReply = { id: m.id, ...compile(m) };
  const transfer = reply.result.kind === 'zone' ? [reply.result.image.bytes.buffer, reply.result.image.ints.buffer] : [];
  parentPort!.postMessage(reply, transfer as ArrayBuffer[]);
});
