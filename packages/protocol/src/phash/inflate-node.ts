import { inflateSync } from "node:zlib";

/** zlib inflate with Node's native zlib (4–5× faster than a JavaScript inflater). */
export function inflate(data: Uint8Array): Uint8Array {
  return inflateSync(data);
}
