/**
 * A bounded position in a message (after Knot's wire_ctx_t): readName() reads through it and
 * checks every step against `end`, throwing a WireError, never a RangeError from Buffer.
 */
export class WireReader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    pos = 0,
    readonly end = buf.length,
  ) {
    this.pos = pos;
  }
}
