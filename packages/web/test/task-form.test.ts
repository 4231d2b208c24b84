import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseTaskArgs } from "@hydrogen/sdk";
import { fieldErrors, formFromArgs, initialForm, PRESETS, taskArgs } from "../src/task-form.ts";

/** A 1×1 PNG, as the file picker would read it. */
const PNG =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

const violations = (form: ReturnType<typeof initialForm>) => {
  const parsed = parseTaskArgs(taskArgs(form));
  return parsed.ok ? [] : parsed.violations;
};

describe("the task form", () => {
  it("builds arguments the schema takes from its defaults and from every preset", () => {
    const form = { ...initialForm(), prompt: "a lighthouse at dawn" };
    assert.deepEqual(violations(form), []);
    for (const preset of PRESETS) {
      const applied = preset.apply(form);
      assert.deepEqual(violations(applied), [], preset.name);
      assert.equal(applied.prompt, form.prompt, `${preset.name} keeps the prompt`);
    }
  });

  it("carries every argument: LoRA, ControlNet with preprocessing, VAE, embedding, refiner", () => {
    const form = {
      ...initialForm(),
      prompt: "a harbour",
      steps: "30",
      cfg: "6.5",
      safetyChecker: false,
      loraModel: "owner/lora",
      loraWeight: "80",
      controlnetModel: "owner/controlnet",
      controlnetWeight: "60",
      controlnetImage: PNG,
      preprocessMethod: "canny",
      preprocessArgs: '{"low_threshold":50,"high_threshold":200}',
      vae: "owner/vae",
      textualInversion: "owner/embedding",
      refinerModel: "owner/refiner",
      refinerCutoff: "70",
      refinerSteps: "20",
    };
    const parsed = parseTaskArgs(taskArgs(form));
    assert.ok(parsed.ok, JSON.stringify(parsed));
    const args = parsed.args;
    assert.deepEqual(args.task_config.steps, 30);
    assert.equal(args.task_config.safety_checker, false);
    assert.deepEqual(args.lora, { model: "owner/lora", weight: 80 });
    assert.deepEqual(args.controlnet?.preprocess, {
      method: "canny",
      args: { low_threshold: 50, high_threshold: 200 },
    });
    assert.deepEqual(args.refiner, { model: "owner/refiner", denoising_cutoff: 70, steps: 20 });
    // Remix: the same form back from the arguments.
    assert.deepEqual(formFromArgs(args), form);
  });

  it("shows each schema error at its field, the root's above the button", () => {
    const form = {
      ...initialForm(),
      prompt: "x",
      width: "100",
      loraModel: "owner/lora",
      loraWeight: "500",
      controlnetModel: "owner/controlnet",
      controlnetImage: PNG,
      preprocessMethod: "canny",
      preprocessArgs: '{"threshold": 3}',
      refinerModel: "not a model",
    };
    const errors = fieldErrors(violations(form));
    assert.match(errors.width?.join() ?? "", /task_config\.image_width/);
    assert.match(errors.loraWeight?.join() ?? "", /lora\.weight/);
    assert.match(errors.preprocessArgs?.join() ?? "", /unknown field "threshold"/);
    assert.match(errors.refinerModel?.join() ?? "", /Hugging Face model id/);
    assert.equal(errors.form, undefined);
    assert.match(fieldErrors([{ path: "", message: "nested too deep" }]).form?.join() ?? "", /nested too deep/);
  });
});
