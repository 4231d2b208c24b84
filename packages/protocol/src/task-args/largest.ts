import { CONTROL_IMAGE_DATAURL_CHARS, TASK_ARGS_LIMITS } from "./limits.ts";
import type { TaskArgsInput } from "./types.ts";

/**
 * The largest task arguments the schema accepts, serialised as applications do (`JSON.stringify`):
 * every string at its bound and made of the characters that cost most once escaped, the
 * ControlNet image at its byte limit. Tests check that it fits `TASK_ARGS_MAX_BYTES` and that
 * a relay takes it.
 */
export function largestTaskArgs(): string {
  const prompt = `${"\u0001".repeat(TASK_ARGS_LIMITS.promptChars - 1)}x`;
  const url = (n: number) => {
    const head = `https://example.com/${n}/`;
    const tail = ".safetensors";
    return `${head}${'"'.repeat(TASK_ARGS_LIMITS.modelRefChars - head.length - tail.length)}${tail}`;
  };
  const args: TaskArgsInput = {
    base_model: url(0),
    prompt,
    negative_prompt: prompt,
    task_config: {
      image_width: 2048,
      image_height: 2048,
      steps: 100,
      seed: 2147483647,
      num_images: 10,
      safety_checker: false,
      cfg: 19.999999999999996,
    },
    lora: { model: url(1), weight: 100 },
    controlnet: {
      model: url(2),
      weight: 100,
      image_dataurl: largestControlImage(),
      preprocess: { method: "mediapipe_face", args: { max_faces: 50, min_confidence: 0.010000000000000009 } },
    },
    textual_inversion: url(3),
    vae: url(4),
    refiner: { model: url(5), denoising_cutoff: 100, steps: 100 },
  };
  return JSON.stringify(args);
}

/** A data URL at the size limit: a 2048×2048 PNG signature and header, then filler. */
function largestControlImage(): string {
  const bytes = new Uint8Array(TASK_ARGS_LIMITS.controlImageBytes);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const view = new DataView(bytes.buffer);
  view.setUint32(16, TASK_ARGS_LIMITS.controlImageSide);
  view.setUint32(20, TASK_ARGS_LIMITS.controlImageSide);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  const url = `data:image/png;base64,${btoa(binary)}`;
  if (url.length > CONTROL_IMAGE_DATAURL_CHARS) throw new Error("the largest control image overflows its bound");
  return url;
}
