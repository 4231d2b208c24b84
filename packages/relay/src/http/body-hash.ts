import { createHash } from "node:crypto";
import type { Hex } from "viem";

/**
 * The body hashes of signed requests (the protocol package's `bodySha256`) with Node's native SHA-256: the
 * protocol package's portable one is JavaScript, about ten times slower on megabyte uploads.
 */
export function bodySha256Native(body: Uint8Array): Hex {
  return `0x${createHash("sha256").update(body).digest("hex")}`;
}

/** An incremental native SHA-256 for a body that streams in. */
export function bodyHasherNative() {
  const hash = createHash("sha256");
  return {
    update(chunk: Uint8Array) {
      hash.update(chunk);
    },
    digest: (): Hex => `0x${hash.digest("hex")}`,
  };
}
