import { randomUUID } from "node:crypto";
import { sleep } from "@hydrogen/protocol";
import type { Logger } from "pino";
import { type Engine, type EngineRequest, EngineUnavailableError } from "../engine.ts";
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
 * Runs tasks on a ComfyUI server (spec §10), whose models the cache has checked: uploads the
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

  /**
   * ComfyUI only warns about an `embedding:` it cannot find and renders without it: this node
   * would then disagree with the others. A missing embedding is this node's setup (its
   * `extra_model_paths.yaml` lacks the cache's embeddings folder), so the task is not run.
   */
  private async requireEmbedding(file: string): Promise<void> {
    const name = file.replace(/\.(safetensors|pt|pth|bin|ckpt)$/i, "");
    const known = await this.client.embeddings();
    if (!known.includes(name) && !known.includes(file)) {
      throw new EngineUnavailableError(
        `ComfyUI does not see the embedding ${file} (GET /embeddings): add the model cache's embeddings folder to its extra_model_paths.yaml`,
      );
    }
  }

  async run(request: EngineRequest): Promise<Uint8Array[]> {
    const { args, models, signal, taskId } = request;
    const controlImage = args.controlnet
      ? await this.client.uploadImage(`hydrogen-task-${taskId}.png`, decodeDataUrl(args.controlnet.image_dataurl))
      : undefined;
    if (models.textualInversion?.name) await this.requireEmbedding(models.textualInversion.name);
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
        await sleep(this.options.pollIntervalMs, signal);
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }
}

function decodeDataUrl(dataUrl: string): Uint8Array {
  const match = /^data:image\/png;base64,(.*)$/s.exec(dataUrl);
  // The schema has checked it; failing here is this node's trouble.
  if (!match) throw new EngineUnavailableError("controlnet.image_dataurl is not a PNG data URL");
  return Buffer.from(match[1] as string, "base64");
}
