import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { WAIT_MS } from './server.js';

/**
 * A protocol server (s3rver, dynalite) in a Node.js child process of its own, so that a test can
 * kill it and start it again on the same port and data, as an outage looks to Eclipso. The child
 * prints `{"port": N}` once it listens.
 */
export class ChildServer {
  port = 0;
  private child: ChildProcess | null = null;

  /** `name`: for messages; `args`: Node.js arguments (the child's script and its own). */
  constructor(private readonly name: string) {}

  /** Starts (or restarts, with the same arguments) and resolves once it listens. */
  async start(args: string[]): Promise<void> {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} did not say it listens in ${WAIT_MS / 1000} s: ${stderr}`)), WAIT_MS);
      createInterface({ input: child.stdout! }).once('line', (l) => {
        clearTimeout(timer);
        resolve(l);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited with ${code}: ${stderr}`));
      });
    });
    this.port = (JSON.parse(line) as { port: number }).port;
  }

  /** Kills it outright, as a crash or a network cut looks to clients. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}
