import type { PREPROCESS_METHODS } from "./schema.ts";

/** A Hugging Face model id (`owner/name`) or an https URL of a `.safetensors` file. */
export type ModelRef = string;

export type PreprocessMethod = (typeof PREPROCESS_METHODS)[number];

/** Task arguments as the application writes them (optional fields may be left out). */
export interface TaskArgsInput {
  base_model: ModelRef;
  prompt: string;
  negative_prompt?: string;
  task_config: {
    image_width?: number;
    image_height?: number;
    steps?: number;
    seed: number;
    num_images?: number;
    safety_checker?: boolean;
    cfg?: number;
  };
  lora?: { model: ModelRef; weight?: number };
  controlnet?: {
    model: ModelRef;
    weight?: number;
    image_dataurl: string;
    preprocess?: { method: PreprocessMethod; args?: Record<string, unknown> };
  };
  textual_inversion?: ModelRef;
  vae?: ModelRef;
  refiner?: { model: ModelRef; denoising_cutoff?: number; steps?: number };
}

/** Validated task arguments with every default applied (what nodes execute). */
export interface TaskArgs extends TaskArgsInput {
  negative_prompt: string;
  task_config: Required<TaskArgsInput["task_config"]>;
  lora?: Required<NonNullable<TaskArgsInput["lora"]>>;
  controlnet?: NonNullable<TaskArgsInput["controlnet"]> & { weight: number };
  refiner?: Required<NonNullable<TaskArgsInput["refiner"]>>;
}
