/**
 * A compile thread (src/answer/compiler.ts): compiles the zone files it is sent and sends back
 * what they compiled to, the images' buffers transferred, not copied. With a cache folder, a file
 * compiled before (same text, name and Eclipso version) is read back from it instead. It also
 * makes zone transfers' messages from a file's text, a batch each time the serving thread asks.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { differenceBuffers } from '../transfer/difference.js';
import { compileFile, differenceOf, type CompiledFile } from './compile-file.js';
import { cacheKey, readCached, writeCached } from './compiled-cache.js';
import type { CompileReply, CompileThreadData, FromThread, ToThread } from './compiler.js';
import { nextBatch, transferMessagesOf } from './transfer-job.js';

const { cacheDir, version } = workerData as CompileThreadData;

/** A zone read back from the cache, with the difference from the previous version when one is asked for. */
function fromCache(m: Extract<ToThread, { kind: 'compile' }>, cached: CompiledFile): CompiledFile {
  if (cached.kind !== 'zone') return cached;
  const difference = m.previous && differenceOf(m.previous, m.text, cached.facts.serial, m.origin, m.fileName);
  return { ...cached, cached: true, ...(difference && { difference }) };
}

function compile(m: Extract<ToThread, { kind: 'compile' }>): Omit<CompileReply, 'id' | 'kind'> {
  if (cacheDir === null) return { result: compileFile(m.text, m.origin, m.fileName, m.serial, m.previous), key: null };
  const key = cacheKey(version, m.text, m.origin, m.fileName, m.serial);
  const cached = readCached(cacheDir, key);
  if (cached) return { result: fromCache(m, cached), key };
  const result = compileFile(m.text, m.origin, m.fileName, m.serial, m.previous);
  if (result.kind !== 'zone' && result.kind !== 'inactive') return { result, key: null };
  try {
    writeCached(cacheDir, key, result);
    return { result, key };
  } catch (e) {
    // A full disk or a read-only folder costs the next start its speed, nothing else.
    return { result, key: null, cacheError: (e as Error).message };
  }
}

/** Transfers under way on this thread: their messages, made as they are asked for. */
const transfers = new Map<number, Iterator<Buffer>>();

/** Sends the next batch of a transfer's messages; the zone is let go with the last one, or on an error. */
function sendBatch(id: number, messages: Iterator<Buffer>): void {
  let reply: FromThread;
  try {
    const { batch, done } = nextBatch(messages);
    if (done) transfers.delete(id);
    reply = { kind: 'batch', id, batch, done };
  } catch (e) {
    transfers.delete(id);
    reply = { kind: 'batch', id, batch: null, done: true, error: (e as Error).message };
  }
  parentPort!.postMessage(reply, reply.batch ? [reply.batch.buffer as ArrayBuffer] : []);
}

parentPort!.on('message', (m: ToThread) => {
  switch (m.kind) {
    case 'compile': {
      const reply: CompileReply = { kind: 'compiled', id: m.id, ...compile(m) };
      const { result } = reply;
      const transfer = result.kind === 'zone'
        ? [result.image.bytes.buffer, result.image.ints.buffer, ...(result.difference ? differenceBuffers(result.difference) : [])]
        : [];
      parentPort!.postMessage(reply, transfer as ArrayBuffer[]);
      return;
    }
    case 'transfer': {
      let messages: Iterator<Buffer>;
      try {
        messages = transferMessagesOf(m.job);
      } catch (e) {
        parentPort!.postMessage({ kind: 'batch', id: m.id, batch: null, done: true, error: (e as Error).message } satisfies FromThread);
        return;
      }
      transfers.set(m.id, messages);
      sendBatch(m.id, messages);
      return;
    }
    case 'more': {
      const messages = transfers.get(m.id);
      if (messages) sendBatch(m.id, messages);
      return;
    }
    case 'stop':
      transfers.delete(m.id);
  }
});
