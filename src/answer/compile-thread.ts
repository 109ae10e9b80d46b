/**
 * A compile thread (src/answer/compiler.ts): compiles the zone files it is sent and sends back
 * what they compiled to, the images' buffers transferred, not copied.
 */
import { parentPort } from 'node:worker_threads';
import { compileFile } from './compile-file.js';
import type { CompileRequest, CompileReply } from './compiler.js';

parentPort!.on('message', (m: CompileRequest) => {
  const result = compileFile(m.text, m.origin, m.fileName);
  const transfer = result.kind === 'zone' ? [result.image.bytes.buffer, result.image.ints.buffer] : [];
  parentPort!.postMessage({ id: m.id, result } satisfies CompileReply, transfer as ArrayBuffer[]);
});
