/**
 * Typed reads of TOML values, each reporting what to write instead when the value is wrong.
 * `report` receives (field, message) and the read returns undefined.
 */
export type Report = (field: string, message: string) => void;

export function readInt(
  raw: Record<string, unknown>, field: string, min: number, max: number, report: Report, example: string,
): number | undefined {
  const v = raw[field];
  if (v === undefined) return undefined;
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    report(field, `${JSON.stringify(typeof v === 'bigint' ? String(v) : v)} is not a whole number from ${min} to ${max}; write e.g. ${field} = ${example}`);
    return undefined;
  }
  return n;
}

export function readString(raw: Record<string, unknown>, field: string, report: Report, example: string): string | undefined {
  const v = raw[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') {
    report(field, `must be a quoted string; write e.g. ${field} = ${example}`);
    return undefined;
  }
  return v;
}

export function readBool(raw: Record<string, unknown>, field: string, report: Report): boolean | undefined {
  const v = raw[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') {
    report(field, `must be true or false (unquoted); write e.g. ${field} = true`);
    return undefined;
  }
  return v;
}

/**
 * Reports keys outside `known` (listed in the message in its order): a misspelt field would
 * otherwise be silently ignored. A set, as every record's keys are looked up in it. Returns the
 * table's keys, for a caller that looks at them again.
 */
export function rejectUnknown(raw: Record<string, unknown>, known: ReadonlySet<string>, report: Report): string[] {
  const keys = Object.keys(raw);
  for (const k of keys) {
    if (!known.has(k)) report(k, `unknown field; the fields here are ${[...known].join(', ')}`);
  }
  return keys;
}

/** RFC 2181 §8: a TTL is an unsigned 31-bit value. */
export const MAX_TTL = 0x7fffffff;
export const DEFAULT_TTL = 3600;
