import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before } from 'node:test';
import { freePort, httpGet } from './ops.js';

const MAIN = new URL('../../../dist/main.js', import.meta.url).pathname;

export interface LogLine {
  level: string;
  msg: string;
  [k: string]: unknown;
}

/**
 * How long a test waits for an event before it gives up. Far beyond the normal time (a log line
 * comes within milliseconds; a 1,200-zone S3 load takes about 10 s alone): it is reached only
 * when something is wrong, never because the machine is busy.
 */
export const WAIT_MS = 60_000;
/** How long a start may take until the server listens (loads of thousands of zones included). */
export const START_MS = 120_000;
const [NODE_MAJOR, NODE_MINOR] = process.versions.node.split('.').map(Number);
/**
 * Whether WORKERS > 1 runs DNS threads under this Node.js (the server runs on the test's own):
 * their sockets need SO_REUSEPORT, Node.js 22.12 or later; an older one serves with one thread.
 */
export const DNS_THREADS = NODE_MAJOR > 22 || (NODE_MAJOR === 22 && NODE_MINOR >= 12);
/** `skip` for tests of the DNS threads themselves: the reason under an older Node.js, else false. */
export const NEEDS_DNS_THREADS: string | false = DNS_THREADS
  ? false
  : `WORKERS > 1 runs DNS threads on Node.js 22.12 or later only (this is ${process.versions.node}): run the suite under Node.js 24 too`;
/** Log lines shown when a wait fails: the last ones, where the answer usually is. */
const SHOWN_LINES = 60;

/** Polls `check` every few milliseconds until it holds; fails after `ms`, saying what it waited for. */
export async function pollUntil(check: () => boolean | Promise<boolean>, what: string, ms = WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`waited ${ms / 1000} s for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Retries `check` until it stops throwing; after `ms`, throws its last error. */
export async function eventually(check: () => Promise<void>, ms = WAIT_MS): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A real Eclipso process on 127.0.0.1 with a free port, its JSON log lines collected. */
export class ServerProcess {
  readonly logs: LogLine[] = [];
  private waiters: { test: (l: LogLine) => boolean; what: string; resolve: (l: LogLine) => void; reject: (e: Error) => void }[] = [];
  port = 0;
  exitCode: number | null = null;
  /** Resolves with the exit code once the process has exited and its output has been read to the end. */
  readonly exited: Promise<number | null>;
  private closed = false;

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let parsed: LogLine;
      try {
        parsed = JSON.parse(line) as LogLine;
      } catch {
        parsed = { level: 'raw', msg: line };
      }
      this.logs.push(parsed);
      this.waiters = this.waiters.filter((w) => (w.test(parsed) ? (w.resolve(parsed), false) : true));
    });
    child.stderr!.on('data', (d: Buffer) => this.logs.push({ level: 'stderr', msg: d.toString() }));
    child.on('exit', (code) => (this.exitCode = code));
    // 'close' comes after 'exit' once stdout and stderr are drained: every line has been seen.
    this.exited = new Promise((resolve) => child.on('close', (code) => {
      this.exitCode = code;
      this.closed = true;
      for (const w of this.waiters) w.reject(this.failure(`the server exited (code ${code}) without a log line matching ${w.what}`));
      this.waiters = [];
      resolve(code);
    }));
  }

  /** What the server wrote on stderr (Node.js warnings, crashes). */
  get stderr(): string {
    return this.logs.filter((l) => l.level === 'stderr').map((l) => l.msg).join('');
  }

  /**
   * Resolves with the first log line (past or future) matching `test`. Rejects after `ms`, or as
   * soon as the server has exited without writing one, naming what was awaited (`what`, else the
   * test's source) and showing the last log lines.
   */
  waitFor(test: (l: LogLine) => boolean, ms = WAIT_MS, what = test.toString()): Promise<LogLine> {
    const seen = this.logs.find(test);
    if (seen) return Promise.resolve(seen);
    if (this.closed) return Promise.reject(this.failure(`the server had exited (code ${this.exitCode}) without a log line matching ${what}`));
    return new Promise((resolve, reject) => {
      const waiter = {
        test,
        what,
        resolve: (l: LogLine) => (clearTimeout(timer), resolve(l)),
        reject: (e: Error) => (clearTimeout(timer), reject(e)),
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(this.failure(`waited ${ms / 1000} s for a log line matching ${what}`));
      }, ms);
      this.waiters.push(waiter);
    });
  }

  /** Resolves with the exit code once the process has exited; rejects after `ms`, saying why it waited. */
  waitForExit(ms = WAIT_MS, why = 'the server to exit'): Promise<number | null> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(this.failure(`waited ${ms / 1000} s for ${why}`)), ms);
      void this.exited.then((code) => (clearTimeout(timer), resolve(code)));
    });
  }

  /** Waits for a log line with `msg` that comes after the lines seen so far. */
  next(msg: string, ms = WAIT_MS): Promise<LogLine> {
    const from = this.logs.length;
    return this.waitFor((l) => l.msg === msg && this.logs.indexOf(l) >= from, ms, `a new log line "${msg}"`);
  }

  /** An error saying what went wrong, with the last log lines. */
  private failure(what: string): Error {
    const shown = this.logs.slice(-SHOWN_LINES).map((l) => JSON.stringify(l)).join('\n');
    return new Error(`${what}; the last ${Math.min(SHOWN_LINES, this.logs.length)} of ${this.logs.length} log lines:\n${shown}`);
  }

  async stop(): Promise<void> {
    if (this.exitCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}

export interface StartOptions {
  args?: string[];
  env?: Record<string, string>;
}

/** Starts `node dist/main.js` on a free port and waits until it listens. */
export async function startServer(zoneDir: string, opts: StartOptions = {}): Promise<ServerProcess> {
  const server = spawnServer(zoneDir, opts);
  try {
    const listening = await server.waitFor((l) => l.msg === 'listening', START_MS, 'the server to listen ("listening")');
    server.port = Number(listening.port);
  } catch (e) {
    server.child.kill('SIGKILL'); // a test that failed to start leaves nothing running
    throw e;
  }
  return server;
}

/** Starts `node dist/main.js` on a free port without waiting: for start-up errors and exit codes. */
export function spawnServer(zoneDir: string, opts: StartOptions = {}): ServerProcess {
  const child = spawn(process.execPath, [MAIN, '--zone-dir', zoneDir, '--port', '0', '--host', '127.0.0.1', '--metrics-port', '0', ...(opts.args ?? [])], {
    env: { ...process.env, LOG_FORMAT: 'json', WORKERS: '1', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new ServerProcess(child);
}

/** A temporary zone folder, removed by `cleanup()`. */
export class ZoneDir {
  /** A new temporary folder, or an existing one (not to be cleaned up). */
  constructor(readonly path = mkdtempSync(join(tmpdir(), 'eclipso-test-'))) {}

  /**
   * Writes a file the atomic way the README recommends: a temporary dot file in the same folder,
   * then renamed over the name (the server reads it at once). Returns the file's path.
   */
  write(fileName: string, text: string | Uint8Array): string {
    const p = join(this.path, fileName);
    const tmp = join(this.path, `.${fileName}.${process.pid}.tmp`);
    writeFileSync(tmp, text);
    renameSync(tmp, p);
    return p;
  }

  /** Writes a file in place, as `echo > file` does (the server waits for it to settle). */
  writeInPlace(fileName: string, text: string): string {
    const p = join(this.path, fileName);
    writeFileSync(p, text);
    return p;
  }

  remove(fileName: string): void {
    rmSync(join(this.path, fileName), { force: true });
  }

  cleanup(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

export interface FixtureOptions extends StartOptions {
  /** Start the ops listener on a free port (the fixture's `ops`). */
  ops?: boolean;
  /** A log message to wait for after `listening` (e.g. `workers ready`). */
  readyMsg?: string;
}

/** A running server of a test file's fixture, with its zone folder and ops port. */
export interface Fixture {
  readonly server: ServerProcess;
  readonly dir: ZoneDir;
  /** The ops listener's port; 0 unless asked for. */
  readonly ops: number;
}

/** Waits until /readyz answers 200: every answering process listens (in a pool, every worker). */
async function untilReady(ops: number, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  let last = '';
  while (Date.now() < deadline) {
    const r = await httpGet(ops, '/readyz').catch((e: Error) => ({ status: 0, body: e.message }));
    if (r.status === 200) return;
    last = `${r.status} ${r.body.trim()}`;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`the server was not ready ${ms / 1000} s after it listened: /readyz said ${last}`);
}

/**
 * One server for the tests of a describe block: a zone folder holding `zones` (file name →
 * text; or an existing folder's path, used as it is) and a server on it, started before the
 * tests and stopped, with the folder removed, after them. Call inside `describe`; the tests read
 * the fixture's fields once it has started.
 */
export function withServer(zones: Record<string, string> | string, opts: FixtureOptions = {}): Fixture {
  let started: { server: ServerProcess; ops: number } | null = null;
  const given = typeof zones === 'string';
  const dir = given ? new ZoneDir(zones) : new ZoneDir();
  before(async () => {
    if (!given) for (const [name, text] of Object.entries(zones)) dir.write(name, text);
    const ops = opts.ops ? await freePort() : 0;
    const args = [...(opts.args ?? []), ...(ops ? ['--metrics-port', String(ops), '--metrics-host', '127.0.0.1'] : [])];
    const server = await startServer(dir.path, { ...opts, args });
    started = { server, ops };
    if (opts.readyMsg) await server.waitFor((l) => l.msg === opts.readyMsg, 60_000);
    if (ops) await untilReady(ops);
  });
  after(async () => {
    await started?.server.stop();
    if (!given) dir.cleanup();
  });
  const get = (): { server: ServerProcess; ops: number } => {
    if (!started) throw new Error('the server fixture did not start: see the error of the before hook');
    return started;
  };
  return {
    dir,
    get server() {
      return get().server;
    },
    get ops() {
      return get().ops;
    },
  };
}
