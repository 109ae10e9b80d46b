import { TYPE } from '../wire/constants.js';
import { formatName, isSubdomain, nameKey, sameName, type Name } from '../wire/name.js';
import { hostNamed } from '../wire/rdata.js';
import type { NumberedRecords } from './model.js';

/** A CNAME record of the zone: its owner, target and record number. */
interface Cname {
  owner: Name;
  target: Name;
  n: number;
}

const ON_PATH = 1;
const DONE = 2;

/** A warning at a record (n) or, with n undefined, about the zone as a whole. */
export type Warn = (n: number | undefined, field: string, message: string) => void;

/**
 * What loads and is served but does not work as the operator means it: targets that are aliases,
 * CNAME loops, no NS at the apex, an SOA MNAME in the zone with no address. Run on a zone without
 * errors (one CNAME per name at most).
 */
export function zoneWarnings(numbered: NumberedRecords, apex: Name, mname: Name, warn: Warn): void {
  const { records } = numbered;
  const cnames = new Map<string, Cname>();
  for (let i = 0; i < records.length; i++) {
    const rec = records[i];
    if (rec.data.t === 'CNAME') cnames.set(numbered.ownerKey(i), { owner: rec.owner, target: rec.data.target, n: numbered.n(i) });
  }
  // Without CNAMEs, no target is an alias and there is no loop.
  if (cnames.size > 0) {
    aliasTargets(numbered, cnames, warn);
    cnameLoops(cnames, warn);
  }
  // sameName, not the owners' keys: most records are of other types, and need no key.
  if (!records.some((rec) => rec.type === TYPE.NS && sameName(rec.owner, apex))) {
    warn(undefined, '[domain] domain', `the zone has no NS records at its apex (RFC 1034 §4.2.1: resolvers and the parent zone look for them); ` +
      `add one [[records]] per name server: domain = "@", type = "NS", address = "ns1.${formatName(apex)}"`);
  }
  // RFC 1996 §2, RFC 2136 §4: secondaries and updaters look up the primary server the SOA MNAME
  // names. One in the zone with no address resolves nowhere (the seed's default is ns.<domain>).
  if (isSubdomain(mname, apex) && !records.some((rec) => (rec.type === TYPE.A || rec.type === TYPE.AAAA || rec.type === TYPE.CNAME) && sameName(rec.owner, mname))) {
    warn(undefined, '[domain] soa', `the SOA names ${formatName(mname)} as the primary name server, and the zone has no address for it; ` +
      `add its A or AAAA record, or write soa = "<the primary's name>."`);
  }
}

/**
 * RFC 2181 §10.3: an MX exchange or an NS target must not be an alias; RFC 2782: nor an SRV target.
 * Resolvers and mail servers may refuse to follow the CNAME, and no address goes in the additional
 * section. Names that only a wildcard CNAME covers are not checked.
 */
function aliasTargets(numbered: NumberedRecords, cnames: Map<string, Cname>, warn: Warn): void {
  for (let i = 0; i < numbered.length; i++) {
    const d = numbered.records[i].data;
    const n = numbered.n(i);
    const target = hostNamed(d);
    const alias = target && cnames.get(nameKey(target));
    if (!target || !alias) continue;
    const rfc = d.t === 'SRV' ? 'RFC 2782' : 'RFC 2181 §10.3';
    warn(n, 'address', `${formatName(target)} is an alias (the CNAME of record ${alias.n}), and ${rfc} says an ${d.t} target must not be one; ` +
      `write the name it leads to, ${formatName(alias.target)}, or give ${formatName(target)} A/AAAA records instead of the CNAME`);
  }
}

/**
 * CNAMEs that lead back to themselves (a → b → a): resolvers give up on every name in the loop
 * (SERVFAIL). Each loop is reported once, at its record that comes first in the file.
 */
function cnameLoops(cnames: Map<string, Cname>, warn: Warn): void {
  const state = new Map<string, typeof ON_PATH | typeof DONE>();
  for (const start of cnames.keys()) {
    const path: string[] = [];
    let key = start;
    while (cnames.has(key) && !state.has(key)) {
      state.set(key, ON_PATH);
      path.push(key);
      key = nameKey(cnames.get(key)!.target);
    }
    if (state.get(key) === ON_PATH) {
      const loop = path.slice(path.indexOf(key)).map((k) => cnames.get(k)!);
      const at = loop.indexOf(loop.reduce((a, b) => (b.n < a.n ? b : a)));
      const inOrder = [...loop.slice(at), ...loop.slice(0, at)];
      const shown = [...inOrder, inOrder[0]].map((c) => formatName(c.owner)).join(' → ');
      warn(inOrder[0].n, 'address', `CNAME loop: ${shown}; resolvers answer SERVFAIL for these names: point one of them at a name that has data`);
    }
    for (const k of path) state.set(k, DONE);
  }
}
