import type { TaskArgs } from "@hydrogen/protocol";
import type { PreparedModels } from "../../models/manager.ts";
import { PREPROCESSORS } from "./preprocess.ts";
import { toComfyPrompt } from "./prompt.ts";

/** A link to output `index` of node `id`, as ComfyUI's API format writes it. */
type Link = [string, number];
export type InputValue = string | number | boolean | Link;
export interface GraphNode {
  class_type: string;
  inputs: Record<string, InputValue>;
}
/** ComfyUI's API-format workflow: node id → node. */
export type Workflow = Record<string, GraphNode>;

/** Fixed so every honest node samples the same way (spec §9: determinism). */
export const SAMPLER = { sampler_name: "euler", scheduler: "normal" } as const;
/** SaveImage's folder under ComfyUI's output directory. */
export const OUTPUT_PREFIX = "hydrogen";

export interface WorkflowOptions {
  taskId: bigint;
  /** The ControlNet image's name after `/upload/image`. */
  controlImage?: string;
}

/**
 * The ComfyUI workflow of a task (spec §9 → ComfyUI nodes): a checkpoint or diffusers base,
 * LoRA, VAE, textual inversion (an `embedding:` reference appended to the prompt), ControlNet
 * with optional preprocessing, and an SDXL refiner taking over at the denoising cutoff. Pure:
 * the same task always gives the same graph, so honest nodes run the same computation.
 */
export function buildWorkflow(
  args: TaskArgs,
  models: PreparedModels,
  options: WorkflowOptions,
): { workflow: Workflow; output: string } {
  const graph: Workflow = {};
  let next = 1;
  const add = (class_type: string, inputs: Record<string, InputValue>): string => {
    const id = String(next++);
    graph[id] = { class_type, inputs };
    return id;
  };
  const config = args.task_config;

  const base =
    models.base.format === "diffusers"
      ? add("DiffusersLoader", { model_path: nameOf(models.base) })
      : add("CheckpointLoaderSimple", { ckpt_name: nameOf(models.base) });
  let model: Link = [base, 0];
  let clip: Link = [base, 1];
  let vae: Link = [base, 2];

  if (args.lora && models.lora) {
    const strength = args.lora.weight / 100;
    const lora = add("LoraLoader", {
      model,
      clip,
      lora_name: nameOf(models.lora),
      strength_model: strength,
      strength_clip: strength,
    });
    model = [lora, 0];
    clip = [lora, 1];
  }
  if (models.vae) vae = [add("VAELoader", { vae_name: nameOf(models.vae) }), 0];

  const embedding = models.textualInversion ? `, embedding:${nameOf(models.textualInversion)}` : "";
  const text = (value: string, encoder: Link) => add("CLIPTextEncode", { text: value, clip: encoder });
  let positive: Link = [text(`${toComfyPrompt(args.prompt)}${embedding}`, clip), 0];
  let negative: Link = [text(toComfyPrompt(args.negative_prompt ?? ""), clip), 0];

  if (args.controlnet && models.controlnet) {
    if (!options.controlImage) throw new Error("a ControlNet task needs its uploaded image");
    let image: Link = [add("LoadImage", { image: options.controlImage }), 0];
    const preprocess = args.controlnet.preprocess;
    if (preprocess) {
      const spec = PREPROCESSORS[preprocess.method];
      const resolution = Math.min(config.image_width, config.image_height);
      image = [
        add(spec.node, {
          image,
          resolution,
          ...spec.inputs,
          ...(spec.seeded ? { seed: config.seed + 1 } : {}),
          ...(preprocess.args as Record<string, InputValue>),
        }),
        0,
      ];
    }
    const controlNet = add("ControlNetLoader", { control_net_name: nameOf(models.controlnet) });
    const applied = add("ControlNetApplyAdvanced", {
      positive,
      negative,
      control_net: [controlNet, 0],
      image,
      strength: args.controlnet.weight / 100,
      start_percent: 0,
      end_percent: 1,
    });
    positive = [applied, 0];
    negative = [applied, 1];
  }

  const latent: Link = [
    add("EmptyLatentImage", { width: config.image_width, height: config.image_height, batch_size: config.num_images }),
    0,
  ];
  let samples: Link;
  if (args.refiner && models.refiner) {
    // The base denoises up to the cutoff and hands its leftover noise to the refiner.
    const baseEnd = Math.round((config.steps * args.refiner.denoising_cutoff) / 100);
    const handOff = add("KSamplerAdvanced", {
      model,
      add_noise: "enable",
      noise_seed: config.seed,
      steps: config.steps,
      cfg: config.cfg,
      ...SAMPLER,
      positive,
      negative,
      latent_image: latent,
      start_at_step: 0,
      end_at_step: baseEnd,
      return_with_leftover_noise: "enable",
    });
    const refinerSteps = args.refiner.steps ?? config.steps;
    const refiner = add("CheckpointLoaderSimple", { ckpt_name: nameOf(models.refiner) });
    const refinerClip: Link = [refiner, 1];
    const refined = add("KSamplerAdvanced", {
      model: [refiner, 0],
      add_noise: "disable",
      noise_seed: config.seed,
      steps: refinerSteps,
      cfg: config.cfg,
      ...SAMPLER,
      positive: [text(toComfyPrompt(args.prompt), refinerClip), 0],
      negative: [text(toComfyPrompt(args.negative_prompt ?? ""), refinerClip), 0],
      latent_image: [handOff, 0],
      start_at_step: Math.round((refinerSteps * args.refiner.denoising_cutoff) / 100),
      end_at_step: 10000,
      return_with_leftover_noise: "disable",
    });
    samples = [refined, 0];
  } else {
    samples = [
      add("KSampler", {
        model,
        seed: config.seed,
        steps: config.steps,
        cfg: config.cfg,
        ...SAMPLER,
        positive,
        negative,
        latent_image: latent,
        denoise: 1,
      }),
      0,
    ];
  }
  const decoded = add("VAEDecode", { samples, vae });
  const output = add("SaveImage", { images: [decoded, 0], filename_prefix: `${OUTPUT_PREFIX}/task-${options.taskId}` });
  return { workflow: graph, output };
}

function nameOf(file: { name?: string; ref: string }): string {
  if (!file.name) throw new Error(`model ${file.ref} is not in the cache`);
  return file.name;
}
