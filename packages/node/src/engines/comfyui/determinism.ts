/**
 * What still varies between honest nodes running the same workflow, read from the flags
 * ComfyUI was started with (`/system_stats` `system.argv`; the names of comfy/cli_args.py).
 * `--deterministic` only turns on torch's deterministic algorithms with warn_only; the
 * precision ComfyUI picks per GPU and free VRAM, the attention backend and `--fast` change the
 * images, so an operator pins them (docs/node.md, "Determinism").
 */
const PRECISION = {
  unet: ["--fp32-unet", "--fp64-unet", "--bf16-unet", "--fp16-unet", "--fp8_e4m3fn-unet", "--fp8_e5m2-unet"],
  vae: ["--fp32-vae", "--fp16-vae", "--bf16-vae", "--cpu-vae"],
  "text encoder": [
    "--fp32-text-enc",
    "--fp16-text-enc",
    "--bf16-text-enc",
    "--fp8_e4m3fn-text-enc",
    "--fp8_e5m2-text-enc",
  ],
} as const;

const ATTENTION = [
  "--use-split-cross-attention",
  "--use-quad-cross-attention",
  "--use-pytorch-cross-attention",
  "--use-sage-attention",
  "--use-flash-attention",
];

/** One warning per setting the flags leave to ComfyUI's choice (empty: everything pinned). */
export function determinismWarnings(argv: readonly string[]): string[] {
  const has = (flag: string) => argv.includes(flag);
  const warnings: string[] = [];
  // --force-fp32 pins every model's precision at once.
  if (!has("--force-fp32")) {
    for (const [part, flags] of Object.entries(PRECISION)) {
      if (!flags.some(has)) {
        warnings.push(
          `${part} precision is not pinned (ComfyUI picks it per GPU and free VRAM): start with --force-fp32, or e.g. ${flags[0]}`,
        );
      }
    }
  }
  if (!ATTENTION.some(has)) {
    warnings.push(
      "the attention backend is not pinned (xformers when installed, else PyTorch's or split): e.g. --use-pytorch-cross-attention",
    );
  }
  if (argv.some((flag) => flag === "--fast" || flag.startsWith("--fast="))) {
    warnings.push("--fast trades exactness for speed (fp8 and fp16 accumulation that differ by GPU): remove it");
  }
  if (!has("--deterministic")) {
    warnings.push("--deterministic is not set: torch may pick non-deterministic kernels from run to run");
  }
  return warnings;
}
