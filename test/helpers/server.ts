import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const MAIN = new URL('../../../dist/main.js', import.meta.url).pathname;

export interface LogLine {
  level: string;
  msg: string;
  [k: string]: unknown;
}

/** A real Eclipso process on 127.0.0.1 with a free port, its JSON log lines collected. */
export class ServerProcess {
  readonly logs: LogLine[] = [];
  private waiters: { test: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  port = 0;
  exitCode: number | null = null;
  readonly exited: Promise<number | null>;

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
    this.exited = new Promise((resolve) => child.on('exit', (code) => {
      this.exitCode = code;
      resolve(code);
    }));
  }

  /** Resolves with the first log line (past or future) matching `test`; rejects after `ms`. */
  waitFor(test: (l: LogLine) => boolean, ms = 30_000): Promise<LogLine> {
    const seen = this.logs.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching log line in ${ms} ms; logs:\n${this.logs.map((l) => JSON.stringify(l)).join('\n')}`)), ms);
      this.waiters.push({ test, resolve: (l) => { clearTimeout(timer); resolve(l); } });
    });
  }

  /** Waits for a log line with `msg` that comes after the lines seen so far. */
  next(msg: string, ms = 30_000): Promise<LogLine> {
    const from = this.logs.length;
    return this.waitFor((l) => l.msg === msg && this.logs.indexOf(l) >= from, ms);
  }

  async stop(): Promise<void> {
    if (this.exitCode === null) {
      this.child.kill('SIGTERM');
      await this.exited;
    }
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
    const listening = await server.waitFor((l) => l.msg === 'listening', 10000);
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
  readonly path = mkdtempSync(join(tmpdir(), 'eclipso-test-'));

  write(fileName: string, text: string): string {
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
