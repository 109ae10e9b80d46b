/**
 * Query type 0 is reserved (RFC 6895 §3.1), so in a lookup key it marks a name's fallback entry:
 * the answer for types the name lacks, and (on `below`) for names beneath it that do not exist.
 */
export const FALLBACK_TYPE = 0;

/**
 * A response compiled ahead of time: the hot path copies `packet`, patches ID, RD/CD and the
 * question's letter case, and sends it.
 *
 * `packet` holds header, question (the canonical, lower-cased name) and body. When `relocs` is
 * null the packet is only ever sent for its own question name, so its layout is fixed. Otherwise
 * it answers many names (wildcard synthesis, NXDOMAIN, referrals below a cut): the query's question
 * is copied in instead of the canonical one, and the compression pointers listed in `relocs`
 * (absolute offsets, pointing into the body) move by the difference in question length.
 */
export class Answer {
  constructor(
    /** Copied into its zone's image (src/answer/image.ts). */
    readonly packet: Buffer,
    /** Offset just past the question section. */
    readonly qEnd: number,
    readonly relocs: Uint16Array | null,
    /** A smaller form (no additional section, then no optional authority) for when this one does not fit. */
    readonly trimmed: Answer | null,
    /** On a node's fallback entry (type 0): what names below it that do not exist get. */
    readonly below: Below | null,
    /** Its place in its zone's `answers` (CompiledZone): packImage keeps what it learns of it in arrays. */
    readonly id: number,
    /**
     * An answer known to send the same octets (this one is it with another QTYPE, which the query's
     * own question replaces: see packet.ts's retyped), or null: the image gives both one record.
     */
    readonly sends: Answer | null = null,
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
