/**
 * Starts the servers under test as child processes, optionally pinned to a core with taskset,
 * with --trace-gc so that their garbage collections can be counted from stdout.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MAIN = `${ROOT}dist/main.js`;
const BASELINE = `${ROOT}bench/baseline.mjs`;
const START_TIMEOUT_MS = 600_000;

export const HAS_TASKSET = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/** `cmd args` under taskset when a core is given and taskset works. */
export function pinned(core, cmd, args) {
  return core !== undefined && HAS_TASKSET ? ['taskset', ['-c', String(core), cmd, ...args]] : [cmd, args];
}

/** V8's --trace-gc lines: "[pid:0x..]  1234 ms: Scavenge 4.9 (6.3) -> 4.1 (7.3) MB, ...". */
const GC_LINE = /ms: (Scavenge|Mark-Compact|Mark-sweep|Minor Mark-Compact|Mark-Compact \(reduce\))[^\d]*([\d.]+) \(([\d.]+)\) -> ([\d.]+)/;

export class Child {
  constructor(name, child) {
    this.name = name;
    this.child = child;
    this.pid = child.pid;
    this.gcs = 0;
    this.heapMb = 0;
    /** Sum over collections of (heap before − heap after): about what was allocated meanwhile. */
    this.freedMb = 0;
    this.lines = [];
    this.waiters = [];
    this.exited = new Promise((resolve) => child.on('exit', resolve));
    createInterface({ input: child.stdout }).on('line', (line) => this.onLine(line));
    child.stderr.on('data', (d) => this.onLine(String(d).trim()));
  }

  onLine(line) {
    const gc = GC_LINE.exec(line);
    if (gc) {
      this.gcs++;
      this.heapMb = Number(gc[4]);
      this.freedMb += Math.max(0, Number(gc[2]) - Number(gc[4]));
      return;
    }
    this.lines.push(line);
    if (this.lines.length > 1000) this.lines.shift();
    this.waiters = this.waiters.filter((w) => !w(line));
  }

  /** Resolves with the first line (from now on) for which `match` returns a value. */
  waitFor(match, ms = START_TIMEOUT_MS) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: timed out; last lines:\n${this.lines.slice(-10).join('\n')}`)), ms);
      this.exited.then((code) => reject(new Error(`${this.name} exited (${code}):\n${this.lines.slice(-10).join('\n')}`)));
      this.waiters.push((line) => {
        const v = match(line);
        if (v === undefined || v === null || v === false) return false;
        clearTimeout(timer);
        resolve(v);
        return true;
      });
    });
  }

  async stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, 5000))]);
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    }
  }
}

export function jsonField(line, msg, field) {
  if (!line.startsWith('{')) return undefined;
  try {
    const o = JSON.parse(line);
    return o.msg === msg ? o[field] ?? true : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Eclipso with per-query logging off (ECLIPSO_LOG_IGNORE=1: the seed's default is to log every
 * query, which is not what is measured here). Resolves once it listens, with its port.
 */
export async function startEclipso({ zoneDir, core, workers = 1, port = 0, gc = true, main = MAIN }) {
  const args = [...(gc ? ['--trace-gc'] : []), main, '--zone-dir', zoneDir, '--port', String(port), '--host', '127.0.0.1', '--metrics-port', '0'];
  const [cmd, argv] = pinned(core, process.execPath, args);
  const started = performance.now();
  const child = new Child('eclipso', spawn(cmd, argv, {
    env: { ...process.env, ECLIPSO_LOG_IGNORE: '1', LOG_FORMAT: 'json', WORKERS: String(workers) },
    stdio: ['ignore', 'pipe', 'pipe'],
  }));
  const zones = child.waitFor((l) => jsonField(l, 'zones ready', 'zones'));
  const listening = child.waitFor((l) => jsonField(l, 'listening', 'port'));
  const ready = workers > 1 ? child.waitFor((l) => jsonField(l, 'workers ready', 'workers')) : null;
  child.port = Number(await listening);
  child.zones = await zones;
  await ready;
  child.startMs = performance.now() - started;
  return child;
}

/** The bare node:dgram baseline answering every query with `reply` (ID patched). */
export async function startBaseline({ reply, core }) {
  const [cmd, argv] = pinned(core, process.execPath, ['--trace-gc', BASELINE, '0', reply.toString('hex')]);
  const child = new Child('baseline', spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] }));
  child.port = Number(await child.waitFor((l) => /^listening (\d+)/.exec(l)?.[1]));
  return child;
}

/** Resolves once every query of `queries` is answered on `port()` (a port known once the server listens). */
export async function untilAnswered(port, queries) {
  for (const q of queries) {
    for (;;) {
      const p = port();
      if (p > 0 && (await ask(p, q, 200))) break;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** One UDP exchange; resolves with the reply or null after `ms`. */
export function ask(port, query, ms = 1000) {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => (s.close(), resolve(null)), ms);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(m);
    });
    s.send(query, port, '127.0.0.1');
  });
}
