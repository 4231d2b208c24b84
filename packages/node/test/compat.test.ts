import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { checkCompatible, compatibilityProblem, ModelsIncompatibleError } from "../src/models/compat.ts";
import { familyOfShapes, type ModelFamily, readShapes } from "../src/models/family.ts";
import type { PreparedModels } from "../src/models/manager.ts";
import { TaskFaultError } from "../src/task/errors.ts";
import {
  checkpoints,
  controlnet,
  diffusersLora,
  embeddings,
  type Header,
  kohyaLora,
  lycoris,
  vae,
  writeHeader,
} from "./helpers/model-headers.ts";

const dir = mkdtempSync(join(tmpdir(), "hydrogen-compat-"));
after(() => rmSync(dir, { recursive: true, force: true }));

let count = 0;
function file(header: Header, ref = `org/model-${++count}`) {
  return { ref, path: writeHeader(join(dir, `${count}.safetensors`), header), format: "file" as const };
}

const FAMILIES: [string, Header, ModelFamily][] = [
  ["SD 1.5 checkpoint", checkpoints.sd15 as Header, "sd1"],
  ["SD 2.1 checkpoint (512)", checkpoints["sd21-512"] as Header, "sd2"],
  ["SD 2.1 checkpoint (768-v)", checkpoints["sd21-768v"] as Header, "sd2"],
  ["SDXL base checkpoint", checkpoints["sdxl-base"] as Header, "sdxl"],
  ["SDXL refiner checkpoint", checkpoints["sdxl-refiner"] as Header, "sdxl-refiner"],
  ["kohya SD 1.5 LoRA with text encoder", kohyaLora("sd1", { textEncoder: true }), "sd1"],
  ["kohya SD 1.5 LoRA, UNet only", kohyaLora("sd1", { textEncoder: false }), "sd1"],
  ["kohya SD 1.5 LoRA, text encoder only", kohyaLora("sd1", { textEncoder: true, unet: false }), "sd1"],
  ["kohya SD 2.x LoRA with text encoder", kohyaLora("sd2", { textEncoder: true }), "sd2"],
  ["kohya SD 2.x LoRA, UNet only", kohyaLora("sd2", { textEncoder: false }), "sd2"],
  ["kohya SD 2.x LoRA, text encoder only", kohyaLora("sd2", { textEncoder: true, unet: false }), "sd2"],
  ["kohya SDXL LoRA with text encoders", kohyaLora("sdxl", { textEncoder: true }), "sdxl"],
  ["kohya SDXL LoRA, UNet only", kohyaLora("sdxl", { textEncoder: false }), "sdxl"],
  ["kohya SDXL LoRA, text encoders only", kohyaLora("sdxl", { textEncoder: true, unet: false }), "sdxl"],
  ["diffusers SD 1.5 LoRA", diffusersLora("sd1", { textEncoder: true }), "sd1"],
  ["diffusers SD 2.x LoRA, UNet only", diffusersLora("sd2", { textEncoder: false }), "sd2"],
  ["diffusers SDXL LoRA", diffusersLora("sdxl", { textEncoder: true }), "sdxl"],
  ["LyCORIS LoCon for SD 1.5", lycoris("sd1", "locon"), "sd1"],
  ["LyCORIS LoHa for SDXL", lycoris("sdxl", "loha"), "sdxl"],
  ["LyCORIS LoHa for SD 2.x", lycoris("sd2", "loha"), "sd2"],
  ["SD 1.5 ControlNet (original layout)", controlnet("sd1", "original"), "sd1"],
  ["SD 1.5 ControlNet (diffusers layout)", controlnet("sd1", "diffusers"), "sd1"],
  ["SD 2.x ControlNet (original layout)", controlnet("sd2", "original"), "sd2"],
  ["SD 2.x ControlNet (diffusers layout)", controlnet("sd2", "diffusers"), "sd2"],
  ["SDXL ControlNet (original layout)", controlnet("sdxl", "original"), "sdxl"],
  ["SDXL ControlNet (diffusers layout)", controlnet("sdxl", "diffusers"), "sdxl"],
  ["a VAE (no family)", vae(), "unknown"],
  ["an SD 1.x embedding (no family)", embeddings.sd1 as Header, "unknown"],
  ["a file of unknown tensors", { "model.layers.0.weight": [10, 10] }, "unknown"],
];

describe("model families from safetensors headers (ComfyUI's detection rules)", () => {
  for (const [name, header, family] of FAMILIES) {
    it(`${name} → ${family}`, async () => {
      const shapes = await readShapes(file(header).path);
      assert.ok(shapes);
      assert.equal(familyOfShapes(shapes), family);
    });
  }

  it("reads no family from a file that is not safetensors or whose header is too large", async () => {
    const { path } = file({});
    const { writeFileSync } = await import("node:fs");
    writeFileSync(path, Buffer.from("<html>not a model</html>"));
    assert.equal(await readShapes(path), undefined);
    const huge = Buffer.alloc(16);
    huge.writeBigUInt64LE(64n * 1024n * 1024n);
    writeFileSync(path, huge);
    assert.equal(await readShapes(path), undefined);
  });
});

/** One compatibility case: the models a task names, and the problem expected (a regex), or none. */
const CASES: { name: string; models: Partial<Record<keyof PreparedModels, Header>>; problem?: RegExp }[] = [
  {
    name: "SD 1.5 base with an SD 1.5 LoRA, ControlNet, VAE and embedding",
    models: {
      base: checkpoints.sd15,
      lora: kohyaLora("sd1", { textEncoder: true }),
      controlnet: controlnet("sd1", "original"),
      vae: vae(),
      textualInversion: embeddings.sd1,
    },
  },
  {
    name: "SDXL base with a UNet-only SDXL LoRA",
    models: { base: checkpoints["sdxl-base"], lora: kohyaLora("sdxl", { textEncoder: false }) },
  },
  {
    name: "SD 2.1 base with an SD 2.x LoRA and ControlNet",
    models: {
      base: checkpoints["sd21-768v"],
      lora: kohyaLora("sd2", { textEncoder: true }),
      controlnet: controlnet("sd2", "diffusers"),
    },
  },
  {
    name: "SDXL base with an SDXL ControlNet, SDXL embedding and the refiner",
    models: {
      base: checkpoints["sdxl-base"],
      controlnet: controlnet("sdxl", "diffusers"),
      textualInversion: embeddings.sdxl,
      refiner: checkpoints["sdxl-refiner"],
    },
  },
  {
    name: "SDXL base with an SD 1.x embedding (clip_l is as wide)",
    models: { base: checkpoints["sdxl-base"], textualInversion: embeddings.sd1 },
  },
  {
    name: "an unknown base with an SDXL LoRA (the task runs)",
    models: { base: { "x.weight": [1] }, lora: kohyaLora("sdxl", { textEncoder: true }) },
  },
  {
    name: "SD 1.5 base with a LoRA of unknown family (the task runs)",
    models: { base: checkpoints.sd15, lora: { "lora_unet_foo.lokr_w1": [4, 4] } },
  },
  {
    name: "an SDXL LoRA on an SD 1.5 base",
    models: { base: checkpoints.sd15, lora: kohyaLora("sdxl", { textEncoder: false }) },
    problem: /LoRA .* is SDXL, the base model .* is SD 1\.x/,
  },
  {
    name: "an SD 1.5 LoRA on an SD 2.1 base",
    models: { base: checkpoints["sd21-512"], lora: diffusersLora("sd1", { textEncoder: false }) },
    problem: /LoRA .* is SD 1\.x, .* is SD 2\.x/,
  },
  {
    name: "an SD 1.5 ControlNet on SDXL",
    models: { base: checkpoints["sdxl-base"], controlnet: controlnet("sd1", "original") },
    problem: /ControlNet .* is SD 1\.x, .* is SDXL/,
  },
  {
    name: "an SDXL ControlNet on SD 2.1",
    models: { base: checkpoints["sd21-512"], controlnet: controlnet("sdxl", "original") },
    problem: /ControlNet .* is SDXL/,
  },
  {
    name: "a refiner on an SD 1.5 base",
    models: { base: checkpoints.sd15, refiner: checkpoints["sdxl-refiner"] },
    problem: /refiner needs an SDXL base/,
  },
  {
    name: "an SD 2.1 model as the refiner",
    models: { base: checkpoints["sdxl-base"], refiner: checkpoints["sd21-512"] },
    problem: /refiner .* is SD 2\.x, not an SDXL model/,
  },
  { name: "a 16-channel VAE", models: { base: checkpoints.sd15, vae: vae(16) }, problem: /16 latent channels/ },
  {
    name: "an SD 2.x embedding on SD 1.5",
    models: { base: checkpoints.sd15, textualInversion: embeddings.sd2 },
    problem: /1024-wide vectors/,
  },
  {
    name: "an SDXL LoRA on the refiner used as base",
    models: { base: checkpoints["sdxl-refiner"], lora: kohyaLora("sdxl", { textEncoder: false }) },
    problem: /is SDXL, .* is the SDXL refiner/,
  },
];

describe("model compatibility", () => {
  for (const c of CASES) {
    it(`${c.problem ? "refuses" : "accepts"} ${c.name}`, async () => {
      const models = Object.fromEntries(
        Object.entries(c.models).map(([role, header]) => [role, file(header as Header)]),
      ) as unknown as PreparedModels;
      if (!c.problem) return assert.equal(await checkCompatible(models), undefined);
      await assert.rejects(checkCompatible(models), (error: unknown) => {
        assert.ok(error instanceof ModelsIncompatibleError);
        assert.ok(error instanceof TaskFaultError, "the task is at fault: every node reads the same headers");
        assert.equal(error.code, "MODELS_INCOMPATIBLE");
        assert.match(error.message, c.problem as RegExp);
        return true;
      });
    });
  }

  it("reads a diffusers base model's family from its UNet config", async () => {
    const { mkdirSync, writeFileSync } = await import("node:fs");
    const folder = join(dir, "diffusers-xl");
    mkdirSync(join(folder, "unet"), { recursive: true });
    writeFileSync(join(folder, "unet", "config.json"), JSON.stringify({ cross_attention_dim: 2048 }));
    const base = { ref: "org/xl", path: folder, format: "diffusers" as const };
    await assert.rejects(
      checkCompatible({ base, lora: file(kohyaLora("sd1", { textEncoder: false })) }),
      /is SD 1\.x, .* is SDXL/,
    );
    assert.equal(compatibilityProblem({ base: { file: base, shapes: undefined } }), undefined);
  });
});
