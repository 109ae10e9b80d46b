/**
 * The abuse-resistance and identity settings, read and checked once at start (a bad value is a
 * ConfigError naming the setting: exit code 2 before anything starts). A secret is never part of
 * a message.
 */
import { ConfigError, type Config } from '../config.js';
import { parseAddressList, type AddressBlock } from '../transfer/access.js';
import { SIPHASH_KEY_SIZE } from './siphash.js';

/** NSID and identity texts are kept short: they travel in every answer that asks (RFC 5001 §2.3 sets no bound). */
const MAX_IDENTITY_OCTETS = 128;

export interface RrlSettings {
  /** Responses per second per key; 0: off. */
  rate: number;
  slip: number;
  ipv4Prefix: number;
  ipv6Prefix: number;
  allow: AddressBlock[];
}

export interface GuardSettings {
  /** The NSID option's data (RFC 5001), or null. */
  nsid: Uint8Array | null;
  identity: Uint8Array | null;
  versionBind: Uint8Array | null;
  /** RFC 9018 cookie secrets (16 octets), or null: cookies off. */
  cookieSecret: Uint8Array | null;
  cookieSecretPrevious: Uint8Array | null;
  rrl: RrlSettings;
}

type GuardConfig = Pick<Config, 'nsid' | 'identity' | 'versionBind' | 'cookieSecret' | 'cookieSecretPrevious' | 'rrlRate' | 'rrlSlip' | 'rrlIpv4Prefix' | 'rrlIpv6Prefix' | 'rrlAllow'>;

/** Text, or hex after 0x (as Knot's `nsid`), of 1 to 128 octets. */
function textOrHex(setting: string, value: string | undefined): Uint8Array | null {
  if (value === undefined) return null;
  let octets: Uint8Array;
  if (/^0x/i.test(value)) {
    const hex = value.slice(2);
    if (!/^([0-9a-f]{2})+$/i.test(hex)) throw new ConfigError(`${setting}: after 0x, write an even number of hex digits (e.g. 0x6e7331), or write the text itself`);
    octets = Buffer.from(hex, 'hex');
  } else {
    octets = Buffer.from(value, 'utf8');
  }
  if (octets.length > MAX_IDENTITY_OCTETS) throw new ConfigError(`${setting}: ${octets.length} octets; at most ${MAX_IDENTITY_OCTETS}`);
  return octets;
}

function secret(setting: string, value: string | undefined): Uint8Array | null {
  if (value === undefined) return null;
  const hex = value.replace(/^0x/i, '');
  if (!new RegExp(`^[0-9a-f]{${SIPHASH_KEY_SIZE * 2}}$`, 'i').test(hex)) {
    throw new ConfigError(`${setting}: write ${SIPHASH_KEY_SIZE} octets as ${SIPHASH_KEY_SIZE * 2} hex digits (e.g. from: openssl rand -hex ${SIPHASH_KEY_SIZE}); the same on every server answering for the same addresses`);
  }
  return Buffer.from(hex, 'hex');
}

export function guardSettings(config: GuardConfig): GuardSettings {
  const cookieSecret = secret('COOKIE_SECRET (--cookie-secret)', config.cookieSecret);
  const cookieSecretPrevious = secret('COOKIE_SECRET_PREVIOUS (--cookie-secret-previous)', config.cookieSecretPrevious);
  if (cookieSecretPrevious !== null && cookieSecret === null) {
    throw new ConfigError('COOKIE_SECRET_PREVIOUS is set without COOKIE_SECRET: set COOKIE_SECRET to the new secret (the previous one is only accepted beside it)');
  }
  let allow: AddressBlock[];
  try {
    allow = parseAddressList(config.rrlAllow ?? '');
  } catch (e) {
    throw new ConfigError(`RRL_ALLOW (--rrl-allow): ${(e as Error).message}`);
  }
  return {
    nsid: textOrHex('NSID (--nsid)', config.nsid),
    identity: textOrHex('IDENTITY (--identity)', config.identity),
    versionBind: textOrHex('VERSION_BIND (--version-bind)', config.versionBind),
    cookieSecret,
    cookieSecretPrevious,
    rrl: { rate: config.rrlRate, slip: config.rrlSlip, ipv4Prefix: config.rrlIpv4Prefix, ipv6Prefix: config.rrlIpv6Prefix, allow },
  };
}
