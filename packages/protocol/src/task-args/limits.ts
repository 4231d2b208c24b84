/**
 * The bounds of spec §9, in one place: every field of the task arguments is bounded so that
 * the largest valid arguments fit `TASK_ARGS_MAX_BYTES`, the size every relay accepts unless
 * its operator publishes a smaller one (`GET /v1/limits`).
 */
const MiB = 1024 * 1024;

export const TASK_ARGS_LIMITS = {
  /** Characters of `prompt` and of `negative_prompt` each (weighting suffixes included). */
  promptChars: 20_000,
  /** Characters of a model reference (a Hugging Face id or an https URL). */
  modelRefChars: 2_048,
  /** Decoded bytes of the ControlNet image. */
  controlImageBytes: 3 * MiB,
  /** Width and height of the ControlNet image, in pixels. */
  controlImageSide: 2_048,
} as const;

/** Characters of a base64 data URL holding `controlImageBytes`. */
export const CONTROL_IMAGE_DATAURL_CHARS =
  "data:image/png;base64,".length + 4 * Math.ceil(TASK_ARGS_LIMITS.controlImageBytes / 3);

/**
 * The largest task-arguments JSON, in UTF-8 bytes, that the schema's bounds allow (the
 * ControlNet image, two prompts of escaped characters, six model URLs, the rest), rounded up.
 * Arguments longer than this are refused before they are parsed.
 */
export const TASK_ARGS_MAX_BYTES = 4.5 * MiB;

/** The UTF-8 size of an arguments string. */
export function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).length;
}
