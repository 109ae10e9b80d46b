#!/usr/bin/env node
/**
 * The container HEALTHCHECK (and ECS health check): `node dist/ops/healthcheck.js` exits 0 when
 * the server is alive. It asks /healthz on METRICS_PORT; with the ops listener off
 * (METRICS_PORT=0) it sends a DNS query to PORT instead, as any answer (even REFUSED) shows the
 * DNS path works. No curl or wget needed in the image.
 */
import { createSocket } from 'node:dgram';

const TIMEOUT_MS = 2000;

function local(host: string | undefined): string {
  return !host || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

async function httpAlive(host: string, port: number): Promise<boolean> {
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/healthz`;
  const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  return res.ok;
}

function dnsAlive(host: string, port: number): Promise<boolean> {
  // A query for "." SOA, ID 0x4543: any reply with that ID is a live server.
  const q = Buffer.from('454301000001000000000000' + '00' + '0006' + '0001', 'hex');
  return new Promise((resolve) => {
    const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const done = (ok: boolean): void => (clearTimeout(timer), s.close(), resolve(ok));
    const timer = setTimeout(() => done(false), TIMEOUT_MS);
    s.on('message', (m) => done(m.length >= 12 && m.readUInt16BE(0) === 0x4543));
    s.on('error', () => done(false));
    s.send(q, port, host);
  });
}

const env = process.env;
const metricsPort = Number(env.METRICS_PORT ?? 9153);
const alive = metricsPort > 0
  ? httpAlive(local(env.METRICS_HOST), metricsPort)
  : dnsAlive(local(env.HOST), Number(env.PORT ?? 53));
alive.then((ok) => process.exit(ok ? 0 : 1), (e: Error) => {
  process.stderr.write(`eclipso healthcheck: ${e.message}\n`);
  process.exit(1);
});
