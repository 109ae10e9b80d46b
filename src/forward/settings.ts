import { ConfigError, type Config } from '../config.js';
import { parseAddressList, type AddressBlock } from '../transfer/access.js';
import { parseNotifyTargets, type NotifyTarget } from '../transfer/notify.js';
import { parseName, type Name } from '../wire/name.js';

/**
 * Who may use the forwarder unless `FORWARD_ALLOW` says otherwise: loopback and the private ranges
 * (RFC 1918, RFC 4193). Never the whole internet: an open resolver is an amplification tool
 * (RFC 5358 §4: recursion for the intended clients only).
 */
export const FORWARD_ALLOW_DEFAULT = '127.0.0.0/8, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, ::1, fc00::/7';

export const FORWARD_POLICIES = ['sequential', 'random'] as const;
export type ForwardPolicy = (typeof FORWARD_POLICIES)[number];

/** The forwarder's settings, read and checked once at start. */
export interface ForwardSettings {
  /** Asked in this order (`sequential`) or in a random order per query (`random`). */
  upstreams: NotifyTarget[];
  /** Only names under these are forwarded; empty: every name outside our zones. */
  zones: Name[];
  allow: AddressBlock[];
  timeoutMs: number;
  policy: ForwardPolicy;
  maxConcurrent: number;
  /** Answers kept at most; 0: no cache. */
  cacheSize: number;
}

type ForwardConfig = Pick<Config, 'forwardTo' | 'forwardZones' | 'forwardAllow' | 'forwardTimeoutMs' | 'forwardPolicy' | 'forwardMaxConcurrent' | 'forwardCacheSize'>;

/**
 * Reads the FORWARD_* settings; null when `FORWARD_TO` is not set (the forwarder is off). A bad
 * value is a ConfigError naming the setting and the entry, and what to write.
 */
export function forwardSettings(config: ForwardConfig): ForwardSettings | null {
  const read = <T>(setting: string, parse: () => T): T => {
    try {
      return parse();
    } catch (e) {
      throw new ConfigError(`${setting}: ${(e as Error).message}`);
    }
  };
  const upstreams = read('FORWARD_TO (--forward-to)', () => parseNotifyTargets(config.forwardTo ?? ''));
  if (upstreams.length === 0) return null;
  const zones = read('FORWARD_ZONES (--forward-zones)', () => (config.forwardZones ?? '').split(',').map((z) => z.trim()).filter((z) => z !== '').map((z) => parseName(z)));
  const allow = read('FORWARD_ALLOW (--forward-allow)', () => parseAddressList(config.forwardAllow ?? FORWARD_ALLOW_DEFAULT));
  const policy = config.forwardPolicy as ForwardPolicy;
  if (!FORWARD_POLICIES.includes(policy)) {
    throw new ConfigError(`FORWARD_POLICY (--forward-policy)=${JSON.stringify(config.forwardPolicy)}: write sequential or random`);
  }
  return { upstreams, zones, allow, timeoutMs: config.forwardTimeoutMs, policy, maxConcurrent: config.forwardMaxConcurrent, cacheSize: config.forwardCacheSize };
}
