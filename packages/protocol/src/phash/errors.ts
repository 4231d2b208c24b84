/** Why an input cannot be hashed. Stable codes; the message says what was found. */
export type PngErrorCode =
  | "PNG_NOT_PNG"
  | "PNG_TRUNCATED"
  | "PNG_BAD_CRC"
  | "PNG_UNSUPPORTED"
  | "PNG_MALFORMED"
  /** Strict decoding: the dimensions differ from the expected ones. */
  | "PNG_WRONG_SIZE"
  /** Strict decoding: a chunk other than IHDR, PLTE, tRNS, IDAT and IEND. */
  | "PNG_CHUNK_NOT_ALLOWED"
  /** Strict decoding: bytes after IEND. */
  | "PNG_TRAILING_DATA";

/** A file that is not a PNG this decoder accepts; the hash is never computed from a broken file. */
export class PngError extends Error {
  override readonly name = "PngError";
  constructor(
    readonly code: PngErrorCode,
    message: string,
  ) {
    super(message);
  }
}
