import { createSocket, type Socket } from 'node:dgram';
import { ANSWER_MS } from './dns.js';
import { pollUntil } from './server.js';

/** Binds a UDP socket to a loopback address (every address of 127.0.0.0/8 is this machine's on Linux). */
function bound(address: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind({ address, port: 0 }, () => {
      s.off('error', reject);
      resolve(s);
    });
  });
}

/**
 * Sends `queries` at once from `from` to 127.0.0.1:`port` and collects the replies until
 * `accounted(replies)` says every query is answered or counted as dropped (the server's metrics),
 * then resolves with the replies and how long that took (an upper bound of the server's time on them).
 */
export async function burst(port: number, from: string, queries: Buffer[], accounted: (replies: number) => Promise<boolean>): Promise<{ replies: Buffer[]; seconds: number }> {
  const s = await bound(from);
  const replies: Buffer[] = [];
  s.on('message', (m) => replies.push(m));
  const started = performance.now();
  try {
    for (const q of queries) s.send(q, port, '127.0.0.1');
    await pollUntil(() => accounted(replies.length), `${queries.length} queries from ${from} to be answered or dropped (${replies.length} replies so far)`);
    return { replies, seconds: (performance.now() - started) / 1000 };
  } finally {
    s.close();
  }
}

/** The loopback address number `i` (0-based) of many: 127.a.b.c, c from 1 to 250 (no .0 nor .255). */
export function loopback(i: number): string {
  const host = (i % 250) + 1;
  const rest = Math.floor(i / 250);
  return `127.${1 + (rest >> 8)}.${rest & 0xff}.${host}`;
}

/**
 * One query from each of `count` loopback addresses (loopback(0) on), `parallel` sources at a
 * time, each waiting for its reply: a bounded load of many distinct clients. Resolves with the
 * replies received; a source without a reply within ANSWER_MS is counted, not waited for again.
 */
export async function manySources(port: number, count: number, query: (i: number) => Buffer, parallel = 250): Promise<{ answered: number; missing: number }> {
  let answered = 0;
  let missing = 0;
  const one = async (i: number): Promise<void> => {
    const s = await bound(loopback(i));
    try {
      const got = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), ANSWER_MS);
        s.once('message', () => (clearTimeout(timer), resolve(true)));
        s.send(query(i), port, '127.0.0.1');
      });
      if (got) answered++;
      else missing++;
    } finally {
      s.close();
    }
  };
  for (let from = 0; from < count; from += parallel) {
    await Promise.all(Array.from({ length: Math.min(parallel, count - from) }, (_, k) => one(from + k)));
  }
  return { answered, missing };
}
