import { PREPROCESS_METHODS, sleep } from "@hydrogen/protocol";
import { ComfyClient } from "./client.ts";
import { determinismWarnings } from "./determinism.ts";
import { PREPROCESSORS } from "./preprocess.ts";
import type { Workflow } from "./workflow.ts";

/** The core node types every task needs (ComfyUI's own nodes.py). */
export const REQUIRED_NODES = [
  "CheckpointLoaderSimple",
  "DiffusersLoader",
  "LoraLoader",
  "VAELoader",
  "CLIPTextEncode",
  "EmptyLatentImage",
  "KSampler",
  "KSamplerAdvanced",
  "VAEDecode",
  "SaveImage",
  "LoadImage",
  "ControlNetLoader",
  "ControlNetApplyAdvanced",
];

/** The preprocessor node types (comfyui_controlnet_aux), needed for ControlNet tasks with `preprocess`. */
export const PREPROCESSOR_NODES = [...new Set(PREPROCESS_METHODS.map((m) => PREPROCESSORS[m].node))];

export interface EngineCheckReport {
  url: string;
  reachable: boolean;
  version?: string;
  devices: string[];
  missingNodes: string[];
  missingPreprocessors: string[];
  render: "ok" | "skipped" | "failed";
  problems: string[];
  /** Settings that make this node's images differ from other nodes' (not pinned by its flags). */
  warnings: string[];
  /** The versions that must match across nodes, as ComfyUI reports them. */
  versions: { comfyui?: string; pytorch?: string; python?: string };
}

/**
 * Whether a live ComfyUI can run Hydrogen tasks: reachable, every node type present, and — when
 * it has a checkpoint — a tiny 64×64 one-step render that saves an image.
 */
export async function checkComfyUI(
  url: string,
  options: { checkpoint?: string; timeoutMs?: number } = {},
): Promise<EngineCheckReport> {
  const client = new ComfyClient(url, options.timeoutMs ?? 10_000);
  const report: EngineCheckReport = {
    url,
    reachable: false,
    devices: [],
    missingNodes: [],
    missingPreprocessors: [],
    render: "skipped",
    problems: [],
    warnings: [],
    versions: {},
  };
  try {
    const stats = await client.systemStats();
    report.reachable = true;
    report.version = stats.system?.comfyui_version;
    report.versions = {
      comfyui: stats.system?.comfyui_version,
      pytorch: stats.system?.pytorch_version,
      python: stats.system?.python_version,
    };
    report.warnings = stats.system?.argv
      ? determinismWarnings(stats.system.argv)
      : ["ComfyUI does not report its flags (system_stats argv): check precision and attention by hand"];
    report.devices = (stats.devices ?? []).map(
      (d) => `${d.name ?? "device"}${d.vram_total ? ` (${Math.round(d.vram_total / 1e9)} GB)` : ""}`,
    );
  } catch (error) {
    report.problems.push(`ComfyUI is not reachable at ${url}: ${(error as Error).message}`);
    return report;
  }
  const info = await client.objectInfo();
  report.missingNodes = REQUIRED_NODES.filter((n) => !info[n]);
  report.missingPreprocessors = PREPROCESSOR_NODES.filter((n) => !info[n]);
  if (report.missingNodes.length > 0) report.problems.push(`missing node types: ${report.missingNodes.join(", ")}`);
  if (report.missingPreprocessors.length > 0) {
    report.problems.push(
      `missing ControlNet preprocessors (install comfyui_controlnet_aux): ${report.missingPreprocessors.join(", ")}`,
    );
  }
  const checkpoints = (info.CheckpointLoaderSimple?.input.required?.ckpt_name?.[0] ?? []) as string[];
  const checkpoint = options.checkpoint ?? checkpoints[0];
  if (!checkpoint || report.missingNodes.length > 0) return report;
  try {
    const promptId = await client.queue(tinyWorkflow(checkpoint), "hydrogen-engine-check");
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    for (;;) {
      const entry = await client.history(promptId);
      if (entry?.status?.completed && Object.values(entry.outputs ?? {}).some((o) => (o.images ?? []).length > 0)) {
        report.render = "ok";
        break;
      }
      if (entry?.status?.status_str === "error" || Date.now() > deadline)
        throw new Error(entry ? "the render failed" : "the render timed out");
      await sleep(250);
    }
  } catch (error) {
    report.render = "failed";
    report.problems.push(`a 64×64 test render with ${checkpoint} failed: ${(error as Error).message}`);
  }
  return report;
}

function tinyWorkflow(checkpoint: string): Workflow {
  return {
    "1": { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: checkpoint } },
    "2": { class_type: "CLIPTextEncode", inputs: { text: "a test pattern", clip: ["1", 1] } },
    "3": { class_type: "CLIPTextEncode", inputs: { text: "", clip: ["1", 1] } },
    "4": { class_type: "EmptyLatentImage", inputs: { width: 64, height: 64, batch_size: 1 } },
    "5": {
      class_type: "KSampler",
      inputs: {
        model: ["1", 0],
        seed: 1,
        steps: 1,
        cfg: 5,
        sampler_name: "euler",
        scheduler: "normal",
        positive: ["2", 0],
        negative: ["3", 0],
        latent_image: ["4", 0],
        denoise: 1,
      },
    },
    "6": { class_type: "VAEDecode", inputs: { samples: ["5", 0], vae: ["1", 2] } },
    "7": { class_type: "SaveImage", inputs: { images: ["6", 0], filename_prefix: "hydrogen/engine-check" } },
  };
}
