import { PngError, type PngErrorCode, type PngExpectation, phashPngHex } from "@hydrogen/protocol/phash";
import type { Hex } from "viem";

export interface HashJob {
  png: Uint8Array;
  expect: PngExpectation;
}

export type HashOutcome = { ok: true; hash: Hex } | { ok: false; code: PngErrorCode; message: string };

/**
 * Runs in a worker thread: decodes an uploaded image strictly (spec §7) and hashes it. A
 * refused image is an outcome, not an exception, so its code crosses the thread boundary.
 */
export default function hashImage({ png, expect }: HashJob): HashOutcome {
  try {
    return { ok: true, hash: phashPngHex(png, expect) };
  } catch (error) {
    if (error instanceof PngError) return { ok: false, code: error.code, message: error.message };
    throw error;
  }
}
