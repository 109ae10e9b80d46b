import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ConfigError } from '../config.js';
import { ApiError } from './errors.js';

/** What a token may do: everything, read everything, or read and write the zones listed. */
export type Scope = { kind: 'admin' } | { kind: 'read' } | { kind: 'zones'; zones: ReadonlySet<string> };

/** A token as configured: a name for the audit log, the SHA-256 of the token, its scope. */
export interface ApiToken {
  name: string;
  sha256: Buffer;
  scope: Scope;
}

/** The name the audit log gives the API_TOKEN token. */
export const API_TOKEN_NAME = 'API_TOKEN';

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * API_TOKENS_FILE: one token a line, `name sha256hex scope` (blank lines and `#` comments
 * skipped). scope: `admin`, `read`, or zones it may read and write, comma-separated
 * (`example.com,example.org`). Only the token's digest is stored, so the file gives no token away.
 */
export function parseTokensFile(text: string, file: string): ApiToken[] {
  const tokens: ApiToken[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const bad = (what: string): never => {
      throw new ConfigError(`API_TOKENS_FILE ${file}:${i + 1}: ${what}; write one token a line: name sha256hex scope (scope: admin, read, or zones such as example.com,example.org)`);
    };
    const [name, hex, scope, extra] = line.split(/\s+/);
    if (scope === undefined || extra !== undefined) bad('expected three fields');
    if (!/^[0-9a-f]{64}$/i.test(hex)) bad(`"${hex.slice(0, 8)}…" is not a SHA-256 in hex (64 hex digits: printf %s "$TOKEN" | sha256sum)`);
    if (tokens.some((t) => t.name === name)) bad(`the name ${name} is given twice`);
    tokens.push({ name, sha256: Buffer.from(hex, 'hex'), scope: parseScope(scope) });
  });
  return tokens;
}

function parseScope(text: string): Scope {
  if (text === 'admin') return { kind: 'admin' };
  if (text === 'read') return { kind: 'read' };
  return { kind: 'zones', zones: new Set(text.split(',').filter(Boolean).map((z) => z.toLowerCase().replace(/\.$/, ''))) };
}

/** The API_TOKEN token (every right). */
export function singleToken(token: string): ApiToken {
  return { name: API_TOKEN_NAME, sha256: sha256(token), scope: { kind: 'admin' } };
}

/** The token a request presents: `Authorization: Bearer <token>`, or `X-API-Key: <token>` (PowerDNS). */
function presented(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m ? m[1] : undefined;
  }
  const key = headers['x-api-key'];
  return typeof key === 'string' && key !== '' ? key : undefined;
}

/**
 * The token of a request, or 401. Every configured token is compared, each in constant time over
 * the SHA-256 digests (equal lengths whatever was sent), so neither the time taken nor an early
 * exit tells a client how much of a token it got right.
 */
export function authenticate(headers: IncomingHttpHeaders, tokens: readonly ApiToken[]): ApiToken {
  const token = presented(headers);
  const unauthorized = (why: string): ApiError =>
    new ApiError(401, `${why}; send Authorization: Bearer <token> (or X-API-Key: <token>) with a token from API_TOKEN or API_TOKENS_FILE`, {}, { 'www-authenticate': 'Bearer realm="eclipso"' });
  if (token === undefined) throw unauthorized('no token');
  const digest = sha256(token);
  let found: ApiToken | undefined;
  for (const t of tokens) if (timingSafeEqual(t.sha256, digest) && found === undefined) found = t;
  if (!found) throw unauthorized('unknown token');
  return found;
}

/** Whether the token may read (`write` false) or write this zone; 403 if not. */
export function authorize(token: ApiToken, zone: string, write: boolean): void {
  const { scope } = token;
  if (scope.kind === 'admin') return;
  if (scope.kind === 'read') {
    if (write) throw new ApiError(403, `token ${token.name} may only read; use a token with scope admin or ${zone} to change it`);
    return;
  }
  if (!scope.zones.has(zone)) throw new ApiError(403, `token ${token.name} may not ${write ? 'change' : 'read'} ${zone}; its scope is ${[...scope.zones].join(',')}`);
}

/** Whether the token may see this zone in a listing. */
export function mayRead(token: ApiToken, zone: string): boolean {
  return token.scope.kind !== 'zones' || token.scope.zones.has(zone);
}
