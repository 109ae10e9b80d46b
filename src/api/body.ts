import type { IncomingMessage } from 'node:http';
import { ApiError } from './errors.js';

/** The body's media type, without parameters, lower case ('' when none is given). */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/** 415 unless the body is one of `accepted`. */
export function requireMediaType(req: IncomingMessage, accepted: readonly string[]): string {
  const type = mediaType(req);
  if (!accepted.includes(type)) {
    throw new ApiError(415, `Content-Type ${type === '' ? '(none)' : type} is not accepted here; send ${accepted.join(' or ')}`);
  }
  return type;
}

/**
 * The body as UTF-8 text, up to `max` octets: 413 as soon as it is larger (by its Content-Length,
 * or by what arrives), without reading the rest.
 */
export function readBody(req: IncomingMessage, max: number): Promise<string> {
  const tooLarge = (): ApiError => new ApiError(413, `the body is larger than ${max} bytes (API_MAX_BODY); split the change, or raise API_MAX_BODY`);
  const declared = Number(req.headers['content-length']);
  if (declared > max) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      const bytes = Buffer.concat(chunks);
      try {
        resolve(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
      } catch {
        reject(new ApiError(400, 'the body is not UTF-8; send UTF-8 text'));
      }
    });
    req.on('error', reject);
  });
}
