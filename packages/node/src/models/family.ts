import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ModelFile } from "./manager.ts";
import { readHeader } from "./safetensors.ts";

/**
 * The Stable Diffusion generation a model belongs to, as ComfyUI's model detection tells it
 * (`comfy/model_detection.py`): by the width of the UNet's cross-attention context — 768 for
 * SD 1.x, 1024 for SD 2.x, 2048 for SDXL, 1280 for the SDXL refiner.
 */
export type ModelFamily = "sd1" | "sd2" | "sdxl" | "sdxl-refiner" | "unknown";

/** A safetensors header: tensor name → shape. */
export type TensorShapes = Map<string, number[]>;

/** Real headers are kilobytes to a few megabytes; a larger one is not parsed (the family is then unknown). */
const MAX_HEADER_BYTES = 16 * 1024 * 1024;

const BY_CONTEXT: Record<number, ModelFamily> = { 768: "sd1", 1024: "sd2", 2048: "sdxl", 1280: "sdxl-refiner" };
/** SDXL's extra conditioning input (`label_emb` / `add_embedding`): 2816 for the base, 2560 for the refiner. */
const BY_ADM: Record<number, ModelFamily> = { 2816: "sdxl", 2560: "sdxl-refiner" };
/** The width of the text encoders each family conditions on (what a textual inversion must match). */
export const TEXT_WIDTHS: Record<Exclude<ModelFamily, "unknown">, number[]> = {
  sd1: [768],
  sd2: [1024],
  sdxl: [768, 1280],
  "sdxl-refiner": [1280],
};

/**
 * The input projection of a cross-attention key, in every layout a checkpoint, ControlNet or
 * LoRA uses: original (`input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight`), diffusers
 * (`down_blocks.1.attentions.0….attn2.to_k.weight`), kohya (`lora_unet_…_attn2_to_k.lora_down.weight`),
 * PEFT (`….attn2.to_k.lora_A.weight`), old diffusers (`….attn2.processor.to_k_lora.down.weight`)
 * and LyCORIS LoHa (`…_attn2_to_k.hada_w1_b`). Its second dimension is the context width.
 */
const CROSS_ATTENTION_K =
  /attn2[._](?:to_k(?:\.weight|[._]lora_down\.weight|\.lora_A\.weight|\.lora\.down\.weight|\.hada_w[12]_b)|processor\.to_k_lora\.down\.weight)$/;
/** A LoRA's single text encoder's query projection (kohya, PEFT, old diffusers, LoHa); its second dimension is the encoder's width. */
const TEXT_ENCODER_Q =
  /^(?:lora_te_|text_encoder\.).*q_proj(?:[._]lora_down\.weight|\.lora_A\.weight|\.lora\.down\.weight|\.hada_w[12]_b)$/;
const ADM = /(?:^|\.)(?:label_emb\.0\.0|add_embedding\.linear_1)\.weight$/;

/** The tensor shapes of a safetensors file, or undefined when its header cannot be read within bounds. */
export async function readShapes(path: string): Promise<TensorShapes | undefined> {
  const { header } = await readHeader(path, MAX_HEADER_BYTES).catch(() => ({ header: undefined }));
  return header ? shapesOf(header) : undefined;
}

/** Tensor shapes from a parsed header; entries that are not tensors are skipped. */
export function shapesOf(header: unknown): TensorShapes {
  const shapes: TensorShapes = new Map();
  if (typeof header !== "object" || header === null) return shapes;
  for (const [name, entry] of Object.entries(header)) {
    const shape = (entry as { shape?: unknown })?.shape;
    if (name !== "__metadata__" && Array.isArray(shape) && shape.every((n) => Number.isSafeInteger(n))) {
      shapes.set(name, shape as number[]);
    }
  }
  return shapes;
}

/**
 * The family of a checkpoint, LoRA or ControlNet from its tensors: the cross-attention context
 * width first (it is in every SD UNet, ControlNet and UNet LoRA), then SDXL's extra conditioning
 * width, then the text encoder a LoRA trains (SDXL has two: `lora_te1_`/`lora_te2_`,
 * `text_encoder_2`; SD 1 and SD 2 one, 768 or 1024 wide). Anything else is `unknown`.
 */
export function familyOfShapes(shapes: TensorShapes): ModelFamily {
  for (const [name, shape] of shapes) {
    if (CROSS_ATTENTION_K.test(name) && shape.length >= 2) return BY_CONTEXT[shape[1] as number] ?? "unknown";
  }
  for (const [name, shape] of shapes) {
    if (ADM.test(name) && shape.length === 2) return BY_ADM[shape[1] as number] ?? "unknown";
  }
  const names = [...shapes.keys()];
  if (names.some((n) => /^lora_te[12]_|^text_encoder_2\.|^conditioner\.embedders\.1\./.test(n))) return "sdxl";
  for (const [name, shape] of shapes) {
    if (TEXT_ENCODER_Q.test(name) && shape.length >= 2) {
      if (shape[1] === 768) return "sd1";
      if (shape[1] === 1024) return "sd2";
    }
  }
  return "unknown";
}

/** The latent channels a VAE decodes (4 for SD 1.x, 2.x and SDXL), or undefined when the file is no VAE. */
export function latentChannels(shapes: TensorShapes): number | undefined {
  const conv = shapes.get("decoder.conv_in.weight") ?? shapes.get("first_stage_model.decoder.conv_in.weight");
  return conv && conv.length === 4 ? conv[1] : undefined;
}

/** The widths of a textual inversion's vectors (`emb_params`, `string_to_param.*`, SDXL's `clip_l`/`clip_g`). */
export function embeddingWidths(shapes: TensorShapes): number[] {
  const widths = new Set<number>();
  for (const [name, shape] of shapes) {
    if (/^(?:emb_params|clip_l|clip_g|string_to_param\..+)$/.test(name) && shape.length >= 1) {
      widths.add(shape[shape.length - 1] as number);
    }
  }
  return [...widths];
}

/** The shapes of a cached model: its file's header, or a diffusers folder's UNet config. */
export async function shapesOfModel(model: ModelFile): Promise<TensorShapes | undefined> {
  if (!model.path) return undefined;
  if (model.format !== "diffusers") return readShapes(model.path);
  const config = join(model.path, "unet", "config.json");
  if (!existsSync(config) || statSync(config).size > 1024 * 1024) return undefined;
  try {
    const { cross_attention_dim: context } = JSON.parse(readFileSync(config, "utf8")) as {
      cross_attention_dim?: unknown;
    };
    // The one tensor the rules read, rebuilt from the config.
    return typeof context === "number"
      ? new Map([["down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight", [0, context]]])
      : undefined;
  } catch {
    return undefined;
  }
}
