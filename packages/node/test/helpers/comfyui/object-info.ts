/**
 * Node definitions in ComfyUI's `/object_info` format for the nodes the engine uses: core
 * ComfyUI (nodes.py) and the comfyui_controlnet_aux preprocessors. Inputs are
 * `[TYPE, options]` or `[[choices…]]`, as ComfyUI serves them; model lists come from the
 * folders, as ComfyUI reads its model directories.
 */
export interface Folders {
  checkpoints: string[];
  loras: string[];
  controlnet: string[];
  vae: string[];
  diffusers: string[];
  input: string[];
  /** Textual-inversion files ComfyUI finds (`GET /embeddings` lists them without extension). */
  embeddings: string[];
}

const MAX_RESOLUTION = 16384;
const SAMPLERS = ["euler", "euler_ancestral", "heun", "dpm_2", "dpmpp_2m", "dpmpp_sde", "ddim", "uni_pc"];
const SCHEDULERS = ["normal", "karras", "exponential", "sgm_uniform", "simple", "ddim_uniform"];
const INT = (min: number, max: number, def = min) => ["INT", { default: def, min, max }];
const FLOAT = (min: number, max: number, def = min) => ["FLOAT", { default: def, min, max, step: 0.01 }];
const ENABLE = (def = "enable") => [["enable", "disable"], { default: def }];
const node = (required: Record<string, unknown[]>, output: string[], extra: object = {}) => ({
  input: { required },
  output,
  output_is_list: output.map(() => false),
  output_name: output,
  ...extra,
});
const preprocessor = (inputs: Record<string, unknown[]> = {}) =>
  node({ image: ["IMAGE"], ...inputs, resolution: INT(64, MAX_RESOLUTION, 512) }, ["IMAGE"], {
    category: "ControlNet Preprocessors",
  });

export function objectInfo(folders: Folders): Record<string, ReturnType<typeof node>> {
  const sampling = {
    cfg: ["FLOAT", { default: 8, min: 0, max: 100, step: 0.1, round: 0.01 }],
    sampler_name: [SAMPLERS],
    scheduler: [SCHEDULERS],
    positive: ["CONDITIONING"],
    negative: ["CONDITIONING"],
    latent_image: ["LATENT"],
  };
  return {
    CheckpointLoaderSimple: node({ ckpt_name: [folders.checkpoints] }, ["MODEL", "CLIP", "VAE"]),
    DiffusersLoader: node({ model_path: [folders.diffusers] }, ["MODEL", "CLIP", "VAE"]),
    LoraLoader: node(
      {
        model: ["MODEL"],
        clip: ["CLIP"],
        lora_name: [folders.loras],
        strength_model: FLOAT(-100, 100, 1),
        strength_clip: FLOAT(-100, 100, 1),
      },
      ["MODEL", "CLIP"],
    ),
    VAELoader: node({ vae_name: [folders.vae] }, ["VAE"]),
    CLIPTextEncode: node({ text: ["STRING", { multiline: true }], clip: ["CLIP"] }, ["CONDITIONING"]),
    EmptyLatentImage: node(
      { width: INT(16, MAX_RESOLUTION, 512), height: INT(16, MAX_RESOLUTION, 512), batch_size: INT(1, 4096, 1) },
      ["LATENT"],
    ),
    KSampler: node(
      {
        model: ["MODEL"],
        seed: INT(0, Number.MAX_SAFE_INTEGER),
        steps: INT(1, 10000, 20),
        ...sampling,
        denoise: FLOAT(0, 1, 1),
      },
      ["LATENT"],
    ),
    KSamplerAdvanced: node(
      {
        model: ["MODEL"],
        add_noise: [["enable", "disable"]],
        noise_seed: INT(0, Number.MAX_SAFE_INTEGER),
        steps: INT(1, 10000, 20),
        ...sampling,
        start_at_step: INT(0, 10000, 0),
        end_at_step: INT(0, 10000, 10000),
        return_with_leftover_noise: [["disable", "enable"]],
      },
      ["LATENT"],
    ),
    VAEDecode: node({ samples: ["LATENT"], vae: ["VAE"] }, ["IMAGE"]),
    SaveImage: node({ images: ["IMAGE"], filename_prefix: ["STRING", { default: "ComfyUI" }] }, [], {
      output_node: true,
    }),
    LoadImage: node({ image: [folders.input, { image_upload: true }] }, ["IMAGE", "MASK"]),
    ControlNetLoader: node({ control_net_name: [folders.controlnet] }, ["CONTROL_NET"]),
    ControlNetApplyAdvanced: node(
      {
        positive: ["CONDITIONING"],
        negative: ["CONDITIONING"],
        control_net: ["CONTROL_NET"],
        image: ["IMAGE"],
        strength: FLOAT(0, 10, 1),
        start_percent: FLOAT(0, 1, 0),
        end_percent: FLOAT(0, 1, 1),
      },
      ["CONDITIONING", "CONDITIONING"],
    ),
    CannyEdgePreprocessor: preprocessor({ low_threshold: INT(0, 255, 100), high_threshold: INT(0, 255, 200) }),
    FakeScribblePreprocessor: preprocessor({ safe: ENABLE() }),
    HEDPreprocessor: preprocessor({ safe: ENABLE() }),
    "MiDaS-DepthMapPreprocessor": preprocessor({ a: FLOAT(0, 15.71, 6.28), bg_threshold: FLOAT(0, 1, 0.1) }),
    "M-LSDPreprocessor": preprocessor({ score_threshold: FLOAT(0.01, 2, 0.1), dist_threshold: FLOAT(0.01, 20, 0.1) }),
    OpenposePreprocessor: preprocessor({ detect_hand: ENABLE(), detect_body: ENABLE(), detect_face: ENABLE() }),
    DWPreprocessor: preprocessor({ detect_hand: ENABLE(), detect_body: ENABLE(), detect_face: ENABLE() }),
    Scribble_PiDiNet_Preprocessor: preprocessor({ safe: ENABLE() }),
    PiDiNetPreprocessor: preprocessor({ safe: ENABLE() }),
    "BAE-NormalMapPreprocessor": preprocessor(),
    LineArtPreprocessor: preprocessor({ coarse: ENABLE("disable") }),
    AnimeLineArtPreprocessor: preprocessor(),
    "Zoe-DepthMapPreprocessor": preprocessor(),
    "LeReS-DepthMapPreprocessor": preprocessor({
      rm_nearest: FLOAT(0, 100, 0),
      rm_background: FLOAT(0, 100, 0),
      boost: ENABLE("disable"),
    }),
    // aux's shuffle.py: a seed of 0 (the default) falls back to numpy's unseeded generator.
    ShufflePreprocessor: preprocessor({ seed: INT(0, 2 ** 64 - 1, 0) }), // 0xffffffffffffffff, as JSON parses it
    "MediaPipe-FaceMeshPreprocessor": preprocessor({ max_faces: INT(1, 50, 10), min_confidence: FLOAT(0.01, 1, 0.5) }),
  };
}
