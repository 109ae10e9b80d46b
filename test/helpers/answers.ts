import { query } from './dns.js';
import { pollUntil } from './server.js';

/** The data of the first `type` record a name answers (TXT strings joined), or the RCODE when there is none. */
export async function answerData(port: number, name: string, type = 'A'): Promise<string> {
  const r = await query(port, name, type);
  const a = (r.answers ?? []).find((x) => x.type === type);
  if (!a) return r.rcode ?? 'no answer';
  const data = (a as { data: unknown }).data;
  return Array.isArray(data) ? data.map((d) => String(d)).join('') : String(data);
}

/** Waits until the name answers `want` (answerData); a failed wait says what was answered last. */
export async function untilAnswer(port: number, name: string, want: string, type = 'A'): Promise<void> {
  let got = '';
  await pollUntil(async () => (got = await answerData(port, name, type)) === want, `${name} ${type} to answer ${want}`).catch((e: Error) => {
    throw new Error(`${e.message}; the last answer was ${got}`);
  });
}
