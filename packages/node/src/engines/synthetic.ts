import { sleep, type TaskArgs } from "@hydrogen/protocol";
import { buildPng, pngChunk } from "@hydrogen/protocol/png-writer";
import { type Address, hexToBytes, keccak256, stringToHex } from "viem";
import { type Engine, EngineRejectedError, type EngineRequest } from "./engine.ts";

export interface SyntheticOptions {
  /** This node's address: seeds its noise and its lies, so nodes differ from each other. */
  node: Address;
  /** Pixel noise amplitude in levels (0 = none); small enough to keep pHashes within the tolerance. */
  noise?: number;
  /** Draw other images than honest nodes do (their pHashes are far apart). */
  dishonest?: boolean;
  /** Simulated work per image. */
  delayMs?: number;
  /** Refuse every task as broken (to exercise error reports). */
  reject?: boolean;
}

/**
 * The synthetic engine (spec §10): NOT Stable Diffusion, a deterministic, dependency-free
 * renderer of smooth colour waves chosen by a hash of the arguments, the seed and the image
 * index, so every honest node draws the same images without a GPU or weights.
 *
 * @example
 * const engine = new SyntheticEngine({ node: account.address });
 * const pngs = await engine.run({ taskId, args, models, signal });
 */
export class SyntheticEngine implements Engine {
  readonly name = "synthetic";

  constructor(private readonly options: SyntheticOptions) {}

  async run(request: EngineRequest): Promise<Uint8Array[]> {
    const { args, signal } = request;
    if (this.options.reject) throw new EngineRejectedError("this synthetic engine is configured to reject every task");
    const images: Uint8Array[] = [];
    for (let index = 0; index < args.task_config.num_images; index++) {
      if (this.options.delayMs) await sleep(this.options.delayMs, signal);
      signal.throwIfAborted();
      images.push(this.render(args, index, request.taskId));
    }
    return images;
  }

  /**
   * Image `index` of a task, as PNG bytes: a sum of the 63 lowest non-constant cosine
   * patterns, their weights drawn from the seed. Every low frequency carries energy, so the
   * pHash's DCT coefficients sit well apart from their median and small noise flips no bit.
   */
  render(args: TaskArgs, index: number, taskId: bigint): Uint8Array {
    const width = args.task_config.image_width;
    const height = args.task_config.image_height;
    const lie = this.options.dishonest ? `|lie|${this.options.node.toLowerCase()}` : "";
    const seed = expand(`${canonical(args)}|${index}${lie}`, 64 + 6);
    const weights = Float64Array.from({ length: 64 }, (_, i) => (i === 0 ? 0 : ((seed[i] as number) / 255 - 0.5) * 12));
    const tint = [0, 1, 2].map((c) => 0.7 + ((seed[64 + c] as number) / 255) * 0.6);
    const offset = [0, 1, 2].map((c) => ((seed[67 + c] as number) / 255 - 0.5) * 40);
    const cx = cosines(width);
    const cy = cosines(height);
    const noise = noiseSource(this.options.node, taskId, index, this.options.noise ?? 0);
    const raw = new Uint8Array(height * (1 + width * 3));
    const row = new Float64Array(8);
    for (let y = 0; y < height; y++) {
      for (let u = 0; u < 8; u++) {
        let sum = 0;
        for (let v = 0; v < 8; v++) sum += (weights[v * 8 + u] as number) * (cy[v * height + y] as number);
        row[u] = sum;
      }
      const start = y * (1 + width * 3) + 1; // after the row's filter byte 0 (None)
      for (let x = 0; x < width; x++) {
        let pattern = 0;
        for (let u = 0; u < 8; u++) pattern += (row[u] as number) * (cx[u * width + x] as number);
        for (let c = 0; c < 3; c++) {
          const value = 128 + (offset[c] as number) + (tint[c] as number) * pattern + noise();
          raw[start + x * 3 + c] = value < 0 ? 0 : value > 255 ? 255 : Math.round(value);
        }
      }
    }
    // As ComfyUI does, the file carries what made it in a tEXt chunk (here the task id and the
    // node, which differ between nodes): the node strips it before anything leaves (spec §7).
    const made = `workflow\0{"task":"${taskId}","node":"${this.options.node.toLowerCase()}"}`;
    return buildPng(width, height, 8, 2, raw, [pngChunk("tEXt", new TextEncoder().encode(made))]);
  }
}

/** cos(π·k·(2i+1)/(2n)) for k < 8, i < n, row-major by k (the DCT-II basis). */
function cosines(n: number): Float64Array {
  const table = new Float64Array(8 * n);
  for (let k = 0; k < 8; k++)
    for (let i = 0; i < n; i++) table[k * n + i] = Math.cos((Math.PI * k * (2 * i + 1)) / (2 * n));
  return table;
}

/** `length` pseudo-random bytes from a text (keccak in counter mode). */
function expand(text: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let block = 0; block * 32 < length; block++) {
    out.set(
      hexToBytes(keccak256(stringToHex(`${block}|${text}`))).subarray(0, Math.min(32, length - block * 32)),
      block * 32,
    );
  }
  return out;
}

/** The arguments with sorted keys, so field order in the JSON does not change the picture. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** A deterministic uniform noise in [-amplitude, amplitude] per node, task and image (xorshift32). */
function noiseSource(node: Address, taskId: bigint, index: number, amplitude: number): () => number {
  if (amplitude === 0) return () => 0;
  const bytes = hexToBytes(keccak256(stringToHex(`${node.toLowerCase()}|${taskId}|${index}`)));
  let state = ((bytes[0] as number) << 24) | ((bytes[1] as number) << 16) | ((bytes[2] as number) << 8) | 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) / 0xffffffff) * 2 * amplitude - amplitude;
  };
}
