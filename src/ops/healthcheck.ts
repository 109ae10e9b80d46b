#!/usr/bin/env node
/**
 * The container HEALTHCHECK (and ECS health check): `node dist/ops/healthcheck.js [flags]` exits
 * 0 when the server is alive. It asks /healthz on the metrics port; with the ops listener off
 * (METRICS_PORT=0) it sends a DNS query to the DNS port instead, as any answer (even REFUSED)
 * shows the DNS path works. No curl or wget needed in the image.
 *
 * Where to ask is the server's own configuration, read as the server reads it (parseConfig): the
 * environment, then the flags given here or, with none, the flags of the server itself when it
 * is the container's first process (`docker run image --metrics-port 9154`).
 */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { parseConfig } from '../config.js';
import { serverFlags } from './cmdline.js';

const TIMEOUT_MS = 2000;
/** The container's first process: Eclipso itself, under the image's ENTRYPOINT. */
const CONTAINER_INIT_CMDLINE = '/proc/1/cmdline';

function initFlags(): string[] {
  try {
    return serverFlags(readFileSync(CONTAINER_INIT_CMDLINE, 'latin1')) ?? [];
  } catch {
    return [];
  }
}

/** A wildcard listen address is probed on loopback. */
function local(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

async function httpAlive(host: string, port: number): Promise<boolean> {
  const url = `http://${isIPv6(host) ? `[${host}]` : host}:${port}/healthz`;
  const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  return res.ok;
}

function dnsAlive(host: string, port: number): Promise<boolean> {
  // A query for "." SOA, ID 0x4543: any reply with that ID is a live server.
  const q = Buffer.from('454301000001000000000000' + '00' + '0006' + '0001', 'hex');
  return new Promise((resolve) => {
    const s = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    const done = (ok: boolean): void => (clearTimeout(timer), s.close(), resolve(ok));
    const timer = setTimeout(() => done(false), TIMEOUT_MS);
    s.on('message', (m) => done(m.length >= 12 && m.readUInt16BE(0) === 0x4543));
    s.on('error', () => done(false));
    s.send(q, port, host);
  });
}

async function alive(): Promise<boolean> {
  const given = process.argv.slice(2);
  const cli = parseConfig(given.length > 0 ? given : initFlags(), process.env);
  if (cli.action !== 'run') return true;
  const c = cli.config;
  return c.metricsPort > 0 ? httpAlive(local(c.metricsHost), c.metricsPort) : dnsAlive(local(c.host), c.port);
}

alive().then((ok) => process.exit(ok ? 0 : 1), (e: Error) => {
  process.stderr.write(`eclipso healthcheck: ${e.message}\n`);
  process.exit(1);
});
