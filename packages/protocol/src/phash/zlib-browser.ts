import { unzlibSync } from "fflate";

export { crc32 } from "./crc32.ts";

/** zlib inflate in browsers, where there is no synchronous native inflater. */
export function inflate(data: Uint8Array): Uint8Array {
  return unzlibSync(data);
}
