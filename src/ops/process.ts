import { readdirSync, readFileSync } from 'node:fs';
import type { PromWriter } from './prom.js';

/** When this process started, in Unix seconds (for process_start_time_seconds). */
const STARTED_UNIX_SECONDS = Date.now() / 1000 - process.uptime();

/** Open file descriptors, from /proc (Linux); undefined elsewhere. */
function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

/** The soft RLIMIT_NOFILE, from /proc (Linux): running out of descriptors drops TCP clients. */
function maxFds(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The standard process_* metrics every Prometheus client library exports (CoreDNS has them
 * from Go's), plus the Node.js heap, so one dashboard fits both.
 */
export function writeProcessMetrics(w: PromWriter): void {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  w.single('process_cpu_seconds_total', 'counter', 'User and system CPU time spent, in seconds.', (cpu.user + cpu.system) / 1e6)
    .single('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', mem.rss)
    .single('process_start_time_seconds', 'gauge', 'Start time of the process since the Unix epoch, in seconds.', Math.round(STARTED_UNIX_SECONDS))
    .single('nodejs_heap_size_used_bytes', 'gauge', 'V8 heap in use, in bytes.', mem.heapUsed)
    .single('nodejs_heap_size_total_bytes', 'gauge', 'V8 heap reserved, in bytes.', mem.heapTotal);
  const open = openFds();
  if (open !== undefined) w.single('process_open_fds', 'gauge', 'Open file descriptors.', open);
  const max = maxFds();
  if (max !== undefined) w.single('process_max_fds', 'gauge', 'Largest number of open file descriptors allowed.', max);
}
