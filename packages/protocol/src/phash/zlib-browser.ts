import { unzlibSync } from "fflate";

export { crc32 } from "./crc32.ts";

/**
 * zlib inflate in browsers, where there is no synchronous native inflater, into a buffer one
 * byte larger than `maxBytes`: filling it means more data than allowed (RangeError).
 */
export function inflate(data: Uint8Array, maxBytes: number): Uint8Array {
  let out: Uint8Array;
  try {
    out = unzlibSync(data, { out: new Uint8Array(maxBytes + 1) });
  } catch (error) {
    // A stored block past the end of the fixed buffer.
    if (error instanceof RangeError) throw new RangeError(`inflates to more than ${maxBytes} bytes`);
    throw error;
  }
  if (out.length > maxBytes) throw new RangeError(`inflates to more than ${maxBytes} bytes`);
  return out;
}
