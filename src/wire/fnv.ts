/**
 * FNV-1a's 32-bit parameters (Fowler, Noll, Vo): the hash of name suffixes for compression
 * (name.ts), and of lookup keys and answers (src/answer/hash.ts, pack.ts, same-responses.ts).
 */
export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;
