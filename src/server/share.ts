/**
 * How a listener binds the DNS port: `none` alone; `reusePort` with a socket of its own and
 * SO_REUSEPORT, beside the sockets of the other DNS threads on the same port, the kernel spreading
 * datagrams and connections over them (Node.js 22.12+; src/serving/threads.ts).
 */
export type ShareMode = 'none' | 'reusePort';
