import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { InlineCompiler } from '../answer/compiler.js';
import { ConfigError, parseConfig, type CliAction } from '../config.js';
import { Logger } from '../log.js';
import { ZoneCatalog, type FileOutcome } from '../serving/catalog.js';
import { isDynamoUrl, parseDynamoUrl } from '../sources/dynamodb-items.js';
import type { RemoteZones } from '../sources/remote-zones.js';
import { isS3Url, parseS3Url } from '../sources/s3-location.js';
import { zoneText } from '../sources/source.js';
import { isZoneFileName } from '../zone/parse.js';
import { formatProblem, type ZoneProblem } from '../zone/problem.js';

export const CHECK_USAGE = `Usage: eclipso check [--format text|json] [DIR|FILE|s3://bucket[/prefix/]|dynamodb://table ...]

Parses, validates and compiles zone files as the server would, without serving them: every
problem is printed with file, line, record and field. Folders are read for their <domain>.toml
files, a bucket or a table as the server reads it (same AWS_* variables and S3_FORCE_PATH_STYLE);
with no argument, ZONE_DIR (default zones). Exit code 0 when every file is good, 1 when any has a
problem, 2 for a bad argument.`;

/** Exit codes of `check`: all good, some file has a problem, the command line is wrong. */
const EXIT_OK = 0;
const EXIT_PROBLEMS = 1;
const EXIT_USAGE = 2;

interface CheckArgs {
  format: 'text' | 'json';
  paths: string[];
}

function parseArgs(argv: string[], env: NodeJS.ProcessEnv): CheckArgs | string {
  const args: CheckArgs = { format: 'text', paths: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.startsWith('--format=') ? a.slice('--format='.length) : a === '--format' ? argv[++i] : null;
    if (eq !== null) {
      if (eq !== 'text' && eq !== 'json') return `--format ${JSON.stringify(eq ?? '')}: must be text or json`;
      args.format = eq;
    } else if (a.startsWith('-')) {
      return `unknown option ${a}; see eclipso check --help`;
    } else {
      args.paths.push(a);
    }
  }
  if (args.paths.length === 0) args.paths.push(env.ZONE_DIR || 'zones');
  return args;
}

/** The zone files a path names: a folder's `<domain>.toml` files (sorted), or the file itself. */
async function zoneFiles(path: string): Promise<string[]> {
  if (!(await stat(path)).isDirectory()) return [path];
  return (await readdir(path)).filter(isZoneFileName).sort().map((f) => join(path, f));
}

/**
 * The bucket or table a path names (s3://…, dynamodb://…), read with the server's own clients and
 * settings; null for a path on disk. Its SDK is loaded only then, as the server loads it.
 */
async function remoteZones(path: string, env: NodeJS.ProcessEnv): Promise<RemoteZones | null> {
  if (isS3Url(path)) {
    const { clientConfig, S3Bucket } = await import('../sources/s3-bucket.js');
    // No flags: the environment's settings, as the server reads them (S3_FORCE_PATH_STYLE).
    const { config } = parseConfig([], env) as Extract<CliAction, { action: 'run' }>;
    const bucket = new S3Bucket(parseS3Url(path), clientConfig(env, config.s3PathStyle));
    await bucket.resolveRegion();
    return bucket;
  }
  if (isDynamoUrl(path)) {
    const { DynamoTable } = await import('../sources/dynamodb-table.js');
    const table = await DynamoTable.open(parseDynamoUrl(path), env);
    await table.resolveRegion();
    return table;
  }
  return null;
}

/** Hands every zone file of a bucket or table to the catalog; what cannot be listed or read is a problem of its own. */
async function checkRemote(remote: RemoteZones, path: string, catalog: ZoneCatalog, outcomes: FileOutcome[]): Promise<void> {
  const signal = new AbortController().signal;
  let files: string[];
  try {
    files = [...(await remote.list(signal)).keys()].sort();
  } catch (e) {
    outcomes.push(unreadable(path, `cannot list: ${(e as Error).message}`));
    return;
  }
  for (const file of files) {
    const origin = remote.origin(file);
    try {
      const { bytes } = await remote.get(file, signal);
      const text = zoneText(catalog, origin, file, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      if (text !== null) await catalog.upsert(origin, file, text);
    } catch (e) {
      outcomes.push(unreadable(origin, `cannot read: ${(e as Error).message}`));
    }
  }
}

function unreadable(origin: string, message: string): FileOutcome {
  return { origin, accepted: false, records: 0, problems: [{ origin, message }], warnings: [] };
}

/** `eclipso check`: returns the exit code. Output goes to `write` (stdout). */
export async function runCheck(argv: string[], env: NodeJS.ProcessEnv, write: (s: string) => void): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    write(CHECK_USAGE + '\n');
    return EXIT_OK;
  }
  const args = parseArgs(argv, env);
  if (typeof args === 'string') {
    write(`eclipso check: ${args}\n`);
    return EXIT_USAGE;
  }
  const outcomes: FileOutcome[] = [];
  // The server's own catalog, compiling each zone and keeping none: the same verdict as a reload.
  const catalog = new ZoneCatalog({ put: () => {}, drop: () => {} }, new InlineCompiler(), new Logger('json', false, () => {}), (o) => outcomes.push(o));
  for (const path of args.paths) {
    let remote: RemoteZones | null;
    try {
      remote = await remoteZones(path, env);
    } catch (e) {
      if (e instanceof ConfigError) {
        write(`eclipso check: ${e.message}\n`);
        return EXIT_USAGE;
      }
      outcomes.push(unreadable(path, `cannot open: ${(e as Error).message}`));
      continue;
    }
    if (remote) {
      await checkRemote(remote, path, catalog, outcomes);
      remote.destroy();
      continue;
    }
    let files: string[];
    try {
      files = await zoneFiles(path);
    } catch (e) {
      outcomes.push(unreadable(path, `cannot read: ${(e as Error).message}`));
      continue;
    }
    for (const file of files) {
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (e) {
        outcomes.push(unreadable(file, `cannot read: ${(e as Error).message}`));
        continue;
      }
      const text = zoneText(catalog, file, basename(file), bytes);
      if (text !== null) await catalog.upsert(file, basename(file), text);
    }
  }
  await catalog.settled();
  const bad = outcomes.filter((o) => !o.accepted).length;
  if (args.format === 'json') {
    const withText = (ps: ZoneProblem[]): object[] => ps.map((p) => ({ ...p, text: formatProblem(p) }));
    write(JSON.stringify({ ok: bad === 0, files: outcomes.map((o) => ({ ...o, problems: withText(o.problems), warnings: withText(o.warnings) })) }) + '\n');
  } else {
    for (const o of outcomes) {
      if (o.accepted) write(`${o.origin}: ok (${o.zone}, ${o.records} records)\n`);
      else for (const p of o.problems) write(`${formatProblem(p)}\n`);
      for (const w of o.warnings) write(`warning: ${formatProblem(w)}\n`);
    }
    write(`${outcomes.length} file${outcomes.length === 1 ? '' : 's'} checked: ${bad === 0 ? 'all good' : `${bad} with problems`}\n`);
  }
  return bad === 0 ? EXIT_OK : EXIT_PROBLEMS;
}
