import { readFileSync } from 'node:fs';
import { ConfigError, defaults, type Config } from '../config.js';
import { parseAddressList, type TransferAccess } from './access.js';
import { parseTsigKeys, type TsigKey } from './keys.js';
import { parseNotifyTargets, type NotifyTarget } from './notify.js';

/** The transfer settings, read and checked once at start. */
export interface TransferSettings {
  access: TransferAccess;
  notify: NotifyTarget[];
  /** The key NOTIFY messages are signed with: the first configured, if any. */
  notifyKey: TsigKey | null;
  /** Differences kept per zone for IXFR (src/transfer/journal.ts). */
  ixfrVersions: number;
  /** What is allowed but likely not meant, for the start-up log. */
  warnings: string[];
}

type TransferConfig = Pick<Config, 'xfrAllow' | 'xfrNotify' | 'tsigKey' | 'tsigKeyFile'> & Partial<Pick<Config, 'ixfrVersions'>>;

/**
 * Reads `XFR_ALLOW`, `XFR_NOTIFY`, `TSIG_KEY` and `TSIG_KEY_FILE` from the configuration. A bad
 * value is a ConfigError naming the setting and the entry (start-up stops with exit code 2); a
 * secret is never part of the message.
 */
export function transferSettings(config: TransferConfig, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): TransferSettings {
  const read = <T>(setting: string, parse: () => T): T => {
    try {
      return parse();
    } catch (e) {
      throw new ConfigError(`${setting}: ${(e as Error).message}`);
    }
  };
  if (config.tsigKey !== undefined && config.tsigKeyFile !== undefined) {
    throw new ConfigError('TSIG_KEY and TSIG_KEY_FILE are both set; set one of them');
  }
  const allow = read('XFR_ALLOW (--xfr-allow)', () => parseAddressList(config.xfrAllow ?? ''));
  const notify = read('XFR_NOTIFY (--xfr-notify)', () => parseNotifyTargets(config.xfrNotify ?? ''));
  let keys = new Map<string, TsigKey>();
  if (config.tsigKey !== undefined) keys = read('TSIG_KEY (--tsig-key)', () => parseTsigKeys(config.tsigKey!));
  if (config.tsigKeyFile !== undefined) {
    const path = config.tsigKeyFile;
    const text = read(`TSIG_KEY_FILE (--tsig-key-file) ${path}`, () => readFile(path));
    keys = read(`TSIG_KEY_FILE (--tsig-key-file) ${path}`, () => parseTsigKeys(text));
    if (keys.size === 0) throw new ConfigError(`TSIG_KEY_FILE (--tsig-key-file) ${path}: no key in the file; write one name:algorithm:base64secret a line`);
  }
  // Not an error: zones whose file sets its own allow_transfer can be fetched all the same.
  const warnings = notify.length > 0 && allow.length === 0 && keys.size === 0
    ? ["XFR_NOTIFY is set but XFR_ALLOW and TSIG_KEY are not: the secondaries told of a change can fetch only the zones whose file sets allow_transfer; set XFR_ALLOW to their addresses, or TSIG_KEY"]
    : [];
  return { access: { allow, keys }, notify, notifyKey: keys.values().next().value ?? null, ixfrVersions: config.ixfrVersions ?? defaults().ixfrVersions, warnings };
}
