import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { OPENAPI } from '../../src/api/openapi.js';
import { ANSWER_MS } from './dns.js';
import { freePort } from './ops.js';
import { startServer, type ServerProcess, type StartOptions } from './server.js';

/** The tokens the API tests use: name, token, scope (API_TOKENS_FILE keeps their SHA-256). */
export const TOKENS = {
  admin: { token: 'admin-secret-token-1', scope: 'admin' },
  reader: { token: 'reader-secret-token-2', scope: 'read' },
  shop: { token: 'shop-secret-token-3', scope: 'shop.test' },
} as const;

/** API_TOKENS_FILE text for TOKENS. */
export function tokensFile(): string {
  return Object.entries(TOKENS).map(([name, t]) => `${name} ${createHash('sha256').update(t.token).digest('hex')} ${t.scope}\n`).join('');
}

/** A server with the API on a free port: resolves with the server and the API's port once it listens. */
export async function startApiServer(zoneDir: string, opts: StartOptions = {}): Promise<{ server: ServerProcess; api: number }> {
  const port = await freePort();
  const server = await startServer(zoneDir, { ...opts, env: { SHUTDOWN_GRACE: '0', ...opts.env }, args: ['--api-port', String(port), ...(opts.args ?? [])] });
  const line = await server.waitFor((l) => l.msg === 'api listening', undefined, 'the API to listen ("api listening")');
  return { server, api: Number(line.port) };
}

export interface ApiReply {
  status: number;
  headers: Headers;
  /** The JSON body (or the text, for TOML; undefined when empty). */
  body: any;
}

export interface CallOptions {
  token?: string;
  json?: unknown;
  toml?: string;
  body?: string;
  headers?: Record<string, string>;
}

type Schema = Record<string, any>;

function resolve(s: Schema): Schema {
  if (s.$ref === undefined) return s;
  return (s.$ref as string).slice(2).split('/').reduce((o: any, k) => o[k], OPENAPI as any) as Schema;
}

/** Checks `value` against a schema of the document (the subset it uses: type, properties, required, items, enum, $ref). */
export function validate(value: unknown, schema: Schema, at = '$'): string[] {
  const s = resolve(schema);
  const errors: string[] = [];
  if (s.type !== undefined) {
    const types: string[] = Array.isArray(s.type) ? s.type : [s.type];
    const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
    if (!types.includes(actual) && !(actual === 'integer' && types.includes('number'))) return [`${at}: ${JSON.stringify(value)} is not ${types.join('|')}`];
  }
  if (s.enum !== undefined && !s.enum.includes(value)) errors.push(`${at}: ${JSON.stringify(value)} not in ${s.enum.join(',')}`);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const r of s.required ?? []) if (!(r in value)) errors.push(`${at}.${r}: missing`);
    for (const [k, sub] of Object.entries(s.properties ?? {})) {
      if (k in value) errors.push(...validate((value as Record<string, unknown>)[k], sub as Schema, `${at}.${k}`));
    }
  }
  if (Array.isArray(value) && s.items) value.forEach((v, i) => errors.push(...validate(v, s.items, `${at}[${i}]`)));
  return errors;
}

/** The document's response schema for a call (undefined: no JSON schema, e.g. TOML). */
function responseSchema(method: string, path: string, status: number, type: string): Schema | undefined {
  const rel = path.replace(/^\/api\/v1/, '').split('?')[0];
  const key = Object.keys(OPENAPI.paths).find((p) => new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(rel));
  assert.ok(key, `${path} is not in the OpenAPI document`);
  const op = (OPENAPI.paths as any)[key][method.toLowerCase()];
  assert.ok(op, `${method} ${key} is not in the OpenAPI document`);
  const response = op.responses[String(status)];
  assert.ok(response, `${method} ${key} answered ${status}, which the OpenAPI document does not list`);
  return resolve(response).content?.[type]?.schema;
}

/** An API client that checks every answer against the OpenAPI document. */
export class ApiClient {
  constructor(readonly base: string, private readonly fetchImpl: typeof fetch = fetch) {}

  async call(method: string, path: string, opts: CallOptions = {}): Promise<ApiReply> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    let body = opts.body;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['content-type'] ??= 'application/json';
    }
    if (opts.toml !== undefined) {
      body = opts.toml;
      headers['content-type'] ??= 'application/toml';
    }
    const res = await this.fetchImpl(this.base + path, { method, headers, body });
    const type = (res.headers.get('content-type') ?? '').split(';')[0];
    const text = await res.text();
    const parsed = type === 'application/json' ? JSON.parse(text) : text === '' ? undefined : text;
    if (!path.includes('/servers/')) {
      const schema = responseSchema(method, path, res.status, type);
      if (type === 'application/json') {
        assert.ok(schema, `${method} ${path} ${res.status}: the OpenAPI document has no JSON schema for it`);
        assert.deepEqual(validate(parsed, schema!), [], `${method} ${path} ${res.status} does not match the OpenAPI document: ${text}`);
      }
    }
    return { status: res.status, headers: res.headers, body: parsed };
  }
}

/** dig's answer section for a name and type (one try, waiting long enough for a busy machine). */
export function dig(port: number, name: string, type: string): string[] {
  const out = execFileSync('dig', ['@127.0.0.1', '-p', String(port), `+time=${ANSWER_MS / 1000}`, '+tries=1', '+noall', '+answer', name, type], { encoding: 'utf8' });
  return out.trim().split('\n').filter(Boolean).map((l) => l.split(/\s+/).join(' '));
}

/** dig's status line word (NOERROR, NXDOMAIN, REFUSED) for a name and type. */
export function digStatus(port: number, name: string, type: string): string {
  const out = execFileSync('dig', ['@127.0.0.1', '-p', String(port), `+time=${ANSWER_MS / 1000}`, '+tries=1', name, type], { encoding: 'utf8' });
  return /status: (\w+)/.exec(out)?.[1] ?? out;
}
