import zlib from "node:zlib";
import { crc32 as crc32Js } from "./crc32.ts";

/**
 * zlib inflate with Node's native zlib (4–5× faster than a JavaScript inflater), stopping at
 * `maxBytes` of output: more throws RangeError (a small file cannot inflate to gigabytes).
 */
export function inflate(data: Uint8Array, maxBytes: number): Uint8Array {
  let buffer: Buffer;
  try {
    buffer = zlib.inflateSync(data, { maxOutputLength: Math.max(1, maxBytes) });
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
      throw new RangeError(`inflates to more than ${maxBytes} bytes`);
    }
    throw error;
  }
  // A plain Uint8Array view: the decoder's loops then see a single array type.
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** CRC-32 of `bytes[start, end)`: native where this Node has it (20.15+), else JavaScript. */
export function crc32(bytes: Uint8Array, start: number, end: number): number {
  return native ? native(bytes.subarray(start, end)) >>> 0 : crc32Js(bytes, start, end);
}
