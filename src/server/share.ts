/**
 * How a process binds the DNS port: `none` alone; `cluster` through the cluster primary's one
 * shared handle (every worker reads the same socket); `reusePort` with a socket of its own and
 * SO_REUSEPORT, the kernel spreading datagrams and connections over the workers (Node.js 22.12+).
 */
export type ShareMode = 'none' | 'cluster' | 'reusePort';
