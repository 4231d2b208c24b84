import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { keccak256 } from "viem";
import { largestTaskArgs } from "./largest.ts";
import { TASK_ARGS_LIMITS, TASK_ARGS_MAX_BYTES, utf8Bytes } from "./limits.ts";
import { PREPROCESS_METHODS } from "./schema.ts";
import type { TaskArgsInput } from "./types.ts";
import { parseTaskArgs, parseTaskArgsJson, taskHash } from "./validate.ts";

const minimal: TaskArgsInput = {
  base_model: "runwayml/stable-diffusion-v1-5",
  prompt: "a cat",
  task_config: { seed: 42 },
};
const PNG =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

/** `minimal` with `patch` merged into it (one level deep for task_config). */
function withArgs(patch: Record<string, unknown>, config: Record<string, unknown> = {}): unknown {
  return { ...minimal, ...patch, task_config: { ...minimal.task_config, ...config } };
}

function violations(input: unknown) {
  const parsed = parseTaskArgs(input);
  assert.equal(parsed.ok, false, "expected violations");
  return parsed.ok ? [] : parsed.violations;
}

function accepts(input: unknown) {
  const parsed = parseTaskArgs(input);
  assert.ok(parsed.ok, parsed.ok ? "" : JSON.stringify(parsed.violations));
  return parsed.args;
}

describe("task arguments", () => {
  it("applies every default and leaves the input untouched", () => {
    const input = structuredClone(minimal);
    const args = accepts(input);
    assert.deepEqual(args.task_config, {
      seed: 42,
      image_width: 512,
      image_height: 512,
      steps: 25,
      num_images: 6,
      safety_checker: true,
      cfg: 5,
    });
    assert.equal(args.negative_prompt, "");
    assert.deepEqual(input, minimal);
    assert.equal(accepts(withArgs({ lora: { model: "a/b" } })).lora?.weight, 100);
    assert.equal(accepts(withArgs({ controlnet: { model: "a/b", image_dataurl: PNG } })).controlnet?.weight, 100);
    assert.deepEqual(accepts(withArgs({ refiner: { model: "a/b" } })).refiner, {
      model: "a/b",
      denoising_cutoff: 80,
      steps: 20,
    });
  });

  it("accepts every optional feature together", () => {
    accepts(
      withArgs(
        {
          base_model: "https://example.com/models/sdxl.safetensors?download=true",
          negative_prompt: "blurry",
          prompt: "a cat++, (sunset)-",
          lora: { model: "owner/lora", weight: 60 },
          controlnet: {
            model: "lllyasviel/sd-controlnet-canny",
            weight: 70,
            image_dataurl: PNG,
            preprocess: { method: "canny", args: { low_threshold: 100, high_threshold: 180 } },
          },
          textual_inversion: "sd-concepts-library/cat-toy",
          vae: "stabilityai/sd-vae-ft-mse",
          refiner: { model: "stabilityai/stable-diffusion-xl-refiner-1.0", denoising_cutoff: 75, steps: 10 },
        },
        {
          image_width: 1024,
          image_height: 768,
          steps: 40,
          num_images: 10,
          safety_checker: false,
          cfg: 7.5,
          seed: 2147483647,
        },
      ),
    );
    for (const method of PREPROCESS_METHODS) {
      accepts(withArgs({ controlnet: { model: "a/b", image_dataurl: PNG, preprocess: { method } } }));
    }
  });

  it("reports every violation at once, each with its path", () => {
    const found = violations({ base_model: "nope", prompt: " ", task_config: { seed: -1, sed: 1 }, extra: true });
    assert.deepEqual(found.map((v) => v.path).sort(), [
      "base_model",
      "extra",
      "prompt",
      "task_config.sed",
      "task_config.seed",
    ]);
    assert.deepEqual(
      found.find((v) => v.path === "extra"),
      { path: "extra", message: 'unknown field "extra"' },
    );
  });

  it("requires base_model, prompt, task_config and seed", () => {
    assert.deepEqual(
      violations({})
        .map((v) => v.message)
        .sort(),
      ['"base_model" is required', '"prompt" is required', '"task_config" is required'],
    );
    assert.deepEqual(violations({ ...minimal, task_config: {} }), [
      { path: "task_config.seed", message: '"seed" is required' },
    ]);
    assert.deepEqual(violations("a string"), [{ path: "", message: "must be object" }]);
  });

  const ranges: [string, unknown, boolean][] = [
    ["image_width", 128, true],
    ["image_width", 2048, true],
    ["image_width", 120, false],
    ["image_width", 2056, false],
    ["image_width", 516, false],
    ["image_height", 640, true],
    ["image_height", 4096, false],
    ["steps", 1, true],
    ["steps", 100, true],
    ["steps", 0, false],
    ["steps", 101, false],
    ["steps", 2.5, false],
    ["seed", 0, true],
    ["seed", 2147483648, false],
    ["seed", "42", false],
    ["num_images", 1, true],
    ["num_images", 11, false],
    ["num_images", 0, false],
    ["safety_checker", "yes", false],
    ["cfg", 1, true],
    ["cfg", 20, true],
    ["cfg", 0.5, false],
    ["cfg", 21, false],
  ];
  for (const [field, value, ok] of ranges) {
    it(`task_config.${field} = ${JSON.stringify(value)} is ${ok ? "accepted" : "rejected"}`, () => {
      const input = withArgs({}, { [field]: value });
      if (ok) accepts(input);
      else assert.ok(violations(input).every((v) => v.path === `task_config.${field}`));
    });
  }

  const models: [string, boolean][] = [
    ["runwayml/stable-diffusion-v1-5", true],
    ["stabilityai/stable-diffusion-xl-base-1.0", true],
    ["https://civitai.example/api/model.safetensors", true],
    ["http://example.com/model.safetensors", false],
    ["https://example.com/model.ckpt", false],
    ["just-a-name", false],
    ["owner/name/extra", false],
    ["", false],
  ];
  for (const [model, ok] of models) {
    it(`model reference ${JSON.stringify(model)} is ${ok ? "accepted" : "rejected"} in every model field`, () => {
      const cases = [
        withArgs({ base_model: model }),
        withArgs({ lora: { model } }),
        withArgs({ controlnet: { model, image_dataurl: PNG } }),
        withArgs({ textual_inversion: model }),
        withArgs({ vae: model }),
        withArgs({ refiner: { model } }),
      ];
      for (const input of cases) {
        if (ok) accepts(input);
        else assert.match(violations(input)[0]?.message ?? "", /Hugging Face model id/);
      }
    });
  }

  it("checks lora, controlnet and refiner fields", () => {
    assert.equal(violations(withArgs({ lora: { model: "a/b", weight: 0 } }))[0]?.path, "lora.weight");
    assert.equal(violations(withArgs({ lora: { model: "a/b", weight: 101 } }))[0]?.path, "lora.weight");
    assert.equal(violations(withArgs({ lora: { weight: 50 } }))[0]?.path, "lora.model");
    assert.equal(violations(withArgs({ lora: { model: "a/b", scale: 1 } }))[0]?.message, 'unknown field "scale"');
    assert.match(
      violations(withArgs({ controlnet: { model: "a/b", image_dataurl: "data:image/jpeg;base64,AAAA" } }))[0]
        ?.message ?? "",
      /PNG data URL/,
    );
    assert.match(
      violations(withArgs({ controlnet: { model: "a/b", image_dataurl: PNG, preprocess: { method: "sobel" } } }))[0]
        ?.message ?? "",
      /must be one of canny/,
    );
    assert.equal(
      violations(withArgs({ controlnet: { model: "a/b", image_dataurl: PNG, weight: 200 } }))[0]?.path,
      "controlnet.weight",
    );
    assert.equal(
      violations(withArgs({ refiner: { model: "a/b", denoising_cutoff: 0 } }))[0]?.path,
      "refiner.denoising_cutoff",
    );
    assert.equal(violations(withArgs({ refiner: { model: "a/b", steps: 0 } }))[0]?.path, "refiner.steps");
    assert.equal(violations(withArgs({ negative_prompt: 3 }))[0]?.path, "negative_prompt");
  });

  it("bounds every string: prompts, model references, the ControlNet image's size and dimensions", () => {
    const long = "a".repeat(TASK_ARGS_LIMITS.promptChars + 1);
    assert.equal(violations(withArgs({ prompt: long }))[0]?.path, "prompt");
    assert.equal(violations(withArgs({ negative_prompt: long }))[0]?.path, "negative_prompt");
    const ref = `https://example.com/${"m".repeat(TASK_ARGS_LIMITS.modelRefChars)}.safetensors`;
    assert.equal(violations(withArgs({ vae: ref }))[0]?.path, "vae");
    const image = (width: number, height: number, extra = 0) => {
      const bytes = new Uint8Array(33 + extra);
      bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
      new DataView(bytes.buffer).setUint32(16, width);
      new DataView(bytes.buffer).setUint32(20, height);
      return `data:image/png;base64,${Buffer.from(bytes).toString("base64")}`;
    };
    const control = (image_dataurl: string) => withArgs({ controlnet: { model: "a/b", image_dataurl } });
    accepts(control(image(2048, 2048)));
    assert.match(violations(control(image(2049, 16)))[0]?.message ?? "", /2049×16 pixels/);
    assert.match(violations(control(image(16, 0)))[0]?.message ?? "", /each side must be/);
    const tooBig = image(64, 64, TASK_ARGS_LIMITS.controlImageBytes);
    assert.equal(violations(control(tooBig))[0]?.path, "controlnet.image_dataurl");
    const gif = `data:image/png;base64,${Buffer.from("GIF89a-not-a-png-at-all-here!!!!").toString("base64")}`;
    assert.match(violations(control(gif))[0]?.message ?? "", /not a PNG/);
  });

  it("bounds preprocessing arguments per method: its own keys, each within its range", () => {
    const pre = (method: string, args: Record<string, unknown>) =>
      withArgs({ controlnet: { model: "a/b", image_dataurl: PNG, preprocess: { method, args } } });
    accepts(pre("canny", { low_threshold: 1, high_threshold: 255 }));
    accepts(pre("mlsd", { score_threshold: 0.5 }));
    accepts(pre("openpose", {}));
    assert.deepEqual(violations(pre("canny", { low_threshold: 999 })), [
      { path: "controlnet.preprocess.args.low_threshold", message: "must be <= 255" },
    ]);
    assert.equal(violations(pre("openpose", { detect_hand: "enable" }))[0]?.message, 'unknown field "detect_hand"');
    assert.equal(violations(pre("canny", { a: 1 }))[0]?.path, "controlnet.preprocess.args.a");
  });

  it("the largest valid arguments are accepted and fit TASK_ARGS_MAX_BYTES; one byte more is refused unparsed", () => {
    const largest = largestTaskArgs();
    const parsed = parseTaskArgsJson(largest);
    assert.ok(parsed.ok, parsed.ok ? "" : JSON.stringify(parsed.violations).slice(0, 500));
    assert.ok(utf8Bytes(largest) <= TASK_ARGS_MAX_BYTES, `${utf8Bytes(largest)} > ${TASK_ARGS_MAX_BYTES}`);
    const over = `${" ".repeat(TASK_ARGS_MAX_BYTES - utf8Bytes(largest) + 1)}${largest}`;
    const refused = parseTaskArgsJson(over);
    assert.equal(refused.ok, false);
    assert.match(refused.ok ? "" : (refused.violations[0]?.message ?? ""), /more than the 4718592-byte limit/);
  });

  it("refuses duplicate keys and deep nesting as violations, never by throwing", () => {
    const dup = '{"base_model":"a/b","prompt":"x","task_config":{"seed":1,"seed":2}}';
    assert.match(
      (parseTaskArgsJson(dup) as { violations: { message: string }[] }).violations[0]?.message ?? "",
      /duplicate key "seed"/,
    );
    const deep = `{"base_model":"a/b","prompt":"x","task_config":{"seed":1},"lora":${'{"a":'.repeat(2000)}1${"}".repeat(2000)}}`;
    assert.match(
      (parseTaskArgsJson(deep) as { violations: { message: string }[] }).violations[0]?.message ?? "",
      /deeper than 32/,
    );
    let nested: Record<string, unknown> = {};
    for (let i = 0; i < 100_000; i++) nested = { a: nested };
    const parsed = parseTaskArgs({ ...minimal, lora: nested });
    assert.equal(parsed.ok, false);
    assert.match(parsed.ok ? "" : (parsed.violations[0]?.message ?? ""), /deeper than 32/);
  });

  it("parseTaskArgsJson reports malformed JSON as a violation", () => {
    const parsed = parseTaskArgsJson('{"prompt": ');
    assert.equal(parsed.ok, false);
    assert.match(parsed.ok ? "" : (parsed.violations[0]?.message ?? ""), /^not valid JSON/);
    assert.ok(parseTaskArgsJson(JSON.stringify(minimal)).ok);
  });

  it("taskHash is keccak256 of the exact UTF-8 bytes", () => {
    assert.equal(taskHash(""), "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    assert.equal(taskHash("abc"), "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    assert.equal(taskHash("é"), keccak256("0xc3a9"));
    assert.notEqual(taskHash('{"a":1}'), taskHash('{"a": 1}'), "whitespace matters: the exact string is hashed");
  });
});
