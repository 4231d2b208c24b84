import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { familyOf, type ModelFamily } from "../../models/family.ts";
import type { PreparedModels } from "../../models/manager.ts";
import { type Engine, EngineRejectedError, type EngineRequest, EngineUnavailableError } from "../engine.ts";
import { ComfyClient, ComfyPromptError } from "./client.ts";
import { fromExecutionError, fromPromptError } from "./errors.ts";
import { buildWorkflow } from "./workflow.ts";

export interface ComfyUIOptions {
  /** e.g. `http://127.0.0.1:8188` */
  url: string;
  /** How often the engine asks ComfyUI whether the workflow is done. */
  pollIntervalMs: number;
}

/**
 * Runs tasks on a ComfyUI server (SPEC §10): checks the models belong together, uploads the
 * ControlNet image, queues the task's workflow, follows it to the end, downloads the PNGs in
 * order; on abort it interrupts ComfyUI and removes the workflow from its queue.
 */
export class ComfyUIEngine implements Engine {
  readonly name = "comfyui";
  readonly client: ComfyClient;
  private readonly clientId = randomUUID();

  constructor(
    private readonly options: ComfyUIOptions,
    private readonly deps: { log: Logger },
  ) {
    this.client = new ComfyClient(options.url);
  }

  async run(request: EngineRequest): Promise<Uint8Array[]> {
    const { args, models, signal, taskId } = request;
    await checkCompatible(models, Boolean(args.refiner));
    const controlImage = args.controlnet
      ? await this.client.uploadImage(`hydrogen-task-${taskId}.png`, decodeDataUrl(args.controlnet.image_dataurl))
      : undefined;
    const { workflow, output } = buildWorkflow(args, models, { taskId, controlImage });
    let promptId: string;
    try {
      promptId = await this.client.queue(workflow, this.clientId);
    } catch (error) {
      throw error instanceof ComfyPromptError ? fromPromptError(error) : error;
    }
    const log = this.deps.log.child({ taskId: taskId.toString(), promptId });
    log.info({ nodes: Object.keys(workflow).length }, "workflow queued in ComfyUI");
    const onAbort = () => {
      log.info("task aborted: cancelling the ComfyUI workflow");
      void this.client.cancel(promptId);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      for (;;) {
        signal.throwIfAborted();
        const entry = await this.client.history(promptId);
        if (entry?.status?.status_str === "error") throw fromExecutionError(entry);
        if (entry?.status?.completed) {
          const images = entry.outputs?.[output]?.images ?? [];
          if (images.length !== args.task_config.num_images) {
            throw new EngineUnavailableError(`ComfyUI saved ${images.length} of ${args.task_config.num_images} images`);
          }
          return await Promise.all(images.map((image) => this.client.image(image)));
        }
        await new Promise((resolve) => setTimeout(resolve, this.options.pollIntervalMs));
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }
}

/**
 * LoRAs, ControlNets, VAEs and refiners must fit the base model's family; a mismatch is the
 * task's fault (SPEC §6), e.g. an SDXL LoRA on an SD 1.5 base. The refiner is SDXL only.
 */
export async function checkCompatible(models: PreparedModels, hasRefiner: boolean): Promise<void> {
  const base = await familyOf(models.base);
  const mismatch = async (role: string, file: PreparedModels["lora"]) => {
    if (!file) return;
    const family = await familyOf(file);
    if (base !== "unknown" && family !== "unknown" && family !== base) {
      throw new EngineRejectedError(
        `the ${role} ${file.ref} is ${label(family)}, the base model ${models.base.ref} is ${label(base)}`,
      );
    }
  };
  await mismatch("LoRA", models.lora);
  await mismatch("ControlNet", models.controlnet);
  if (hasRefiner && base !== "sdxl" && base !== "unknown") {
    throw new EngineRejectedError(`a refiner needs an SDXL base model; ${models.base.ref} is ${label(base)}`);
  }
  await mismatch("refiner", models.refiner);
}

function label(family: ModelFamily): string {
  return { sd1: "SD 1.x", sd2: "SD 2.x", sdxl: "SDXL", unknown: "of an unknown family" }[family];
}

function decodeDataUrl(dataUrl: string): Uint8Array {
  const match = /^data:image\/png;base64,(.*)$/s.exec(dataUrl);
  if (!match) throw new EngineRejectedError("controlnet.image_dataurl is not a PNG data URL");
  return Buffer.from(match[1] as string, "base64");
}
