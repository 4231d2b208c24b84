import type { TaskArgs } from "@hydrogen/protocol";
import type { PreparedModels } from "../models/manager.ts";
import { TaskFaultError, TransientError } from "../task/errors.ts";

/** What an engine is asked to run (spec §10): the validated arguments and the local model files. */
export interface EngineRequest {
  taskId: bigint;
  args: TaskArgs;
  models: PreparedModels;
  /** Aborted when the task ends on chain or the node shuts down. */
  signal: AbortSignal;
}

/**
 * Runs a Stable Diffusion task: arguments and model paths in, `num_images` PNGs out, in order.
 * Throws `EngineRejectedError` when the task is certainly broken (it is reported on chain) and
 * `EngineUnavailableError` (or anything else) for the engine's own trouble (retried).
 */
export interface Engine {
  readonly name: string;
  run(request: EngineRequest): Promise<Uint8Array[]>;
  close?(): Promise<void>;
}

/** The engine refuses the combination of arguments and models (e.g. an SDXL LoRA on an SD 1.5 base). */
export class EngineRejectedError extends TaskFaultError {
  override readonly name = "EngineRejectedError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("ENGINE_REJECTED", message, options);
  }
}

/** The engine is down, crashed or out of memory: the node's trouble, retried. */
export class EngineUnavailableError extends TransientError {
  override readonly name = "EngineUnavailableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("ENGINE_UNAVAILABLE", message, options);
  }
}
