/** Why a message could not be decoded; the codes are stable for logs and tests. */
export type WireErrorCode =
  | 'TRUNCATED' // a read ran past the end of the message
  | 'LABEL_TOO_LONG' // RFC 1035 §2.3.4: labels are 63 octets or less
  | 'NAME_TOO_LONG' // RFC 1035 §2.3.4: names are 255 octets or less
  | 'BAD_POINTER' // RFC 1035 §4.1.4: a pointer must point to an earlier name
  | 'BAD_LABEL_TYPE' // RFC 6891 §5: extended label types 0b01/0b10 are not in use
  | 'BAD_TEXT'; // a presentation-format value that cannot be encoded

/** A typed decode/encode failure: never a RangeError from a Buffer read. */
export class WireError extends Error {
  constructor(
    readonly code: WireErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'WireError';
  }
}
