import { PngError, type PngExpectation } from "@hydrogen/protocol";
import { Piscina } from "piscina";
import type { Hex } from "viem";
import type { HashJob, HashOutcome } from "./hash-task.ts";

/**
 * Decodes and hashes uploaded images in worker threads (Piscina), so that a large or hostile
 * PNG never holds the request thread (spec §7): `/healthz` and every other request keep
 * being answered while images are checked. Threads start on the first upload and stop after
 * a minute idle. `hashThreads` sizes the pool: by default the cores shared among the relay's
 * processes (each thread compiles the decoder anew, so idle extra threads cost warm-up).
 *
 * @example
 * const hasher = new ImageHasher(2); await hasher.hash(png, { width: 512, height: 512 }); await hasher.close();
 */
export class ImageHasher {
  private readonly pool: Piscina<HashJob, HashOutcome>;

  constructor(threads: number) {
    this.pool = new Piscina({
      filename: new URL("./hash-worker.mjs", import.meta.url).href,
      minThreads: 0,
      maxThreads: threads,
      idleTimeout: 60_000,
    });
  }

  /** The image's pHash (0x + 16 hex); PngError when it is not a PNG of exactly `expect`'s size. */
  async hash(png: Uint8Array, expect: PngExpectation): Promise<Hex> {
    const outcome = await this.pool.run({ png, expect });
    if (!outcome.ok) throw new PngError(outcome.code, outcome.message);
    return outcome.hash;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
