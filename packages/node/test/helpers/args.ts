/** Task arguments (the exact JSON string) for the synthetic engine: small images, fast. */
export function taskArgs(options: { images?: number; seed?: number; size?: number; extra?: object } = {}): string {
  const size = options.size ?? 128;
  return JSON.stringify({
    base_model: "org/model",
    prompt: "a lighthouse at dawn",
    task_config: { seed: options.seed ?? 1, num_images: options.images ?? 2, image_width: size, image_height: size },
    ...options.extra,
  });
}
