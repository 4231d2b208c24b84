import { inflateSync } from "node:zlib";

/** zlib inflate with Node's native zlib (4–5× faster than a JavaScript inflater). */
export function inflate(data: Uint8Array): Uint8Array {
  const buffer = inflateSync(data);
  // A plain Uint8Array view: the decoder's loops then see a single array type.
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
