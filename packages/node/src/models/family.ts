import { existsSync, readFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import type { ModelFile } from "./manager.ts";

/** The Stable Diffusion generation a model belongs to; LoRAs, ControlNets and refiners must match their base. */
export type ModelFamily = "sd1" | "sd2" | "sdxl" | "unknown";

/** The tensor names of a safetensors file (its header's keys). */
export async function tensorNames(path: string): Promise<string[]> {
  const file = await open(path, "r");
  try {
    const head = Buffer.alloc(8);
    await file.read(head, 0, 8, 0);
    const length = Number(head.readBigUInt64LE(0));
    const header = Buffer.alloc(length);
    await file.read(header, 0, length, 8);
    return Object.keys(JSON.parse(header.toString("utf8")) as object).filter((k) => k !== "__metadata__");
  } finally {
    await file.close();
  }
}

/**
 * Tells the family from tensor names, the way ComfyUI's model detection does in spirit: SDXL
 * has a second text encoder (`conditioner.embedders.1`, `lora_te2_`, `text_encoder_2`), SD 2
 * an OpenCLIP one (`cond_stage_model.model`), SD 1 the original CLIP (`cond_stage_model.transformer`).
 */
export function familyOfNames(names: string[]): ModelFamily {
  const has = (pattern: RegExp) => names.some((n) => pattern.test(n));
  if (has(/^conditioner\.embedders\.1\.|^lora_te2_|text_encoder_2|^add_embedding\.|label_emb\.0\.0\.weight$/))
    return "sdxl";
  if (has(/^cond_stage_model\.model\./)) return "sd2";
  if (has(/^cond_stage_model\.transformer\.|^lora_te_|^lora_unet_|^input_blocks\.|^control_model\./)) return "sd1";
  return "unknown";
}

/** The family of a cached model file or diffusers folder. */
export async function familyOf(model: ModelFile): Promise<ModelFamily> {
  if (!model.path) return "unknown";
  if (model.format === "diffusers") {
    const index = join(model.path, "model_index.json");
    if (!existsSync(index)) return "unknown";
    const className = String((JSON.parse(readFileSync(index, "utf8")) as { _class_name?: string })._class_name ?? "");
    if (/XL/.test(className)) return "sdxl";
    return /StableDiffusion/.test(className) ? "sd1" : "unknown";
  }
  return familyOfNames(await tensorNames(model.path));
}
