import type { TaskArgsInput, TaskArgsViolation } from "@hydrogen/sdk";

/** Every task argument (spec §9) as the form holds it: text as typed, so the schema names a bad field. */
export interface FormState {
  prompt: string;
  negativePrompt: string;
  model: string;
  width: string;
  height: string;
  seed: string;
  numImages: string;
  steps: string;
  cfg: string;
  safetyChecker: boolean;
  loraModel: string;
  loraWeight: string;
  controlnetModel: string;
  controlnetWeight: string;
  /** A PNG data URL, from the file picker. */
  controlnetImage: string;
  preprocessMethod: string;
  /** `preprocess.args` as JSON text (the method's own keys). */
  preprocessArgs: string;
  vae: string;
  textualInversion: string;
  refinerModel: string;
  refinerCutoff: string;
  refinerSteps: string;
}

export type FormField = keyof FormState;

const randomSeed = () => String(Math.floor(Math.random() * 1_000_000));

/** The schema's defaults; optional parts (LoRA, ControlNet, VAE, embedding, refiner) empty. */
export function initialForm(): FormState {
  return {
    prompt: "",
    negativePrompt: "",
    model: "stable-diffusion-v1-5/stable-diffusion-v1-5",
    width: "512",
    height: "512",
    seed: randomSeed(),
    numImages: "1",
    steps: "25",
    cfg: "5",
    safetyChecker: true,
    loraModel: "",
    loraWeight: "100",
    controlnetModel: "",
    controlnetWeight: "100",
    controlnetImage: "",
    preprocessMethod: "",
    preprocessArgs: "",
    vae: "",
    textualInversion: "",
    refinerModel: "",
    refinerCutoff: "80",
    refinerSteps: "20",
  };
}

/** Numbers stay as typed when they are not numbers, so the schema names the field. */
function numeric(value: string): number | string {
  return value.trim() !== "" && Number.isFinite(Number(value)) ? Number(value) : value;
}

/** `preprocess.args` from its JSON text; text that is not a JSON object is passed on for the schema to refuse. */
function preprocessArgs(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The task arguments the form describes; a part whose model is empty is left out. */
export function taskArgs(form: FormState): TaskArgsInput {
  const args: Record<string, unknown> = {
    base_model: form.model.trim(),
    prompt: form.prompt,
    ...(form.negativePrompt ? { negative_prompt: form.negativePrompt } : {}),
    task_config: {
      image_width: numeric(form.width),
      image_height: numeric(form.height),
      seed: numeric(form.seed),
      num_images: numeric(form.numImages),
      steps: numeric(form.steps),
      cfg: numeric(form.cfg),
      safety_checker: form.safetyChecker,
    },
  };
  if (form.loraModel.trim()) args.lora = { model: form.loraModel.trim(), weight: numeric(form.loraWeight) };
  if (form.controlnetModel.trim() || form.controlnetImage) {
    args.controlnet = {
      model: form.controlnetModel.trim(),
      weight: numeric(form.controlnetWeight),
      image_dataurl: form.controlnetImage,
      ...(form.preprocessMethod
        ? {
            preprocess: {
              method: form.preprocessMethod,
              ...(form.preprocessArgs.trim() ? { args: preprocessArgs(form.preprocessArgs) } : {}),
            },
          }
        : {}),
    };
  }
  if (form.vae.trim()) args.vae = form.vae.trim();
  if (form.textualInversion.trim()) args.textual_inversion = form.textualInversion.trim();
  if (form.refinerModel.trim()) {
    args.refiner = {
      model: form.refinerModel.trim(),
      denoising_cutoff: numeric(form.refinerCutoff),
      steps: numeric(form.refinerSteps),
    };
  }
  return args as unknown as TaskArgsInput;
}

const text = (value: unknown, fallback: string) => (value === undefined ? fallback : String(value));

/** The form filled from a past task's arguments ("remix"), with a new seed only if asked. */
export function formFromArgs(args: TaskArgsInput): FormState {
  const base = initialForm();
  const c = args.task_config;
  return {
    ...base,
    prompt: args.prompt,
    negativePrompt: args.negative_prompt ?? "",
    model: args.base_model,
    width: text(c.image_width, base.width),
    height: text(c.image_height, base.height),
    seed: String(c.seed),
    numImages: text(c.num_images, base.numImages),
    steps: text(c.steps, base.steps),
    cfg: text(c.cfg, base.cfg),
    safetyChecker: c.safety_checker ?? true,
    loraModel: args.lora?.model ?? "",
    loraWeight: text(args.lora?.weight, base.loraWeight),
    controlnetModel: args.controlnet?.model ?? "",
    controlnetWeight: text(args.controlnet?.weight, base.controlnetWeight),
    controlnetImage: args.controlnet?.image_dataurl ?? "",
    preprocessMethod: args.controlnet?.preprocess?.method ?? "",
    preprocessArgs: args.controlnet?.preprocess?.args ? JSON.stringify(args.controlnet.preprocess.args) : "",
    vae: args.vae ?? "",
    textualInversion: args.textual_inversion ?? "",
    refinerModel: args.refiner?.model ?? "",
    refinerCutoff: text(args.refiner?.denoising_cutoff, base.refinerCutoff),
    refinerSteps: text(args.refiner?.steps, base.refinerSteps),
  };
}

/** Where each argument's errors are shown: the schema's path (its first segments) → the form's field. */
const FIELD_OF_PATH: [prefix: string, field: FormField][] = [
  ["base_model", "model"],
  ["prompt", "prompt"],
  ["negative_prompt", "negativePrompt"],
  ["task_config.image_width", "width"],
  ["task_config.image_height", "height"],
  ["task_config.seed", "seed"],
  ["task_config.num_images", "numImages"],
  ["task_config.steps", "steps"],
  ["task_config.cfg", "cfg"],
  ["task_config.safety_checker", "safetyChecker"],
  ["lora.weight", "loraWeight"],
  ["lora", "loraModel"],
  ["controlnet.weight", "controlnetWeight"],
  ["controlnet.image_dataurl", "controlnetImage"],
  ["controlnet.preprocess.args", "preprocessArgs"],
  ["controlnet.preprocess", "preprocessMethod"],
  ["controlnet", "controlnetModel"],
  ["vae", "vae"],
  ["textual_inversion", "textualInversion"],
  ["refiner.denoising_cutoff", "refinerCutoff"],
  ["refiner.steps", "refinerSteps"],
  ["refiner", "refinerModel"],
];

/** The schema's violations by form field; those no field shows (the root) under `form`. */
export function fieldErrors(violations: TaskArgsViolation[]): Partial<Record<FormField | "form", string[]>> {
  const errors: Partial<Record<FormField | "form", string[]>> = {};
  for (const violation of violations) {
    const match = FIELD_OF_PATH.find(
      ([prefix]) => violation.path === prefix || violation.path.startsWith(`${prefix}.`),
    );
    const key = match?.[1] ?? "form";
    errors[key] = [...(errors[key] ?? []), `${violation.path || "arguments"}: ${violation.message}`];
  }
  return errors;
}

/** Starting points that pass the schema as they are; each keeps the prompt typed so far. */
export const PRESETS: { name: string; apply(form: FormState): FormState }[] = [
  {
    name: "SD 1.5, quick draft",
    apply: (form) => ({
      ...form,
      model: "stable-diffusion-v1-5/stable-diffusion-v1-5",
      width: "512",
      height: "512",
      steps: "20",
      cfg: "7",
      numImages: "1",
      refinerModel: "",
    }),
  },
  {
    name: "SDXL with refiner",
    apply: (form) => ({
      ...form,
      model: "stabilityai/stable-diffusion-xl-base-1.0",
      width: "1024",
      height: "1024",
      steps: "30",
      cfg: "6",
      refinerModel: "stabilityai/stable-diffusion-xl-refiner-1.0",
      refinerCutoff: "80",
      refinerSteps: "30",
      vae: "",
      loraModel: "",
    }),
  },
  {
    name: "SD 1.5 portrait, detailed",
    apply: (form) => ({
      ...form,
      model: "stable-diffusion-v1-5/stable-diffusion-v1-5",
      width: "512",
      height: "768",
      steps: "40",
      cfg: "7.5",
      refinerModel: "",
      negativePrompt: form.negativePrompt || "blurry, lowres, deformed",
    }),
  },
];
