/**
 * `hydrogen phash FILE...` (also `hydrogen-phash`): one line per file, `<16 hex chars>  <path>`; a file that cannot be
 * hashed gets a message on stderr and the exit code becomes 1.
 */
import { readFileSync } from "node:fs";
import { bytesToHex } from "viem";
import { PngError } from "./errors.ts";
import { phashPng } from "./phash.ts";

/** Hashes each file; returns the exit code. */
export function runPhash(paths: string[], out: (line: string) => void, err: (line: string) => void): number {
  if (paths.length === 0 || paths.includes("--help") || paths.includes("-h")) {
    (paths.length === 0 ? err : out)("usage: hydrogen phash FILE...  (prints the 64-bit pHash of each PNG, as hex)");
    return paths.length === 0 ? 2 : 0;
  }
  let status = 0;
  for (const path of paths) {
    try {
      out(`${bytesToHex(phashPng(readFileSync(path))).slice(2)}  ${path}`);
    } catch (error) {
      status = 1;
      const reason = error instanceof PngError ? `${error.code}: ${error.message}` : (error as Error).message;
      err(`hydrogen-phash: ${path}: ${reason}`);
    }
  }
  return status;
}
