import { ApiError } from './errors.js';

/** A matched request: the route's handler and the path's parameters. */
export interface Match<H> {
  handler: H;
  params: string[];
}

/** One path with a handler per method; `{x}` in the pattern matches one path segment. */
export interface Route<H> {
  pattern: string;
  methods: Partial<Record<string, H>>;
}

/**
 * Finds the handler of a method and path: 404 when no route has the path, 405 (with Allow) when
 * one has it but not the method. Parameters are percent-decoded.
 */
export function route<H>(routes: readonly Route<H>[], method: string, path: string): Match<H> {
  for (const r of routes) {
    const params = matchPath(r.pattern, path);
    if (params === null) continue;
    const handler = r.methods[method];
    if (handler === undefined) {
      const allow = Object.keys(r.methods).join(', ');
      throw new ApiError(405, `${method} is not allowed on ${r.pattern}; use ${allow}`, {}, { allow });
    }
    return { handler, params };
  }
  throw new ApiError(404, `no such endpoint: ${path}; see /api/v1/openapi.json`);
}

function matchPath(pattern: string, path: string): string[] | null {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params: string[] = [];
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith('{')) {
      if (got[i] === '') return null;
      try {
        params.push(decodeURIComponent(got[i]));
      } catch {
        return null;
      }
    } else if (want[i] !== got[i]) {
      return null;
    }
  }
  return params;
}
