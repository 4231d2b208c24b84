import { sleep } from "@hydrogen/chain";
import type { TaskArgs } from "@hydrogen/protocol";
import { buildPng } from "@hydrogen/protocol/png-writer";
import { type Address, hexToBytes, keccak256, stringToHex } from "viem";
import type { Engine, EngineRequest } from "./engine.ts";

export interface SyntheticOptions {
  /** This node's address: seeds its noise and its lies, so nodes differ from each other. */
  node: Address;
  /** Pixel noise amplitude in levels (0 = none); small enough to keep pHashes within the tolerance. */
  noise?: number;
  /** Draw other images than honest nodes do (their pHashes are far apart). */
  dishonest?: boolean;
  /** Simulated work per image. */
  delayMs?: number;
}

/**
 * The synthetic engine (SPEC §10): NOT Stable Diffusion, a deterministic, dependency-free
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
    const images: Uint8Array[] = [];
    for (let index = 0; index < args.task_config.num_images; index++) {
      if (this.options.delayMs) await sleep(this.options.delayMs, signal);
      signal.throwIfAborted();
      images.push(this.render(args, index, request.taskId));
    }
    return images;
  }

  /** Image `index` of a task, as PNG bytes. */
  render(args: TaskArgs, index: number, taskId: bigint): Uint8Array {
    const width = args.task_config.image_width;
    const height = args.task_config.image_height;
    const lie = this.options.dishonest ? `|lie|${this.options.node.toLowerCase()}` : "";
    const seed = hexToBytes(keccak256(stringToHex(`${canonical(args)}|${index}${lie}`)));
    const raw = new Uint8Array(height * (1 + width * 3));
    const waves = [0, 1, 2].map((k) => wave(seed, k, width, height));
    const noise = noiseSource(this.options.node, taskId, index, this.options.noise ?? 0);
    for (let y = 0; y < height; y++) {
      const row = y * (1 + width * 3); // filter byte 0 (None) at row start
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < 3; c++) {
          let value = 128;
          for (const w of waves) value += (w.amplitude[c] as number) * (w.xs[x] as number) * (w.ys[y] as number);
          value += noise();
          raw[row + 1 + x * 3 + c] = value < 0 ? 0 : value > 255 ? 255 : Math.round(value);
        }
      }
    }
    return buildPng(width, height, 8, 2, raw);
  }
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

/** One separable wave cos(fx·x + px)·cos(fy·y + py), with a per-channel amplitude, from 8 seed bytes. */
function wave(seed: Uint8Array, k: number, width: number, height: number) {
  const at = (i: number) => seed[(k * 8 + i) % seed.length] as number;
  const fx = 1 + (at(0) % 4);
  const fy = 1 + (at(1) % 4);
  const px = (at(2) / 256) * 2 * Math.PI;
  const py = (at(3) / 256) * 2 * Math.PI;
  const scale = 70 / (k + 1);
  const amplitude = [at(4), at(5), at(6)].map((b) => (b / 255 - 0.5) * 2 * scale);
  const xs = Float64Array.from({ length: width }, (_, x) => Math.cos((Math.PI * fx * x) / width + px));
  const ys = Float64Array.from({ length: height }, (_, y) => Math.cos((Math.PI * fy * y) / height + py));
  return { amplitude, xs, ys };
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
