import type { PreprocessMethod } from "@hydrogen/protocol";

/**
 * How each spec §9 preprocessing method runs in ComfyUI: a node of the
 * `comfyui_controlnet_aux` pack and its fixed inputs. Task-given `preprocess.args` override
 * these (ComfyUI validates them against the node's definition).
 */
export const PREPROCESSORS: Record<
  PreprocessMethod,
  {
    node: string;
    inputs: Record<string, string | number>;
    /**
     * The node draws random numbers: its `seed` input gets the task's seed + 1. aux treats a
     * seed of 0 (its default) as none and uses numpy's unseeded generator, so honest nodes
     * would preprocess differently and disagree.
     */
    seeded?: true;
  }
> = {
  canny: { node: "CannyEdgePreprocessor", inputs: { low_threshold: 100, high_threshold: 200 } },
  scribble_hed: { node: "FakeScribblePreprocessor", inputs: { safe: "disable" } },
  scribble_hedsafe: { node: "FakeScribblePreprocessor", inputs: { safe: "enable" } },
  softedge_hed: { node: "HEDPreprocessor", inputs: { safe: "disable" } },
  softedge_hedsafe: { node: "HEDPreprocessor", inputs: { safe: "enable" } },
  depth_midas: { node: "MiDaS-DepthMapPreprocessor", inputs: { a: 6.28, bg_threshold: 0.1 } },
  mlsd: { node: "M-LSDPreprocessor", inputs: { score_threshold: 0.1, dist_threshold: 0.1 } },
  openpose: {
    node: "OpenposePreprocessor",
    inputs: { detect_hand: "disable", detect_body: "enable", detect_face: "disable" },
  },
  openpose_face: {
    node: "OpenposePreprocessor",
    inputs: { detect_hand: "disable", detect_body: "enable", detect_face: "enable" },
  },
  openpose_faceonly: {
    node: "OpenposePreprocessor",
    inputs: { detect_hand: "disable", detect_body: "disable", detect_face: "enable" },
  },
  openpose_full: {
    node: "OpenposePreprocessor",
    inputs: { detect_hand: "enable", detect_body: "enable", detect_face: "enable" },
  },
  openpose_hand: {
    node: "OpenposePreprocessor",
    inputs: { detect_hand: "enable", detect_body: "enable", detect_face: "disable" },
  },
  dwpose: { node: "DWPreprocessor", inputs: { detect_hand: "enable", detect_body: "enable", detect_face: "enable" } },
  scribble_pidinet: { node: "Scribble_PiDiNet_Preprocessor", inputs: { safe: "disable" } },
  softedge_pidinet: { node: "PiDiNetPreprocessor", inputs: { safe: "disable" } },
  scribble_pidisafe: { node: "Scribble_PiDiNet_Preprocessor", inputs: { safe: "enable" } },
  softedge_pidisafe: { node: "PiDiNetPreprocessor", inputs: { safe: "enable" } },
  normal_bae: { node: "BAE-NormalMapPreprocessor", inputs: {} },
  lineart_coarse: { node: "LineArtPreprocessor", inputs: { coarse: "enable" } },
  lineart_realistic: { node: "LineArtPreprocessor", inputs: { coarse: "disable" } },
  lineart_anime: { node: "AnimeLineArtPreprocessor", inputs: {} },
  depth_zoe: { node: "Zoe-DepthMapPreprocessor", inputs: {} },
  depth_leres: { node: "LeReS-DepthMapPreprocessor", inputs: { rm_nearest: 0, rm_background: 0, boost: "disable" } },
  "depth_leres++": { node: "LeReS-DepthMapPreprocessor", inputs: { rm_nearest: 0, rm_background: 0, boost: "enable" } },
  shuffle: { node: "ShufflePreprocessor", inputs: {}, seeded: true },
  mediapipe_face: { node: "MediaPipe-FaceMeshPreprocessor", inputs: { max_faces: 10, min_confidence: 0.5 } },
};
