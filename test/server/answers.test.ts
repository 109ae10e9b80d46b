import { describe, it } from 'node:test';
import { ANSWER_ZONES, CASES, checkCase } from '../fixtures/answers.js';
import { query, queryTcp } from '../helpers/dns.js';
import { withServer } from '../helpers/server.js';

describe('answers over UDP and TCP', () => {
  const fx = withServer(ANSWER_ZONES, { env: { ECLIPSO_LOG_IGNORE: '1' } });

  for (const [what, c] of Object.entries(CASES)) {
    it(`${what} (UDP)`, async () => checkCase(await query(fx.server.port, c.q[0], c.q[1], { edns: 1232 }), c));
    it(`${what} (TCP)`, async () => checkCase(await queryTcp(fx.server.port, c.q[0], c.q[1]), c));
  }
});
