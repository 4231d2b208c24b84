/**
 * JSON Schema (draft 2020-12) of the Stable Diffusion task arguments, spec §9. The defaults
 * written here are the only place defaults live: `parseTaskArgs` applies them.
 */

import { CONTROL_IMAGE_DATAURL_CHARS, TASK_ARGS_LIMITS } from "./limits.ts";

/** A Hugging Face model id (`owner/name`) or an https URL of a `.safetensors` file. */
const modelRef = {
  type: "string",
  maxLength: TASK_ARGS_LIMITS.modelRefChars,
  anyOf: [
    { pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$" },
    { pattern: "^https://[^\\s/?#]+/[^\\s?#]*\\.safetensors(\\?[^\\s#]*)?$" },
  ],
  description: "A Hugging Face model id (owner/name) or an https URL of a .safetensors file",
} as const;

const percent = { type: "integer", minimum: 1, maximum: 100 } as const;

export const PREPROCESS_METHODS = [
  "canny",
  "scribble_hed",
  "scribble_hedsafe",
  "softedge_hed",
  "softedge_hedsafe",
  "depth_midas",
  "mlsd",
  "openpose",
  "openpose_face",
  "openpose_faceonly",
  "openpose_full",
  "openpose_hand",
  "dwpose",
  "scribble_pidinet",
  "softedge_pidinet",
  "scribble_pidisafe",
  "softedge_pidisafe",
  "normal_bae",
  "lineart_coarse",
  "lineart_realistic",
  "lineart_anime",
  "depth_zoe",
  "depth_leres",
  "depth_leres++",
  "shuffle",
  "mediapipe_face",
] as const;

const integer = (minimum: number, maximum: number) => ({ type: "integer", minimum, maximum }) as const;
const number = (minimum: number, maximum: number) => ({ type: "number", minimum, maximum }) as const;

/**
 * The arguments each preprocessing method takes (the tunable inputs of its ComfyUI node, with
 * their ranges); a method not listed takes none. What a method enables (hands, faces, "safe")
 * is the method's name, not an argument.
 */
export const PREPROCESS_ARGS: Partial<Record<(typeof PREPROCESS_METHODS)[number], Record<string, object>>> = {
  canny: { low_threshold: integer(1, 255), high_threshold: integer(1, 255) },
  depth_midas: { a: number(0, 15.7), bg_threshold: number(0, 1) },
  mlsd: { score_threshold: number(0.01, 2), dist_threshold: number(0.01, 20) },
  depth_leres: { rm_nearest: number(0, 100), rm_background: number(0, 100) },
  "depth_leres++": { rm_nearest: number(0, 100), rm_background: number(0, 100) },
  mediapipe_face: { max_faces: integer(1, 50), min_confidence: number(0.01, 1) },
};

/** `preprocess.args` per method: only its own keys, each within its range. */
const preprocessArgsRules = PREPROCESS_METHODS.map((method) => ({
  if: { properties: { method: { const: method } }, required: ["method"] },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, never awaited.
  then: {
    properties: {
      args: {
        type: "object",
        additionalProperties: false,
        properties: PREPROCESS_ARGS[method] ?? {},
      },
    },
  },
}));

const imageSide = { type: "integer", minimum: 128, maximum: 2048, multipleOf: 8, default: 512 } as const;

export const taskArgsSchema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "https://hydrogen.network/schemas/task-args.json",
  title: "Hydrogen Stable Diffusion task arguments",
  type: "object",
  additionalProperties: false,
  required: ["base_model", "prompt", "task_config"],
  properties: {
    base_model: modelRef,
    prompt: {
      type: "string",
      minLength: 1,
      maxLength: TASK_ARGS_LIMITS.promptChars,
      pattern: "\\S",
      description: "Non-empty; +/- weighting suffixes allowed",
    },
    negative_prompt: { type: "string", maxLength: TASK_ARGS_LIMITS.promptChars, default: "" },
    task_config: {
      type: "object",
      additionalProperties: false,
      required: ["seed"],
      properties: {
        image_width: imageSide,
        image_height: imageSide,
        steps: { type: "integer", minimum: 1, maximum: 100, default: 25 },
        seed: { type: "integer", minimum: 0, maximum: 2147483647 },
        num_images: { type: "integer", minimum: 1, maximum: 10, default: 6 },
        safety_checker: { type: "boolean", default: true },
        cfg: { type: "number", minimum: 1, maximum: 20, default: 5 },
      },
    },
    lora: {
      type: "object",
      additionalProperties: false,
      required: ["model"],
      properties: { model: modelRef, weight: { ...percent, default: 100 } },
    },
    controlnet: {
      type: "object",
      additionalProperties: false,
      required: ["model", "image_dataurl"],
      properties: {
        model: modelRef,
        weight: { ...percent, default: 100 },
        image_dataurl: {
          type: "string",
          maxLength: CONTROL_IMAGE_DATAURL_CHARS,
          pattern: "^data:image/png;base64,[A-Za-z0-9+/]+={0,2}$",
          description: `A PNG of at most ${TASK_ARGS_LIMITS.controlImageBytes} bytes and ${TASK_ARGS_LIMITS.controlImageSide}×${TASK_ARGS_LIMITS.controlImageSide} pixels`,
        },
        preprocess: {
          type: "object",
          additionalProperties: false,
          required: ["method"],
          properties: {
            method: { enum: PREPROCESS_METHODS },
            args: { type: "object" },
          },
          allOf: preprocessArgsRules,
        },
      },
    },
    textual_inversion: modelRef,
    vae: modelRef,
    refiner: {
      type: "object",
      additionalProperties: false,
      required: ["model"],
      description: "SDXL only",
      properties: {
        model: modelRef,
        denoising_cutoff: { ...percent, default: 80 },
        steps: { type: "integer", minimum: 1, maximum: 100, default: 20 },
      },
    },
  },
} as const;
