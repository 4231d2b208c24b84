import { PREPROCESS_ARGS, PREPROCESS_METHODS } from "@hydrogen/sdk";
import type { FormEvent, ReactNode } from "react";
import { type FormField, type FormState, PRESETS } from "../task-form.ts";

export type FieldErrors = Partial<Record<FormField | "form", string[]>>;

interface TaskFormProps {
  form: FormState;
  onChange(form: FormState): void;
  errors: FieldErrors;
  /** Every problem in one list above the button (the fields show theirs too). */
  summary: string[];
  onSubmit(event: FormEvent): void;
  submit: ReactNode;
}

/** The control image from a file: a PNG data URL (the schema refuses anything else, with the reason). */
function readImage(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

/**
 * Every task argument (spec §9): the basics, then the optional parts (LoRA, ControlNet, VAE,
 * textual inversion, refiner) folded away. Each field shows the schema's errors for it.
 */
export function TaskForm({ form, onChange, errors, summary, onSubmit, submit }: TaskFormProps) {
  const set = (patch: Partial<FormState>) => onChange({ ...form, ...patch });
  const bind = (name: Exclude<FormField, "safetyChecker">) => ({
    name,
    value: form[name],
    "aria-invalid": errors[name] ? true : undefined,
    onChange: (e: { target: { value: string } }) => set({ [name]: e.target.value }),
  });
  const problems = (name: FormField) =>
    errors[name]?.map((message) => (
      <span key={message} className="field-error" data-testid={`error-${name}`}>
        {message}
      </span>
    ));
  const text = (label: string, name: Exclude<FormField, "safetyChecker">, testId: string, numeric = false) => (
    <label>
      {label}
      <input {...bind(name)} inputMode={numeric ? "decimal" : undefined} data-testid={testId} />
      {problems(name)}
    </label>
  );
  const preprocessKeys = Object.keys(PREPROCESS_ARGS[form.preprocessMethod as keyof typeof PREPROCESS_ARGS] ?? {});
  const optional = Boolean(
    form.loraModel ||
      form.controlnetModel ||
      form.controlnetImage ||
      form.vae ||
      form.textualInversion ||
      form.refinerModel,
  );

  return (
    <form onSubmit={onSubmit} data-testid="task-form" noValidate>
      <label>
        Preset
        <select
          data-testid="preset"
          value=""
          onChange={(e) => {
            const preset = PRESETS.find((p) => p.name === e.target.value);
            if (preset) onChange(preset.apply(form));
          }}
        >
          <option value="">choose a starting point…</option>
          {PRESETS.map((preset) => (
            <option key={preset.name} value={preset.name}>
              {preset.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Prompt
        <textarea {...bind("prompt")} rows={3} placeholder="a lighthouse at dawn" data-testid="prompt" />
        {problems("prompt")}
      </label>
      {text("Negative prompt", "negativePrompt", "negative-prompt")}
      {text("Model", "model", "model")}
      <div className="row">
        {text("Width", "width", "width", true)}
        {text("Height", "height", "height", true)}
        {text("Seed", "seed", "seed", true)}
        {text("Images", "numImages", "num-images", true)}
      </div>
      <div className="row">
        {text("Steps", "steps", "steps", true)}
        {text("CFG", "cfg", "cfg", true)}
        <label className="check">
          <input
            type="checkbox"
            checked={form.safetyChecker}
            onChange={(e) => set({ safetyChecker: e.target.checked })}
            data-testid="safety-checker"
          />
          Safety checker
          {problems("safetyChecker")}
        </label>
      </div>
      <details open={optional} data-testid="advanced">
        <summary>LoRA, ControlNet, VAE, embedding, refiner</summary>
        <fieldset>
          <legend>LoRA</legend>
          {text("Model", "loraModel", "lora-model")}
          {text("Weight (%)", "loraWeight", "lora-weight", true)}
        </fieldset>
        <fieldset>
          <legend>ControlNet</legend>
          {text("Model", "controlnetModel", "controlnet-model")}
          {text("Weight (%)", "controlnetWeight", "controlnet-weight", true)}
          <label>
            Control image (PNG)
            <input
              type="file"
              accept="image/png"
              data-testid="controlnet-image"
              onChange={(e) => {
                const file = e.target.files?.[0];
                if (file) void readImage(file).then((controlnetImage) => set({ controlnetImage }));
              }}
            />
            {form.controlnetImage && <img className="control-preview" src={form.controlnetImage} alt="control" />}
            {problems("controlnetImage")}
          </label>
          <label>
            Preprocessing
            <select {...bind("preprocessMethod")} data-testid="preprocess-method">
              <option value="">none (the image is the control)</option>
              {PREPROCESS_METHODS.map((method) => (
                <option key={method} value={method}>
                  {method}
                </option>
              ))}
            </select>
            {problems("preprocessMethod")}
          </label>
          {preprocessKeys.length > 0 && (
            <label>
              {`Preprocessing arguments (JSON: ${preprocessKeys.join(", ")})`}
              <input {...bind("preprocessArgs")} data-testid="preprocess-args" />
              {problems("preprocessArgs")}
            </label>
          )}
        </fieldset>
        <fieldset>
          <legend>VAE and embedding</legend>
          {text("VAE", "vae", "vae")}
          {text("Textual inversion", "textualInversion", "textual-inversion")}
        </fieldset>
        <fieldset>
          <legend>Refiner (SDXL)</legend>
          {text("Model", "refinerModel", "refiner-model")}
          {text("Denoising cutoff (% of steps on the base)", "refinerCutoff", "refiner-cutoff", true)}
          {text("Steps", "refinerSteps", "refiner-steps", true)}
        </fieldset>
      </details>
      {summary.length > 0 && (
        <ul className="error" role="alert" data-testid="form-error">
          {summary.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}
      {submit}
    </form>
  );
}
