import { posix } from "node:path";
import type { ModelRef } from "@hydrogen/protocol";
import { type Dispatcher, fetch } from "undici";
import { statusError } from "./download.ts";
import { ModelInvalidError, ModelUnavailableError } from "./manager.ts";

/** What to fetch from a repository: one `.safetensors` file, or a diffusers folder's files. */
export type RepoPlan = { format: "file"; file: string } | { format: "diffusers"; files: string[] };

/** The diffusers components a Stable Diffusion pipeline loads (ComfyUI's DiffusersLoader reads these). */
const DIFFUSERS_DIRS = ["unet", "vae", "text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2", "scheduler"];
/**
 * The weight files ComfyUI's diffusers loader (comfy/diffusers_load.py) can read, per component
 * folder, in the order a node picks them (plain before fp16: one of them is downloaded, and the
 * loader takes whichever is there). bf16, ema and non-ema variants and pickles it does not read.
 */
const LOADER_WEIGHTS: Record<string, { names: string[]; required: boolean }> = {
  unet: { names: ["diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.fp16.safetensors"], required: true },
  vae: { names: ["diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.fp16.safetensors"], required: true },
  text_encoder: { names: ["model.safetensors", "model.fp16.safetensors"], required: true },
  text_encoder_2: { names: ["model.safetensors", "model.fp16.safetensors"], required: false },
};
/** A root file of another purpose than plain text-to-image is picked only when nothing else is there. */
const OTHER_PURPOSE = /inpaint|instruct|depth|upscal/i;

/** A file of a repository as the hub lists it; `size` when asked with `blobs=true`. */
export interface RepoFile {
  name: string;
  size?: number;
}

export interface HubOptions {
  endpoint: string;
  token?: string;
  dispatcher?: Dispatcher;
  signal: AbortSignal;
}

export function hubHeaders(options: { token?: string }): Record<string, string> {
  return options.token ? { authorization: `Bearer ${options.token}` } : {};
}

export function fileUrl(endpoint: string, repo: string, file: string): string {
  return `${endpoint.replace(/\/$/, "")}/${repo}/resolve/main/${file.split("/").map(encodeURIComponent).join("/")}`;
}

/**
 * Decides which files of a Hugging Face repository make the model, the same way on every
 * node: a root-level `.safetensors` file (when there are several: not an inpainting or other
 * special-purpose one, then the smallest, then the shortest name, then by code-point order), else — for a base model —
 * the diffusers folder. A repository that does not exist or holds neither is `ModelInvalid`.
 */
export async function planRepo(
  ref: ModelRef,
  repo: string,
  allowDiffusers: boolean,
  options: HubOptions,
): Promise<RepoPlan> {
  const url = `${options.endpoint.replace(/\/$/, "")}/api/models/${repo}?blobs=true`;
  let response: Awaited<ReturnType<typeof fetch>>;
  try {
    response = await fetch(url, {
      headers: hubHeaders(options),
      dispatcher: options.dispatcher,
      signal: options.signal,
    });
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason;
    throw new ModelUnavailableError(ref, `${url}: ${(error as Error).message}`, { cause: error });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw statusError(ref, url, response.status);
  }
  let files: RepoFile[];
  try {
    const body = (await response.json()) as { siblings?: { rfilename?: string; size?: unknown }[] };
    files = (body.siblings ?? [])
      .map((s) => ({ name: s.rfilename ?? "", size: typeof s.size === "number" ? s.size : undefined }))
      .filter((f) => f.name);
  } catch (error) {
    throw new ModelUnavailableError(ref, `${url} answered something that is not the hub's JSON`, { cause: error });
  }
  return choose(ref, files, allowDiffusers);
}

export function choose(ref: ModelRef, listed: RepoFile[], allowDiffusers: boolean): RepoPlan {
  const files = listed.map((f) => f.name);
  const root = listed.filter((f) => !f.name.includes("/") && f.name.endsWith(".safetensors"));
  if (root.length > 0) {
    // The smallest download: `v1-5-pruned-emaonly-fp16` (2 GB) over `v1-5-pruned` (7.7 GB).
    const purpose = (f: RepoFile) => (OTHER_PURPOSE.test(f.name) ? 1 : 0);
    const size = (f: RepoFile) => f.size ?? Number.MAX_SAFE_INTEGER;
    const [best] = [...root].sort(
      (a, b) =>
        purpose(a) - purpose(b) ||
        size(a) - size(b) ||
        a.name.length - b.name.length ||
        (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    );
    return { format: "file", file: (best as RepoFile).name };
  }
  if (allowDiffusers && files.includes("model_index.json")) {
    const wanted = files.filter((f) => DIFFUSERS_DIRS.includes(posix.dirname(f)) && /\.(json|txt|model)$/.test(f));
    for (const [dir, { names, required }] of Object.entries(LOADER_WEIGHTS)) {
      const weight = names.map((name) => `${dir}/${name}`).find((path) => files.includes(path));
      if (weight) wanted.push(weight);
      else if (required || files.some((f) => f.startsWith(`${dir}/`))) {
        // Every node sees the same listing: the repository, so the task, is at fault.
        throw new ModelInvalidError(
          ref,
          `${ref} is a diffusers repository ComfyUI cannot load: ${dir}/ has neither ${names.join(" nor ")}`,
        );
      }
    }
    return { format: "diffusers", files: ["model_index.json", ...wanted.sort()] };
  }
  throw new ModelInvalidError(ref, `${ref} holds no .safetensors model`);
}
