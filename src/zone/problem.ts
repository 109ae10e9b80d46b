/**
 * One thing wrong with a zone file: where (file, record number, line, field) and what to write
 * instead. All problems of a file are collected and reported together.
 */
export interface ZoneProblem {
  /** The file or object the zone came from, as the operator named it (path or s3:// key). */
  origin: string;
  line?: number;
  /** 1-based index of the [[records]] entry, when the problem is in one. */
  record?: number;
  field?: string;
  message: string;
}

/** `file:line: record N: field: message`, the parts that are known. */
export function formatProblem(p: ZoneProblem): string {
  const parts = [p.line !== undefined ? `${p.origin}:${p.line}` : p.origin];
  if (p.record !== undefined) parts.push(`record ${p.record}`);
  if (p.field !== undefined) parts.push(p.field);
  return `${parts.join(': ')}: ${p.message}`;
}

/**
 * Problem lines logged per zone file. A file of 200,000 bad records would otherwise log 200,000
 * lines; the first hundred show what is wrong (usually one mistake repeated), the `zone rejected`
 * line gives the total, and the rest are reported once those are fixed.
 */
export const MAX_PROBLEM_LINES_PER_FILE = 100;

/** The first `max` problems, and how many more there are. */
export function limitProblems(problems: readonly ZoneProblem[], max: number): { shown: ZoneProblem[]; more: number } {
  return { shown: problems.slice(0, max), more: Math.max(0, problems.length - max) };
}

/** Thrown by the loader with every problem of one file. */
export class ZoneFileError extends Error {
  constructor(readonly problems: ZoneProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ZoneFileError';
  }
}
