import { describe, it } from 'node:test';
import { ANSWER_ZONES, CASES, checkCase } from '../fixtures/answers.js';
import { InProcessServer } from '../helpers/inprocess.js';

describe('answers, in-process (the table test/server/answers.test.ts asks over sockets)', async () => {
  const server = await InProcessServer.start(ANSWER_ZONES);

  for (const [what, c] of Object.entries(CASES)) {
    it(`${what} (UDP)`, () => checkCase(server.ask(c.q[0], c.q[1], { edns: 1232 }), c));
    it(`${what} (TCP)`, () => checkCase(server.ask(c.q[0], c.q[1], { tcp: true }), c));
  }
});
