/**
 * The API's OpenAPI 3.1 document, served at /api/v1/openapi.json; the tests check every answer
 * they get against it (test/api/openapi.test.ts).
 */
const error = { $ref: '#/components/responses/Error' };
const errors = (...codes: number[]): Record<string, unknown> => Object.fromEntries(codes.map((c) => [String(c), error]));
const zoneParam = { name: 'zone', in: 'path', required: true, schema: { type: 'string' }, description: 'zone name, e.g. example.com (a trailing dot is allowed)' };
const preconditions = [
  { name: 'If-Match', in: 'header', required: false, schema: { type: 'string' }, description: 'the ETag the zone must have (412 if not)' },
  { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string', enum: ['*'] }, description: '`*`: create only (412 if the zone exists)' },
];
const written = { description: 'written and served here', headers: { ETag: { schema: { type: 'string' } } }, content: { 'application/json': { schema: { $ref: '#/components/schemas/Written' } } } };

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'Eclipso zone API',
    version: '1',
    description: 'Add, change and delete zones and records, written through to the zone folder or S3 bucket. Authenticate with `Authorization: Bearer <token>` or `X-API-Key: <token>`.',
  },
  servers: [{ url: '/api/v1' }],
  security: [{ bearer: [] }, { apiKey: [] }],
  paths: {
    '/zones': {
      get: {
        summary: 'Every zone the token may read',
        responses: { 200: { description: 'the zones', content: { 'application/json': { schema: { $ref: '#/components/schemas/ZoneList' } } } }, ...errors(401) },
      },
    },
    '/zones/{zone}': {
      parameters: [zoneParam],
      get: {
        summary: 'The zone as JSON (the keys of its TOML file), or as TOML with Accept: application/toml',
        responses: {
          200: {
            description: 'the zone', headers: { ETag: { schema: { type: 'string' } } },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Zone' } }, 'application/toml': { schema: { type: 'string' } } },
          },
          ...errors(400, 401, 403, 404, 409, 422),
        },
      },
      put: {
        summary: 'Create or replace the whole zone',
        parameters: preconditions,
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Zone' } }, 'application/toml': { schema: { type: 'string' } } } },
        responses: { 200: written, 201: written, ...errors(400, 401, 403, 409, 412, 413, 415, 422) },
      },
      patch: {
        summary: 'Change RRsets (PowerDNS changetypes), all or none',
        parameters: preconditions,
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Patch' } } } },
        responses: { 200: written, ...errors(400, 401, 403, 404, 409, 412, 413, 415, 422) },
      },
      delete: {
        summary: 'Delete the zone',
        parameters: [preconditions[0]],
        responses: {
          200: { description: 'deleted', content: { 'application/json': { schema: { $ref: '#/components/schemas/Deleted' } } } },
          ...errors(401, 403, 404, 409, 412),
        },
      },
    },
    '/changes/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: {
        summary: 'Whether this server answers with the change (INSYNC) or not yet (PENDING)',
        responses: { 200: { description: 'its status', content: { 'application/json': { schema: { $ref: '#/components/schemas/Change' } } } }, ...errors(401, 403, 404) },
      },
    },
    '/openapi.json': {
      get: {
        summary: 'This document', security: [],
        responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object', required: ['openapi', 'paths'] } } } } },
      },
    },
  },
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer' },
      apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
    },
    responses: {
      Error: { description: 'what went wrong and what to do', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: { type: 'string' },
          etag: { type: ['string', 'null'] },
          problems: {
            type: 'array',
            items: {
              type: 'object',
              required: ['origin', 'message', 'text'],
              properties: { origin: { type: 'string' }, line: { type: 'integer' }, record: { type: 'integer' }, field: { type: 'string' }, message: { type: 'string' }, text: { type: 'string' } },
            },
          },
        },
      },
      Zone: {
        type: 'object',
        required: ['domain'],
        properties: {
          version: { type: 'number' },
          domain: { type: 'object', required: ['domain'], properties: { domain: { type: 'string' }, active: { type: 'boolean' }, serial: { type: 'integer' } } },
          defaults: { type: 'object', properties: { ttl: { type: 'integer' }, type: { type: ['string', 'integer'] }, class: { type: ['string', 'integer'] } } },
          records: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                domain: { type: 'string' }, type: { type: ['string', 'integer'] }, ttl: { type: 'integer' },
                address: { type: ['string', 'array'], items: { type: 'string' } },
                preference: { type: 'integer' }, priority: { type: 'integer' }, weight: { type: 'integer' }, port: { type: 'integer' }, flags: { type: 'integer' }, tag: { type: 'string' },
              },
            },
          },
        },
      },
      ZoneList: {
        type: 'object',
        required: ['zones'],
        properties: {
          zones: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'etag', 'serial', 'records', 'active', 'insync'],
              properties: {
                name: { type: 'string' }, etag: { type: 'string' }, serial: { type: ['integer', 'null'] }, records: { type: ['integer', 'null'], description: 'records served, the SOA included (null: this server does not serve this text)' }, active: { type: 'boolean' },
                insync: { type: 'boolean', description: 'this server serves the text the store holds' },
              },
            },
          },
        },
      },
      Patch: {
        type: 'object',
        required: ['rrsets'],
        properties: {
          rrsets: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'type', 'changetype'],
              properties: {
                name: { type: 'string', description: 'absolute, e.g. www.example.com.' },
                type: { type: 'string' },
                ttl: { type: 'integer' },
                changetype: { type: 'string', enum: ['REPLACE', 'DELETE', 'EXTEND', 'PRUNE'] },
                records: { type: 'array', items: { type: 'object', required: ['content'], properties: { content: { type: 'string' }, disabled: { type: 'boolean', enum: [false] } } } },
              },
            },
          },
        },
      },
      Change: {
        type: 'object',
        required: ['id', 'zone', 'status'],
        properties: { id: { type: 'string' }, zone: { type: 'string' }, status: { type: 'string', enum: ['PENDING', 'INSYNC'] } },
      },
      Written: {
        type: 'object',
        required: ['zone', 'etag', 'serial', 'change'],
        properties: { zone: { type: 'string' }, etag: { type: 'string' }, serial: { type: ['integer', 'null'] }, change: { $ref: '#/components/schemas/Change' } },
      },
      Deleted: {
        type: 'object',
        required: ['zone', 'change'],
        properties: { zone: { type: 'string' }, change: { $ref: '#/components/schemas/Change' } },
      },
    },
  },
} as const;
