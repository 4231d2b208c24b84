import { posix } from "node:path";
import type { ModelRef } from "@hydrogen/protocol";
import { type Dispatcher, fetch } from "undici";
import { statusError } from "./download.ts";
import { ModelInvalidError, ModelUnavailableError } from "./manager.ts";

/** What to fetch from a repository: one `.safetensors` file, or a diffusers folder's files. */
export type RepoPlan = { format: "file"; file: string } | { format: "diffusers"; files: string[] };

/** The diffusers components a Stable Diffusion pipeline loads (ComfyUI's DiffusersLoader reads these). */
const DIFFUSERS_DIRS = ["unet", "vae", "text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2", "scheduler"];
/** Weight variants that a plain file supersedes. */
const VARIANT = /\.(fp16|non_ema|ema|bf16)\.safetensors$/;
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
    const wanted = files.filter((f) => {
      const dir = posix.dirname(f);
      if (!DIFFUSERS_DIRS.includes(dir)) return false;
      if (f.endsWith(".safetensors")) return !VARIANT.test(f) || !files.includes(f.replace(VARIANT, ".safetensors"));
      return /\.(json|txt|model)$/.test(f);
    });
    if (!wanted.some((f) => f.startsWith("unet/") && f.endsWith(".safetensors"))) {
      throw new ModelInvalidError(ref, `${ref} is a diffusers repository without safetensors UNet weights`);
    }
    return { format: "diffusers", files: ["model_index.json", ...wanted.sort()] };
  }
  throw new ModelInvalidError(ref, `${ref} holds no .safetensors model`);
}
