import { readFileSync } from 'node:fs';
import * as packet from 'dns-packet';
import { CLASS } from '../../src/wire/constants.js';
import { writeName } from '../../src/wire/name.js';
import { writeRData } from '../../src/wire/rdata.js';
import { WireWriter } from '../../src/wire/writer.js';
import type { Zone } from '../../src/zone/model.js';
import { parseZoneFile } from '../../src/zone/parse.js';
import { ZoneTree } from '../../src/zone/tree.js';

/** A zone file of zones/ (or any TOML text) parsed as the server parses it. */
export function zoneOf(fileName: string, text = readFileSync(new URL(`../../../zones/${fileName}`, import.meta.url), 'utf8')): Zone {
  const parsed = parseZoneFile(text, fileName, fileName);
  if (!parsed.active) throw new Error(`${fileName} is not active`);
  return parsed.zone;
}

/** A record as dns-packet decodes it, as one comparable line (names lower-cased, TTL kept). */
export function recordLine(a: packet.Answer): string {
  const data = JSON.stringify((a as { data?: unknown }).data, (_k, v: unknown) =>
    typeof v === 'string' ? v.toLowerCase() : (v as { type?: string })?.type === 'Buffer' ? Buffer.from((v as { data: number[] }).data).toString('hex') : v);
  return `${a.name.toLowerCase()} ${(a as { ttl?: number }).ttl} ${a.type} ${data}`;
}

/**
 * The records a transfer of `zone` must carry, SOA first, as dns-packet reads each one from a
 * message of its own that our encoder wrote uncompressed: what the zone holds, served RRset by
 * RRset (one TTL each, duplicates dropped), without the closing SOA.
 */
export function expectedRecords(zone: Zone): string[] {
  return recordMessages(zone).map((m) => recordLine(packet.decode(m).answers![0]));
}

/**
 * Each record of the zone in a message of its own, written uncompressed by our encoder, SOA
 * first: what a transfer must carry, for an independent decoder to read.
 */
export function recordMessages(zone: Zone): Buffer[] {
  const tree = new ZoneTree(zone);
  const out: Buffer[] = [];
  for (const node of tree.nodes.values()) {
    for (const set of node.rrsets.values()) {
      for (const d of set.data) {
        const w = new WireWriter();
        for (const v of [0, 0x8400, 0, 1, 0, 0]) w.u16(v);
        writeName(w, set.owner, false);
        w.u16(set.type);
        w.u16(CLASS.IN);
        w.u32(set.ttl);
        writeRData(w, d, false);
        out.push(w.result());
      }
    }
  }
  return out;
}

/**
 * Reads the messages of a zone transfer with dns-packet: every record in order, and checks the
 * shape RFC 5936 §2.2 asks for. Returns the records (the closing SOA left out) and the messages decoded.
 */
export function readTransfer(messages: Buffer[]): { records: string[]; decoded: packet.Packet[] } {
  const decoded = messages.map((m) => packet.decode(m));
  const all = decoded.flatMap((d) => d.answers ?? []);
  if (all.length < 2 || all[0].type !== 'SOA' || all[all.length - 1].type !== 'SOA') throw new Error('a transfer starts and ends with the SOA');
  return { records: all.slice(0, -1).map(recordLine), decoded };
}
