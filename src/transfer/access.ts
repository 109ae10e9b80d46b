/**
 * Who may transfer a zone. Transfers are off unless `XFR_ALLOW` lists addresses or `TSIG_KEY` sets
 * keys: with addresses only, a request from one of them is served; with keys only, a request signed
 * with one of them, from anywhere; with both, a signed request from a listed address. A zone file's
 * own `allow_transfer` replaces `XFR_ALLOW` for that zone (`[]`: never); `TSIG_KEY` applies to
 * every zone. Everything else is REFUSED, as NSD refuses it.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../wire/address.js';
import type { TsigKey } from './keys.js';

/** An address block: the network's octets (4 or 16) and its prefix length. */
export interface AddressBlock {
  octets: Uint8Array;
  prefix: number;
}

/** An `XFR_ALLOW` entry that cannot be read; the message says which one and what to write. */
export class AddressListError extends Error {
  override name = 'AddressListError';
}

/** The octets with every bit past `prefix` cleared: the network an address lies in. */
function networkOf(octets: Uint8Array, prefix: number): Uint8Array {
  return octets.map((b, i) => (i * 8 + 8 <= prefix ? b : i * 8 >= prefix ? 0 : b & (0xff << (8 - (prefix - i * 8)))));
}

/** Reads entry `n` (1-based, for the message) of an address list: an address or address/prefix. */
export function parseBlock(entry: string, n: number): AddressBlock {
  const slash = entry.indexOf('/');
  const addr = slash < 0 ? entry : entry.slice(0, slash);
  const where = `entry ${n} ("${entry}")`;
  const v4 = isIPv4(addr);
  if (!v4 && !(isIPv6(addr) && !addr.includes('%'))) {
    throw new AddressListError(`${where} is not an address or address/prefix; write e.g. 192.0.2.1, 192.0.2.0/24 or 2001:db8::/32`);
  }
  const octets = v4 ? parseIPv4(addr) : parseIPv6(addr);
  const bits = octets.length * 8;
  const prefixText = slash < 0 ? String(bits) : entry.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefix > bits) throw new AddressListError(`${where}: the prefix must be a whole number from 0 to ${bits}`);
  const network = networkOf(octets, prefix);
  if (network.some((b, i) => b !== octets[i])) {
    throw new AddressListError(`${where} has bits set past /${prefix}; write the network, ${v4 ? formatIPv4(network) : formatIPv6(network)}/${prefix}`);
  }
  return { octets, prefix };
}

/** Reads `XFR_ALLOW`: addresses and address/prefix blocks, IPv4 or IPv6, separated by commas. */
export function parseAddressList(text: string): AddressBlock[] {
  return text.split(',').map((e) => e.trim()).filter((e) => e !== '').map((e, i) => parseBlock(e, i + 1));
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:192.0.2.1, RFC 4291 §2.5.5.2), or null. */
function mappedIPv4(octets: Uint8Array): Uint8Array | null {
  if (octets.length !== 16 || octets[10] !== 0xff || octets[11] !== 0xff || octets.subarray(0, 10).some((b) => b !== 0)) return null;
  return octets.subarray(12);
}

/**
 * Whether a client's address (as a socket gives it: IPv4, IPv6, IPv4-mapped IPv6 on a dual-stack
 * socket, maybe with a %zone) is in one of the blocks.
 */
export function addressAllowed(blocks: readonly AddressBlock[], address: string): boolean {
  const plain = address.replace(/%.*$/, '');
  const octets = isIPv4(plain) ? parseIPv4(plain) : isIPv6(plain) ? parseIPv6(plain) : null;
  if (!octets) return false;
  const v4 = mappedIPv4(octets);
  return blocks.some((b) => isIn(b, octets) || (v4 !== null && isIn(b, v4)));
}

function isIn(block: AddressBlock, octets: Uint8Array): boolean {
  return block.octets.length === octets.length && networkOf(octets, block.prefix).every((b, i) => b === block.octets[i]);
}

/** What transfers are allowed: the `XFR_ALLOW` blocks and the `TSIG_KEY` keys (by `nameKey`). */
export interface TransferAccess {
  allow: readonly AddressBlock[];
  keys: ReadonlyMap<string, TsigKey>;
}

/** Whether transfers are on at all: only when addresses or keys are configured. */
export function transfersOn(access: TransferAccess): boolean {
  return access.allow.length > 0 || access.keys.size > 0;
}

/**
 * Whether a zone may be transferred at all. `zoneAllow`: the blocks of the zone's own
 * `allow_transfer` (its file's [domain] table), which replace `XFR_ALLOW` for that zone: an empty
 * list turns its transfers off, keys or not; undefined when the file does not set it.
 */
export function zoneTransfersOn(access: TransferAccess, zoneAllow: readonly AddressBlock[] | undefined): boolean {
  return zoneAllow === undefined ? transfersOn(access) : zoneAllow.length > 0;
}

/**
 * Why a transfer request must be REFUSED, for the log line, or null when it may go ahead.
 * `signedWith`: the key whose signature on the request was verified, if any.
 */
export function refusal(access: TransferAccess, client: string, signedWith: TsigKey | null, zoneAllow?: readonly AddressBlock[]): string | null {
  if (zoneAllow?.length === 0) return 'the zone file says allow_transfer = []: transfers of this zone are off';
  if (!zoneTransfersOn(access, zoneAllow)) return 'zone transfers are off; set XFR_ALLOW or TSIG_KEY, or allow_transfer in the zone file, to allow them';
  if (access.keys.size > 0 && !signedWith) return 'the request is not signed, and TSIG_KEY requires a signature';
  const allow = zoneAllow ?? access.allow;
  if (allow.length > 0 && !addressAllowed(allow, client)) return `${client} is not in ${zoneAllow ? "the zone file's allow_transfer" : 'XFR_ALLOW'}`;
  return null;
}
