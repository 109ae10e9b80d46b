import type { AnswerTable } from '../answer/table.js';
import type { Logger } from '../log.js';
import type { QueryCounters } from '../server/observer.js';
import type { ZoneReloader } from '../sources/reload.js';
import { isS3Url } from '../sources/s3-location.js';
import type { ZoneSource } from '../sources/source.js';
import type { ServerSnapshot } from './metrics.js';
import { snapshotQueries } from './snapshot.js';

/** The `source` label: which storage engine ZONE_DIR names. */
export function sourceLabel(zoneDir: string): string {
  return isS3Url(zoneDir) ? 's3' : 'folder';
}

export interface LocalState {
  counters: QueryCounters;
  table: AnswerTable;
  reloader: ZoneReloader;
  zones: ZoneSource;
  source: string;
  log: Logger;
}

/** This process's numbers for /metrics. */
export function localSnapshot(s: LocalState): ServerSnapshot {
  let records = 0;
  for (const z of s.table.allZones()) records += z.records;
  return {
    queries: snapshotQueries(s.counters),
    zones: s.table.zoneCount,
    records,
    source: s.source,
    reload: { ...s.reloader.stats },
    sourceStats: s.zones.stats ? { ...s.zones.stats } : undefined,
    logDroppedLines: s.log.droppedQueryLines,
  };
}

/** Queries received so far (answered or dropped): what the shutdown watches to see traffic stop. */
export function queriesReceived(c: QueryCounters): number {
  let n = 0;
  for (let t = 0; t < c.byType.length; t++) {
    for (const v of c.byRcode[t]) n += v;
    n += c.dropped[t];
  }
  return n;
}
