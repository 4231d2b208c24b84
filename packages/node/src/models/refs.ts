import { createHash } from "node:crypto";
import type { ModelRef } from "@hydrogen/protocol";

/** What a model is used as; each kind has its folder in the cache, named as ComfyUI names it. */
export type ModelKind = "checkpoint" | "lora" | "controlnet" | "vae" | "embedding";

export const KIND_FOLDERS: Record<ModelKind, string> = {
  checkpoint: "checkpoints",
  lora: "loras",
  controlnet: "controlnet",
  vae: "vae",
  embedding: "embeddings",
};

/** Diffusers-format base models live apart: ComfyUI's DiffusersLoader reads `models/diffusers`. */
export const DIFFUSERS_FOLDER = "diffusers";

export type ParsedRef = { source: "huggingface"; repo: string } | { source: "url"; url: string };

/** A task's model reference (spec §9): a Hugging Face id `owner/name`, or an https URL of a `.safetensors` file. */
export function parseRef(ref: ModelRef): ParsedRef {
  // Tasks may only name https URLs (the schema); plain http is accepted here for local mirrors.
  return /^https?:\/\//.test(ref) ? { source: "url", url: ref } : { source: "huggingface", repo: ref };
}

/**
 * The cache's stable name for a reference: readable, and unique (a hash of the reference).
 * `stable-diffusion-v1-5/stable-diffusion-v1-5` → `stable-diffusion-v1-5--stable-diffusion-v1-5--<hash>`.
 */
export function cacheName(ref: ModelRef): string {
  const parsed = parseRef(ref);
  const readable =
    parsed.source === "huggingface"
      ? parsed.repo.replace("/", "--")
      : (new URL(parsed.url).pathname.split("/").pop() ?? "model").replace(/\.safetensors$/, "");
  const hash = createHash("sha256").update(ref).digest("hex").slice(0, 10);
  return `${readable.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 80)}--${hash}`;
}
