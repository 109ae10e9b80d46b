import { ThreadCompiler } from '../answer/compiler.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { ZoneStore } from '../sources/zone-store.js';
import { DocWorker } from './doc-worker.js';
import { ApiServer } from './server.js';
import type { ApiSettings } from './settings.js';
import { ZonesApi, type ServedZones } from './zones.js';

/**
 * One compile thread checks the zones the API is sent, and a thread of its own reads and writes
 * their documents (doc-worker.ts): never the thread that answers queries.
 */
const CHECK_THREADS = 1;

/**
 * Starts the HTTP zone API (API_PORT): writes go to `store` (the folder or bucket the source
 * reads) and are handed to `serving` at once. Resolves with the bound port and a close.
 */
export async function startApi(
  config: Config, settings: ApiSettings, log: Logger,
  deps: { store: ZoneStore; origin(fileName: string): string; serving: ServedZones },
): Promise<{ port: number; close(): Promise<void> }> {
  const compiler = new ThreadCompiler(CHECK_THREADS);
  const docs = new DocWorker();
  const server = new ApiServer(config, settings, new ZonesApi({ ...deps, compiler, docs: docs.docs, log, maxBody: config.apiMaxBody }), log);
  const port = await server.listen();
  return {
    port,
    close: async () => {
      await server.close();
      await compiler.close();
      await docs.close();
    },
  };
}
