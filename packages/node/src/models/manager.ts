import type { ModelRef, TaskArgs } from "@hydrogen/protocol";
import { TaskFaultError, TransientError } from "../task/errors.ts";

/** One model of a task as the engine gets it. */
export interface ModelFile {
  /** As the task named it: a Hugging Face id or an https URL. */
  ref: ModelRef;
  /** The local file (or diffusers folder), once cached; absent for engines that need no weights (synthetic). */
  path?: string;
  /** Its name inside the cache's folder for its kind (`loras/…`), as ComfyUI's loaders take it. */
  name?: string;
  /** A single `.safetensors` file, or a diffusers folder (a base model only). */
  format?: "file" | "diffusers";
}

/** Every model a task uses, resolved to local files. */
export interface PreparedModels {
  base: ModelFile;
  lora?: ModelFile;
  controlnet?: ModelFile;
  vae?: ModelFile;
  textualInversion?: ModelFile;
  refiner?: ModelFile;
}

export interface PrepareOptions {
  signal: AbortSignal;
  deadline: Date;
  /** Called on each failed download attempt that will be retried (for the operator: why the task waits). */
  onRetry?: (error: Error) => void;
}

/**
 * Makes sure a task's models are in the local cache (spec §6.2), downloading what is missing
 * with resume and retries within `deadline`. Throws `ModelInvalidError` when a model is
 * confirmed invalid (the task is at fault) and `ModelUnavailableError` for transient trouble.
 */
export interface ModelManager {
  prepare(args: TaskArgs, options: PrepareOptions): Promise<PreparedModels>;
  /** The engine is done with these models: the cache may evict them again. */
  release?(models: PreparedModels): void;
  close?(): Promise<void>;
}

/**
 * spec §6 "ModelInvalid": a model every node finds invalid alike — the host says it does not
 * exist (404/410, no such repository), a complete binary download that is not safetensors, or
 * models that cannot work together (their safetensors headers say so).
 */
export class ModelInvalidError extends TaskFaultError {
  override readonly name = "ModelInvalidError";
  constructor(
    readonly ref: ModelRef,
    message: string,
    options?: { cause?: unknown },
  ) {
    super("MODEL_INVALID", message, options);
  }
}

/** A download failed for a reason that may pass or that is this node's own (network, 401/403, 429, 5xx, a proxy's page, disk full). */
export class ModelUnavailableError extends TransientError {
  override readonly name = "ModelUnavailableError";
  constructor(
    readonly ref: ModelRef,
    message: string,
    options?: { cause?: unknown },
  ) {
    super("MODEL_UNAVAILABLE", message, options);
  }
}

/** The models a task names, as refs (no files): what engines without weights (synthetic) need. */
export function modelRefs(args: TaskArgs): PreparedModels {
  const models: PreparedModels = { base: { ref: args.base_model } };
  if (args.lora) models.lora = { ref: args.lora.model };
  if (args.controlnet) models.controlnet = { ref: args.controlnet.model };
  if (args.vae) models.vae = { ref: args.vae };
  if (args.textual_inversion) models.textualInversion = { ref: args.textual_inversion };
  if (args.refiner) models.refiner = { ref: args.refiner.model };
  return models;
}

/** For engines that need no weights: resolves refs without downloading anything. */
export class NoDownloadModelManager implements ModelManager {
  async prepare(args: TaskArgs): Promise<PreparedModels> {
    return modelRefs(args);
  }
}
