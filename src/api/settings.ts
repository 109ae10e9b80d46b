import { readFileSync } from 'node:fs';
import { ConfigError, type Config } from '../config.js';
import { parseTokensFile, singleToken, type ApiToken } from './auth.js';

/** What the API is started with, read once at start (a bad file is a ConfigError: exit 2). */
export interface ApiSettings {
  tokens: ApiToken[];
  /** PEM certificate and key: HTTPS; null: plain HTTP. */
  tls: { cert: Buffer; key: Buffer } | null;
}

function read(file: string, setting: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new ConfigError(`${setting}=${JSON.stringify(file)}: cannot read it (${(e as Error).message}); give a readable file`);
  }
}

/**
 * The API's tokens and TLS files. Secure by default: with API_PORT set, at least one token must
 * be given (API_TOKEN or API_TOKENS_FILE), else the server refuses to start; an API that anyone
 * could write to is never started by accident. TLS needs both files.
 */
export function apiSettings(config: Config): ApiSettings {
  const tokens: ApiToken[] = [];
  if (config.apiToken !== undefined) tokens.push(singleToken(config.apiToken));
  if (config.apiTokensFile !== undefined) tokens.push(...parseTokensFile(read(config.apiTokensFile, 'API_TOKENS_FILE').toString('utf8'), config.apiTokensFile));
  if (tokens.length === 0) {
    throw new ConfigError(`API_PORT=${config.apiPort} but no API token is set; set API_TOKENS_FILE (lines of: name sha256hex scope) or API_TOKEN, or API_PORT=0 to turn the API off`);
  }
  if ((config.apiTlsCert === undefined) !== (config.apiTlsKey === undefined)) {
    throw new ConfigError(`API_TLS_CERT and API_TLS_KEY go together; set both (PEM files) for HTTPS, or neither for HTTP`);
  }
  const tls = config.apiTlsCert !== undefined && config.apiTlsKey !== undefined
    ? { cert: read(config.apiTlsCert, 'API_TLS_CERT'), key: read(config.apiTlsKey, 'API_TLS_KEY') }
    : null;
  return { tokens, tls };
}
