/**
 * Query type 0 is reserved (RFC 6895 §3.1), so in a lookup key it marks a name's fallback entry:
 * the answer for types the name lacks, and (on `below`) for names beneath it that do not exist.
 */
export const FALLBACK_TYPE = 0;

/**
 * A response compiled ahead of time: the hot path copies its packet behind the query's own
 * question, patches ID and RD/CD, and sends it.
 *
 * It was compiled with a question (the canonical, lower-cased name) ending at `qEnd`. When
 * `relocs` is null the packet is only ever sent for its own question name, so its layout is fixed
 * (the query's question is as long, and body names may point into it). Otherwise it answers many
 * names (wildcard synthesis, NXDOMAIN, referrals below a cut): the compression pointers listed in
 * `relocs` (offsets in the packet as compiled, pointing into the body) move by the difference in
 * question length.
 */
export class Answer {
  constructor(
    /**
     * Where its packet starts in its zone's packets (ZoneAnswers), as the image keeps it: header
     * and body, without the question, which is always the query's own (src/answer/respond.ts).
     */
    readonly at: number,
    /** Octets of its packet there. */
    readonly length: number,
    /** Offset just past the question section, as compiled. */
    readonly qEnd: number,
    readonly relocs: Uint16Array | null,
    /** A smaller form (no additional section, then no optional authority) for when this one does not fit. */
    readonly trimmed: Answer | null,
    /** On a node's fallback entry (type 0): what names below it that do not exist get. */
    readonly below: Below | null,
    /** Its place in its zone's `answers` (CompiledZone): packImage keeps what it learns of it in arrays. */
    readonly id: number,
  ) {}
}

/**
 * Answers for names that do not exist under a node: NXDOMAIN, a referral, or wildcard synthesis
 * (per query type, with `other` for types the wildcard does not hold).
 */
export class Below {
  constructor(
    readonly byType: Map<number, Answer>,
    readonly other: Answer,
  ) {}
}
