import { Worker } from "node:worker_threads";
import { decodePng, rgb8 } from "@hydrogen/protocol";
import { buildPng } from "@hydrogen/protocol/png-writer";
import { TransientError } from "../task/errors.ts";
import { THUMBNAIL_SIDE, thumbnail } from "./thumbnail.ts";
import { type SafetyVerdict, verdictOf } from "./verdict.ts";
import type { ClassifyRequest, ClassifyResponse } from "./worker.ts";

/** Checks images for unsafe content (spec §6): the same verdict for the same image, on every node. */
export interface SafetyChecker {
  check(png: Uint8Array): Promise<SafetyVerdict>;
  close(): Promise<void>;
}

/** The checker could not run (its worker failed to start or crashed): this node's trouble, retried. */
export class SafetyCheckerUnavailableError extends TransientError {
  override readonly name = "SafetyCheckerUnavailableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("SAFETY_CHECKER_UNAVAILABLE", message, options);
  }
}

/**
 * nsfwjs's MobileNetV2, shown a 32×32 thumbnail of each image (see `thumbnail.ts`), in a worker thread (the model takes seconds to load and ~100 ms an
 * image: the node's event loop stays free). Started at the first image, kept until `close`.
 */
export class NsfwSafetyChecker implements SafetyChecker {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (p: number[]) => void; reject: (e: Error) => void }>();

  async check(png: Uint8Array): Promise<SafetyVerdict> {
    const image = decodePng(png);
    const rgb = thumbnail(rgb8(image), image.width, image.height);
    const id = this.nextId++;
    const worker = this.start();
    const probabilities = await new Promise<number[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const request: ClassifyRequest = { id, width: THUMBNAIL_SIDE, height: THUMBNAIL_SIDE, rgb };
      worker.postMessage(request, [rgb.buffer as ArrayBuffer]);
    });
    return verdictOf(probabilities);
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const url = workerUrl();
    // From source (tests, the devnet), the worker registers tsx's loader first: a worker does not
    // inherit it. tsx is resolved from here: eval'd code would resolve it from the working directory.
    const tsx = url.pathname.endsWith(".ts") ? import.meta.resolve("tsx/esm/api") : undefined;
    const worker = tsx
      ? new Worker(
          `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`,
          { eval: true },
        )
      : new Worker(url);
    worker.on("message", (response: ClassifyResponse) => {
      const waiting = this.pending.get(response.id);
      this.pending.delete(response.id);
      if ("error" in response) waiting?.reject(new SafetyCheckerUnavailableError(`safety checker: ${response.error}`));
      else waiting?.resolve(response.probabilities);
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const waiting of this.pending.values()) {
        waiting.reject(new SafetyCheckerUnavailableError(`safety checker stopped: ${error.message}`, { cause: error }));
      }
      this.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`its worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}

/** The worker's module: beside this file when running from source, beside the bundle when built. */
function workerUrl(): URL {
  return import.meta.url.endsWith(".ts")
    ? new URL("./worker.ts", import.meta.url)
    : new URL("./safety-worker.mjs", import.meta.url);
}

/**
 * Replaces every image the checker flags with a black image of the same size, before hashing,
 * so every node hashes the same thing; returns the indexes it replaced.
 */
export async function filterUnsafe(
  checker: SafetyChecker,
  images: readonly Uint8Array[],
): Promise<{ images: Uint8Array[]; flagged: number[]; verdicts: SafetyVerdict[] }> {
  const out: Uint8Array[] = [];
  const flagged: number[] = [];
  const verdicts: SafetyVerdict[] = [];
  for (const [index, png] of images.entries()) {
    const verdict = await checker.check(png);
    verdicts.push(verdict);
    if (!verdict.flagged) {
      out.push(png);
      continue;
    }
    const { width, height } = decodePng(png);
    out.push(blackPng(width, height));
    flagged.push(index);
  }
  return { images: out, flagged, verdicts };
}

/** An 8-bit RGB PNG of one colour: black. */
export function blackPng(width: number, height: number): Uint8Array {
  return buildPng(width, height, 8, 2, new Uint8Array(height * (1 + width * 3)));
}
