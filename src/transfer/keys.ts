/**
 * TSIG keys as the operator writes them: `name:algorithm:secret`, the secret in base64 (what
 * `tsig-keygen` and `keymgr -t` print), several separated by commas or new lines. dig's and
 * kdig's `-y` order, `algorithm:name:secret`, is read too. Secrets never appear in messages.
 */
import { nameKey, parseName, type Name } from '../wire/name.js';

/** A TSIG algorithm (RFC 8945 §6): its name on the wire, its node:crypto hash, its MAC length. */
export interface TsigAlgorithm {
  name: Name;
  hash: string;
  macOctets: number;
}

export interface TsigKey {
  name: Name;
  algorithm: TsigAlgorithm;
  secret: Buffer;
}

/**
 * RFC 8945 §6: HMAC-SHA1 and HMAC-SHA256 are mandatory to implement; the other SHA-2 ones cost
 * nothing more. HMAC-MD5 is left out (§6: "MUST NOT" be used), and so are truncated variants.
 */
const ALGORITHMS: readonly TsigAlgorithm[] = [
  { name: ['hmac-sha1'], hash: 'sha1', macOctets: 20 },
  { name: ['hmac-sha224'], hash: 'sha224', macOctets: 28 },
  { name: ['hmac-sha256'], hash: 'sha256', macOctets: 32 },
  { name: ['hmac-sha384'], hash: 'sha384', macOctets: 48 },
  { name: ['hmac-sha512'], hash: 'sha512', macOctets: 64 },
];

const algorithmNamed = (text: string): TsigAlgorithm | undefined => ALGORITHMS.find((a) => a.name[0] === text.toLowerCase().replace(/\.$/, ''));

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ALGORITHM_LIST = ALGORITHMS.map((a) => a.name[0]).join(', ');

/** A key that cannot be read: the message names the key by its position and name, never its secret. */
export class KeyFormatError extends Error {
  override name = 'KeyFormatError';
}

function parseKey(entry: string, n: number): TsigKey {
  const parts = entry.split(':');
  const where = `key ${n}`;
  if (parts.length !== 3) {
    throw new KeyFormatError(`${where} has ${parts.length} field${parts.length === 1 ? '' : 's'}; write name:algorithm:base64secret, e.g. xfr-key:hmac-sha256:<secret from tsig-keygen>`);
  }
  const [first, second, secretText] = parts.map((p) => p.trim());
  // dig -y and kdig -y write the algorithm first: take either order.
  const [nameText, algorithmText] = algorithmNamed(first) && !algorithmNamed(second) ? [second, first] : [first, second];
  let name: Name;
  try {
    name = parseName(nameText);
  } catch (e) {
    throw new KeyFormatError(`${where}: name "${nameText}": ${(e as Error).message}`);
  }
  if (name.length === 0) throw new KeyFormatError(`${where}: the key needs a name, e.g. xfr-key`);
  const algorithm = algorithmNamed(algorithmText);
  if (!algorithm) throw new KeyFormatError(`${where} ("${nameText}"): algorithm "${algorithmText}" is not one of ${ALGORITHM_LIST}; hmac-sha256 is the usual choice`);
  if (secretText === '' || !BASE64.test(secretText)) {
    throw new KeyFormatError(`${where} ("${nameText}"): the secret is not base64; paste the secret that tsig-keygen or keymgr printed`);
  }
  return { name, algorithm, secret: Buffer.from(secretText, 'base64') };
}

/** Reads keys separated by commas or new lines (blank lines and `#` comments skipped), keyed by `nameKey`. */
export function parseTsigKeys(text: string): Map<string, TsigKey> {
  const keys = new Map<string, TsigKey>();
  const entries = text.split('\n').map((l) => l.replace(/#.*/, '')).join(',').split(',').map((e) => e.trim()).filter((e) => e !== '');
  entries.forEach((entry, i) => {
    const key = parseKey(entry, i + 1);
    const id = nameKey(key.name);
    if (keys.has(id)) throw new KeyFormatError(`key ${i + 1}: a key named "${entry.split(':')[0]}" is given twice; key names must differ`);
    keys.set(id, key);
  });
  return keys;
}
