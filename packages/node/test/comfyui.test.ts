import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PREPROCESS_METHODS, parseTaskArgs, phashPng, type TaskArgs, type TaskArgsInput } from "@hydrogen/protocol";
import { samplePng } from "@hydrogen/protocol/png-writer";
import pino from "pino";
import { checkComfyUI } from "../src/engines/comfyui/check.ts";
import { ComfyUIEngine } from "../src/engines/comfyui/engine.ts";
import { buildWorkflow } from "../src/engines/comfyui/workflow.ts";
import { EngineUnavailableError } from "../src/engines/engine.ts";
import type { PreparedModels } from "../src/models/manager.ts";
import { type FakeComfyUI, startFakeComfyUI } from "./helpers/comfyui/server.ts";

const GOLDEN = join(import.meta.dirname, "golden", "comfyui");
const log = pino({ level: process.env.NODE_TEST_LOG ?? "silent" });
const CONTROL_IMAGE = `data:image/png;base64,${Buffer.from(samplePng(64, 64, 1)).toString("base64")}`;

function parse(input: Omit<TaskArgsInput, "prompt" | "task_config"> & Partial<TaskArgsInput>): TaskArgs {
  const parsed = parseTaskArgs({
    prompt: "a lighthouse at dawn",
    task_config: { seed: 42, num_images: 2, steps: 20 },
    ...input,
  });
  assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.violations));
  return parsed.args;
}

/** A tiny safetensors file whose tensor names say which family it belongs to. */
function weights(dir: string, folder: string, name: string, keys: string[]): string {
  const header = Buffer.from(
    JSON.stringify(Object.fromEntries(keys.map((k) => [k, { dtype: "U8", shape: [1], data_offsets: [0, 1] }]))),
  );
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  mkdirSync(join(dir, folder), { recursive: true });
  const path = join(dir, folder, name);
  writeFileSync(path, Buffer.concat([length, header, Buffer.from([0])]));
  return path;
}

const SD1 = ["cond_stage_model.transformer.text_model.embeddings.weight"];
const SDXL = ["conditioner.embedders.1.model.ln_final.weight"];

/** The models of a case, as the model cache hands them over (names in ComfyUI's folders). */
function cached(dir: string, args: TaskArgs, family: "sd1" | "sdxl" = "sd1", diffusers = false): PreparedModels {
  const keys = family === "sdxl" ? SDXL : SD1;
  const file = (folder: string, name: string, ref: string, k = keys) => ({
    ref,
    name,
    path: weights(dir, folder, name, k),
    format: "file" as const,
  });
  let base: PreparedModels["base"];
  if (diffusers) {
    mkdirSync(join(dir, "diffusers", "base"), { recursive: true });
    writeFileSync(
      join(dir, "diffusers", "base", "model_index.json"),
      JSON.stringify({ _class_name: "StableDiffusionPipeline" }),
    );
    base = { ref: args.base_model, name: "base", path: join(dir, "diffusers", "base"), format: "diffusers" };
  } else {
    base = file("checkpoints", "base.safetensors", args.base_model);
  }
  const models: PreparedModels = { base };
  if (args.lora)
    models.lora = file(
      "loras",
      "lora.safetensors",
      args.lora.model,
      family === "sdxl" ? ["lora_te2_text_model.x"] : ["lora_te_text_model.x"],
    );
  if (args.controlnet)
    models.controlnet = file(
      "controlnet",
      "control.safetensors",
      args.controlnet.model,
      family === "sdxl" ? ["add_embedding.linear_1.weight"] : ["control_model.input_blocks.0.weight"],
    );
  if (args.vae) models.vae = file("vae", "vae.safetensors", args.vae, ["decoder.conv_in.weight"]);
  if (args.textual_inversion)
    models.textualInversion = file("embeddings", "ti.safetensors", args.textual_inversion, ["emb_params"]);
  if (args.refiner) models.refiner = file("checkpoints", "refiner.safetensors", args.refiner.model);
  return models;
}

const CASES: Record<string, { args: Parameters<typeof parse>[0]; family?: "sd1" | "sdxl"; diffusers?: boolean }> = {
  "base-checkpoint": { args: { base_model: "stable-diffusion-v1-5/stable-diffusion-v1-5", negative_prompt: "blurry" } },
  "base-diffusers": { args: { base_model: "org/diffusers-model" }, diffusers: true },
  lora: { args: { base_model: "org/base", lora: { model: "org/style-lora", weight: 70 } } },
  vae: { args: { base_model: "org/base", vae: "stabilityai/sd-vae-ft-mse" } },
  "textual-inversion": { args: { base_model: "org/base", textual_inversion: "org/easynegative" } },
  controlnet: {
    args: { base_model: "org/base", controlnet: { model: "org/cn-canny", weight: 80, image_dataurl: CONTROL_IMAGE } },
  },
  "controlnet-canny": {
    args: {
      base_model: "org/base",
      controlnet: {
        model: "org/cn-canny",
        weight: 60,
        image_dataurl: CONTROL_IMAGE,
        preprocess: { method: "canny", args: { low_threshold: 50 } },
      },
    },
  },
  refiner: {
    args: {
      base_model: "stabilityai/stable-diffusion-xl-base-1.0",
      refiner: { model: "stabilityai/stable-diffusion-xl-refiner-1.0", denoising_cutoff: 80, steps: 10 },
    },
    family: "sdxl",
  },
  "weighted-prompt": {
    args: {
      base_model: "org/base",
      prompt: "a red+ fox, (misty forest)--, night",
      task_config: { seed: 7, num_images: 1, image_width: 768, image_height: 512, cfg: 7, steps: 30 },
    },
  },
  everything: {
    args: {
      base_model: "stabilityai/stable-diffusion-xl-base-1.0",
      negative_prompt: "lowres",
      lora: { model: "org/xl-lora", weight: 50 },
      controlnet: {
        model: "org/xl-depth",
        weight: 100,
        image_dataurl: CONTROL_IMAGE,
        preprocess: { method: "depth_midas" },
      },
      vae: "madebyollin/sdxl-vae-fp16-fix",
      textual_inversion: "org/xl-embedding",
      refiner: { model: "stabilityai/stable-diffusion-xl-refiner-1.0", denoising_cutoff: 75, steps: 12 },
      task_config: { seed: 123, num_images: 4, image_width: 1024, image_height: 1024, steps: 40, cfg: 6 },
    },
    family: "sdxl",
  },
};

describe("ComfyUI engine", () => {
  let comfy: FakeComfyUI;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "hydrogen-comfy-"));
    comfy = await startFakeComfyUI({
      checkpoints: ["base.safetensors", "refiner.safetensors"],
      loras: ["lora.safetensors"],
      controlnet: ["control.safetensors"],
      vae: ["vae.safetensors"],
      diffusers: ["base"],
    });
  });
  after(async () => {
    await comfy?.close();
  });

  describe("workflow graphs (golden, and valid for ComfyUI's node definitions)", () => {
    for (const [name, spec] of Object.entries(CASES)) {
      it(`${name}: matches test/golden/comfyui/${name}.json field by field and passes /prompt validation`, () => {
        const args = parse(spec.args);
        const models = cached(mkdtempSync(join(dir, "case-")), args, spec.family, spec.diffusers);
        const { workflow, output } = buildWorkflow(args, models, {
          taskId: 9n,
          controlImage: args.controlnet ? "hydrogen-task-9.png" : undefined,
        });
        const file = join(GOLDEN, `${name}.json`);
        if (process.env.UPDATE_GOLDEN || !existsSync(file))
          writeFileSync(file, `${JSON.stringify({ output, workflow }, null, 2)}\n`);
        const golden = JSON.parse(readFileSync(file, "utf8")) as { output: string; workflow: object };
        assert.equal(output, golden.output);
        assert.deepStrictEqual(workflow, golden.workflow);
        comfy.folders.input.push("hydrogen-task-9.png");
        const checked = comfy.validate(workflow as never);
        assert.equal(checked.error, undefined, JSON.stringify(checked));
      });
    }

    it("maps every spec preprocessing method to a node ComfyUI accepts", () => {
      comfy.folders.input.push("hydrogen-task-9.png");
      for (const method of PREPROCESS_METHODS) {
        const args = parse({
          base_model: "org/base",
          controlnet: { model: "org/cn", weight: 100, image_dataurl: CONTROL_IMAGE, preprocess: { method } },
        });
        const { workflow } = buildWorkflow(args, cached(mkdtempSync(join(dir, "pre-")), args), {
          taskId: 9n,
          controlImage: "hydrogen-task-9.png",
        });
        assert.equal(comfy.validate(workflow as never).error, undefined, method);
      }
    });

    it("seeds the shuffle preprocessor from the task, never with aux's unseeded 0", () => {
      comfy.folders.input.push("hydrogen-task-9.png");
      for (const seed of [0, 41, 2147483647]) {
        const args = parse({
          base_model: "org/base",
          task_config: { seed },
          controlnet: { model: "org/cn", image_dataurl: CONTROL_IMAGE, preprocess: { method: "shuffle" } },
        });
        const { workflow } = buildWorkflow(args, cached(mkdtempSync(join(dir, "shuffle-")), args), {
          taskId: 9n,
          controlImage: "hydrogen-task-9.png",
        });
        const shuffle = Object.values(workflow).find((n) => n.class_type === "ShufflePreprocessor");
        assert.equal(shuffle?.inputs.seed, seed + 1);
        assert.equal(comfy.validate(workflow as never).error, undefined);
      }
    });

    it("is deterministic: the same task gives the same graph, a fixed sampler and the task's seed", () => {
      const args = parse(CASES.lora?.args as never);
      const models = cached(mkdtempSync(join(dir, "det-")), args);
      const a = buildWorkflow(args, models, { taskId: 1n });
      assert.deepStrictEqual(a, buildWorkflow(args, models, { taskId: 1n }));
      const sampler = Object.values(a.workflow).find((n) => n.class_type === "KSampler");
      assert.equal(sampler?.inputs.seed, 42);
      assert.equal(sampler?.inputs.sampler_name, "euler");
      assert.equal(sampler?.inputs.scheduler, "normal");
    });
  });

  describe("running tasks", () => {
    const engine = () => new ComfyUIEngine({ url: comfy.url, pollIntervalMs: 10 }, { log });
    const request = (args: TaskArgs, models: PreparedModels, signal = new AbortController().signal) => ({
      taskId: 5n,
      args,
      models,
      signal,
    });

    it("submits the task's workflow and returns its PNGs in order", async () => {
      const args = parse({
        base_model: "org/base",
        task_config: { seed: 3, num_images: 3, image_width: 128, image_height: 128 },
      });
      const models = cached(mkdtempSync(join(dir, "run-")), args);
      const images = await engine().run(request(args, models));
      assert.equal(images.length, 3);
      for (const png of images) phashPng(png);
      assert.deepStrictEqual(comfy.submitted.at(-1)?.graph, buildWorkflow(args, models, { taskId: 5n }).workflow);
    });

    it("uploads the ControlNet image and runs the preprocessor", async () => {
      const args = parse({
        base_model: "org/base",
        controlnet: {
          model: "org/cn",
          weight: 50,
          image_dataurl: CONTROL_IMAGE,
          preprocess: { method: "openpose_full" },
        },
        task_config: { seed: 1, num_images: 1, image_width: 128, image_height: 128 },
      });
      const images = await engine().run(request(args, cached(mkdtempSync(join(dir, "cn-")), args)));
      assert.equal(images.length, 1);
      assert.ok(comfy.folders.input.includes("hydrogen-task-5.png"));
      const graph = comfy.submitted.at(-1)?.graph ?? {};
      assert.ok(
        Object.values(graph).some((n) => n.class_type === "OpenposePreprocessor" && n.inputs.detect_hand === "enable"),
      );
    });

    it("calls out-of-memory and a tensor shape mismatch transient: ComfyUI's errors are this node's", async () => {
      const args = parse({
        base_model: "org/base",
        task_config: { seed: 1, num_images: 1, image_width: 128, image_height: 128 },
      });
      const models = cached(mkdtempSync(join(dir, "fail-")), args);
      comfy.failNext({ kind: "oom" });
      await assert.rejects(
        engine().run(request(args, models)),
        (error: unknown) => error instanceof EngineUnavailableError && /out of memory/.test(error.message),
      );
      comfy.failNext({ kind: "shape" });
      await assert.rejects(
        engine().run(request(args, models)),
        (error: unknown) => error instanceof EngineUnavailableError && /size mismatch|shapes/.test(error.message),
      );
    });

    it("calls every workflow ComfyUI refuses transient: a value it rejects, a model it cannot see", async () => {
      const args = parse({
        base_model: "org/base",
        controlnet: {
          model: "org/cn",
          weight: 50,
          image_dataurl: CONTROL_IMAGE,
          preprocess: { method: "canny", args: { low_threshold: 100 } },
        },
      });
      // Our schema allows 1…255; this ComfyUI (another version, say) refuses what it is sent.
      (args.controlnet?.preprocess?.args as Record<string, number>).low_threshold = 999;
      await assert.rejects(
        engine().run(request(args, cached(mkdtempSync(join(dir, "arg-")), args))),
        (error: unknown) => error instanceof EngineUnavailableError && /low_threshold/.test(error.message),
      );
      const plain = parse({ base_model: "org/base" });
      const models = cached(mkdtempSync(join(dir, "unseen-")), plain);
      models.base = { ...models.base, name: "not-in-comfyui.safetensors" };
      await assert.rejects(
        engine().run(request(plain, models)),
        (error: unknown) => error instanceof EngineUnavailableError && /ckpt_name/.test(error.message),
      );
    });

    it("cancels the workflow in ComfyUI when the task is aborted", async () => {
      const args = parse({
        base_model: "org/base",
        task_config: { seed: 1, num_images: 1, image_width: 128, image_height: 128 },
      });
      comfy.failNext({ kind: "slow", ms: 5000 });
      const controller = new AbortController();
      const running = engine().run(request(args, cached(mkdtempSync(join(dir, "abort-")), args), controller.signal));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const interrupts = comfy.interrupts;
      controller.abort(new Error("task ended"));
      await assert.rejects(running, /task ended/);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok(comfy.interrupts > interrupts);
      assert.ok(comfy.deleted.includes(comfy.submitted.at(-1)?.id ?? ""));
    });

    it("cancelling one task leaves another task's running workflow alone (interrupt by prompt_id)", async () => {
      const args = (seed: number) =>
        parse({ base_model: "org/base", task_config: { seed, num_images: 1, image_width: 128, image_height: 128 } });
      const first = args(11);
      const second = args(12);
      comfy.failNext({ kind: "slow", ms: 1500 });
      const running = engine().run(request(first, cached(mkdtempSync(join(dir, "first-")), first)));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const controller = new AbortController();
      const queued = engine().run(
        request(second, cached(mkdtempSync(join(dir, "second-")), second), controller.signal),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      controller.abort(new Error("task ended"));
      await assert.rejects(queued, /task ended/);
      const images = await running;
      assert.equal(images.length, 1, "the other task's workflow ran to the end");
    });

    it("refuses to run with an embedding ComfyUI cannot see (it would render without it), as the node's own trouble", async () => {
      const args = parse({
        base_model: "org/base",
        textual_inversion: "org/easynegative",
        task_config: { seed: 4, num_images: 1, image_width: 128, image_height: 128 },
      });
      const models = cached(mkdtempSync(join(dir, "ti-")), args);
      const submitted = comfy.submitted.length;
      await assert.rejects(
        engine().run(request(args, models)),
        (error: unknown) => error instanceof EngineUnavailableError && /embedding ti\.safetensors/.test(error.message),
      );
      assert.equal(comfy.submitted.length, submitted, "nothing queued");
      comfy.folders.embeddings.push("ti.safetensors");
      assert.equal((await engine().run(request(args, models))).length, 1);
    });

    it("calls an unreachable ComfyUI transient", async () => {
      const args = parse({ base_model: "org/base" });
      const down = new ComfyUIEngine({ url: "http://127.0.0.1:9", pollIntervalMs: 10 }, { log });
      await assert.rejects(
        down.run(request(args, cached(mkdtempSync(join(dir, "down-")), args))),
        EngineUnavailableError,
      );
    });
  });

  describe("engine check", () => {
    it("reports a complete installation and renders a test image", async () => {
      const report = await checkComfyUI(comfy.url);
      assert.deepEqual(report.problems, []);
      assert.equal(report.version, "0.3.60");
      assert.equal(report.render, "ok");
    });

    it("warns about every setting that lets images differ between nodes, and reports versions", async () => {
      const loose = await checkComfyUI(comfy.url);
      assert.deepEqual(loose.versions, { comfyui: "0.3.60", pytorch: "2.7.1+cu126", python: "3.12" });
      for (const what of [
        /^unet precision/,
        /^vae precision/,
        /^text encoder precision/,
        /attention backend/,
        /--deterministic/,
      ])
        assert.ok(
          loose.warnings.some((w) => what.test(w)),
          `${what}: ${loose.warnings.join(" | ")}`,
        );
      const start = async (argv: string[]) => {
        const fake = await startFakeComfyUI({ checkpoints: ["base.safetensors"] }, { argv });
        try {
          return (await checkComfyUI(fake.url)).warnings;
        } finally {
          await fake.close();
        }
      };
      const pinned = ["main.py", "--force-fp32", "--use-pytorch-cross-attention", "--deterministic"];
      assert.deepEqual(await start(pinned), []);
      assert.deepEqual(
        await start([
          "main.py",
          "--fp16-unet",
          "--fp32-vae",
          "--fp16-text-enc",
          "--use-sage-attention",
          "--deterministic",
        ]),
        [],
      );
      assert.match((await start([...pinned, "--fast"])).join(), /--fast/);
    });

    it("lists the node types a partial installation lacks", async () => {
      const partial = await startFakeComfyUI(
        { checkpoints: ["base.safetensors"] },
        { missing: ["CannyEdgePreprocessor", "DWPreprocessor", "KSamplerAdvanced"] },
      );
      try {
        const report = await checkComfyUI(partial.url);
        assert.deepEqual(report.missingNodes, ["KSamplerAdvanced"]);
        assert.deepEqual(report.missingPreprocessors, ["CannyEdgePreprocessor", "DWPreprocessor"]);
        assert.equal(report.problems.length, 2);
      } finally {
        await partial.close();
      }
      const down = await checkComfyUI("http://127.0.0.1:9");
      assert.equal(down.reachable, false);
    });
  });
});
