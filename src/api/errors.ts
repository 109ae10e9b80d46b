import type { ZoneProblem } from '../zone/problem.js';

/**
 * An answer other than success: its HTTP status and a message that says what happened and what
 * to do. Sent as `{"error": message, ...details}` (PowerDNS's shape: tools print `error`).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** More to send: `problems` (422), `allow`, `etag`. */
    readonly details: { problems?: (ZoneProblem & { text: string })[]; [k: string]: unknown } = {},
    /** Headers to send with it (Allow for 405, WWW-Authenticate for 401). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string): ApiError => new ApiError(400, message);
export const notFound = (message: string): ApiError => new ApiError(404, message);
