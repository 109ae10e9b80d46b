/** CPU time and memory of a process and its descendants, from Linux /proc (nanosecond CPU time). */
import { readdirSync, readFileSync } from 'node:fs';

function read(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The process and all its descendants (cluster workers included). */
export function tree(pid) {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    for (const tid of tasks(out[i])) {
      for (const c of read(`/proc/${out[i]}/task/${tid}/children`).split(' ')) if (c.trim()) out.push(Number(c));
    }
  }
  return out;
}

function tasks(pid) {
  try {
    return readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
}

/** CPU time used so far, in ns, by every thread of the process tree (schedstat: on-CPU time). */
export function cpuNs(pid) {
  return Object.values(cpuNsByThread(pid)).reduce((a, b) => a + b, 0);
}

/**
 * CPU time used so far, in ns, by the threads of the process tree grouped by thread name (Node.js
 * names its threads: `MainThread`, `WorkerThread` for worker threads, `V8Worker` for V8's helpers,
 * which compile optimised code and collect garbage in the background, `libuv-worker`).
 */
export function cpuNsByThread(pid) {
  const out = {};
  for (const p of tree(pid)) {
    for (const tid of tasks(p)) {
      const name = read(`/proc/${p}/task/${tid}/comm`).trim();
      out[name] = (out[name] ?? 0) + Number(read(`/proc/${p}/task/${tid}/schedstat`).split(' ')[0] || 0);
    }
  }
  return out;
}

/**
 * A field in kB of a /proc file (`smaps_rollup`'s Pss, `status`'s VmHWM: the peak RSS) summed over
 * a process tree, in bytes.
 */
export function treeBytes(pid, file, field) {
  const pattern = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm');
  let kb = 0;
  for (const p of tree(pid)) {
    try {
      kb += Number(pattern.exec(readFileSync(`/proc/${p}/${file}`, 'utf8'))?.[1] ?? 0);
    } catch {
      // Gone meanwhile.
    }
  }
  return kb * 1024;
}

/** Resident set size of the process tree, in bytes. */
export function rssBytes(pid) {
  let kb = 0;
  for (const p of tree(pid)) {
    const m = /VmRSS:\s+(\d+) kB/.exec(read(`/proc/${p}/status`));
    if (m) kb += Number(m[1]);
  }
  return kb * 1024;
}

export const CORES = Number(read('/proc/cpuinfo').match(/^processor/gm)?.length ?? 1);
export const CPU_MODEL = (/model name\s*:\s*(.*)/.exec(read('/proc/cpuinfo'))?.[1] ?? 'unknown').trim();
