import {
  embeddingWidths,
  familyOfShapes,
  latentChannels,
  type ModelFamily,
  shapesOfModel,
  TEXT_WIDTHS,
  type TensorShapes,
} from "./family.ts";
import { type ModelFile, ModelInvalidError, type PreparedModels } from "./manager.ts";

/** What a model's header says about it, as far as the compatibility rules need. */
export interface ModelFacts {
  file: ModelFile;
  shapes: TensorShapes | undefined;
}

const LABELS: Record<ModelFamily, string> = {
  sd1: "SD 1.x",
  sd2: "SD 2.x",
  sdxl: "SDXL",
  "sdxl-refiner": "the SDXL refiner",
  unknown: "of an unknown family",
};

/** Models that cannot work together (spec §6): the task is at fault, every node reads the same headers. */
export class ModelsIncompatibleError extends ModelInvalidError {
  override readonly code = "MODELS_INCOMPATIBLE";
}

/**
 * Checks, before any engine runs, that a task's models belong together, from their safetensors
 * headers and by ComfyUI's own detection rules: a LoRA or ControlNet of the base's family, a
 * refiner only on an SDXL base and itself SDXL, a VAE with the 4 latent channels every SD
 * family uses, a textual inversion as wide as one of the base's text encoders. A model whose
 * family the rules cannot tell passes: the task runs.
 */
export async function checkCompatible(models: PreparedModels): Promise<void> {
  const facts = async (file: ModelFile | undefined) => (file ? { file, shapes: await shapesOfModel(file) } : undefined);
  const [base, lora, controlnet, refiner, vae, embedding] = await Promise.all(
    [models.base, models.lora, models.controlnet, models.refiner, models.vae, models.textualInversion].map(facts),
  );
  const problem = compatibilityProblem({
    base: base as ModelFacts,
    lora,
    controlnet,
    refiner,
    vae,
    embedding,
  });
  if (problem) throw new ModelsIncompatibleError(problem.ref, problem.message);
}

/** The rules themselves, on headers already read: the first problem, or undefined. */
export function compatibilityProblem(models: {
  base: ModelFacts;
  lora?: ModelFacts;
  controlnet?: ModelFacts;
  refiner?: ModelFacts;
  vae?: ModelFacts;
  embedding?: ModelFacts;
}): { ref: string; message: string } | undefined {
  const family = (m: ModelFacts | undefined) => (m?.shapes ? familyOfShapes(m.shapes) : "unknown");
  const base = family(models.base);
  const baseRef = models.base.file.ref;
  for (const role of ["lora", "controlnet"] as const) {
    const model = models[role];
    const own = family(model);
    if (model && base !== "unknown" && own !== "unknown" && own !== base) {
      const what = role === "lora" ? "LoRA" : "ControlNet";
      return {
        ref: model.file.ref,
        message: `the ${what} ${model.file.ref} is ${LABELS[own]}, the base model ${baseRef} is ${LABELS[base]}`,
      };
    }
  }
  if (models.refiner) {
    if (base !== "unknown" && base !== "sdxl") {
      return { ref: baseRef, message: `a refiner needs an SDXL base model; ${baseRef} is ${LABELS[base]}` };
    }
    const own = family(models.refiner);
    if (own !== "unknown" && own !== "sdxl" && own !== "sdxl-refiner") {
      const ref = models.refiner.file.ref;
      return { ref, message: `the refiner ${ref} is ${LABELS[own]}, not an SDXL model` };
    }
  }
  const channels = models.vae?.shapes ? latentChannels(models.vae.shapes) : undefined;
  if (models.vae && channels !== undefined && channels !== 4) {
    const ref = models.vae.file.ref;
    return {
      ref,
      message: `the VAE ${ref} decodes ${channels} latent channels; Stable Diffusion 1.x, 2.x and SDXL use 4`,
    };
  }
  const widths = models.embedding?.shapes ? embeddingWidths(models.embedding.shapes) : [];
  if (models.embedding && base !== "unknown" && widths.length > 0) {
    const wanted = TEXT_WIDTHS[base];
    if (!widths.some((w) => wanted.includes(w))) {
      const ref = models.embedding.file.ref;
      return {
        ref,
        message: `the textual inversion ${ref} has ${widths.join("/")}-wide vectors; ${baseRef} (${LABELS[base]}) needs ${wanted.join(" or ")}`,
      };
    }
  }
  return undefined;
}
