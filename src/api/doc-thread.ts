/**
 * The API's document thread (doc-worker.ts): runs ZONE_DOCS for the API, one request at a time,
 * and sends back the result, or the ApiError (or error) it threw, as plain data.
 */
import { parentPort } from 'node:worker_threads';
import { ApiError } from './errors.js';
import { ZONE_DOCS } from './zone-docs.js';
import type { DocReply, DocRequest } from './doc-worker.js';

parentPort!.on('message', (m: DocRequest) => {
  let reply: DocReply;
  try {
    const op = ZONE_DOCS[m.op] as (...args: unknown[]) => unknown;
    reply = { id: m.id, result: op(...m.args) };
  } catch (e) {
    reply = e instanceof ApiError
      ? { id: m.id, apiError: { status: e.status, message: e.message, details: e.details, headers: e.headers } }
      : { id: m.id, error: (e as Error).message };
  }
  parentPort!.postMessage(reply);
});
