import Ajv2020, { type ErrorObject } from "ajv/dist/2020.js";
import { type Hex, keccak256, stringToBytes } from "viem";
import { taskArgsSchema } from "./schema.ts";
import type { TaskArgs } from "./types.ts";

/** One thing wrong with task arguments: where (a JSON path like `task_config.seed`) and what. */
export interface TaskArgsViolation {
  path: string;
  message: string;
}

export type ParseTaskArgsResult = { ok: true; args: TaskArgs } | { ok: false; violations: TaskArgsViolation[] };

// Defaults are applied by the validator itself, from the schema: the one documented place.
const ajv = new Ajv2020.default({ allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true });
const check = ajv.compile(taskArgsSchema);

function jsonPath(pointer: string): string {
  return pointer
    .split("/")
    .slice(1)
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
    .join("")
    .replace(/^\./, "");
}

function describe(error: ErrorObject): TaskArgsViolation {
  const path = jsonPath(error.instancePath);
  const where = (field: string) => (path ? `${path}.${field}` : field);
  switch (error.keyword) {
    case "additionalProperties": {
      const field = (error.params as { additionalProperty: string }).additionalProperty;
      return { path: where(field), message: `unknown field "${field}"` };
    }
    case "required": {
      const field = (error.params as { missingProperty: string }).missingProperty;
      return { path: where(field), message: `"${field}" is required` };
    }
    case "anyOf":
      return { path, message: "must be a Hugging Face model id (owner/name) or an https URL of a .safetensors file" };
    case "pattern":
      if (path === "prompt") return { path, message: "must not be empty" };
      if (path.endsWith("image_dataurl")) return { path, message: "must be a PNG data URL (data:image/png;base64,…)" };
      return { path, message: `does not have the expected form` };
    case "enum":
      return {
        path,
        message: `must be one of ${(error.params as { allowedValues: string[] }).allowedValues.join(", ")}`,
      };
    default:
      return { path, message: error.message ?? "is invalid" };
  }
}

/**
 * Validates task arguments (SPEC §9) and applies the defaults. Returns every violation, each
 * with its path; unknown fields are violations (a typo must not silently change a task).
 * The input is not modified.
 *
 * @example
 * const parsed = parseTaskArgs({ base_model: "stable-diffusion-v1-5/stable-diffusion-v1-5", prompt: "a cat", task_config: { seed: 42 } });
 * if (parsed.ok) parsed.args.task_config.num_images; // 6
 */
export function parseTaskArgs(input: unknown): ParseTaskArgsResult {
  const args = structuredClone(input);
  if (check(args)) return { ok: true, args: args as unknown as TaskArgs };
  const violations = (check.errors ?? [])
    // anyOf's branch errors repeat what the anyOf message says in one line.
    .filter((e) => !(e.keyword === "pattern" && e.schemaPath.includes("/anyOf/")))
    .map(describe);
  const unique = new Map(violations.map((v) => [`${v.path}\u0000${v.message}`, v]));
  return { ok: false, violations: [...unique.values()] };
}

/**
 * `parseTaskArgs` for the exact JSON string an application uploads; malformed JSON is a violation.
 *
 * @example
 * parseTaskArgsJson('{"prompt": ')  // { ok: false, violations: [{ path: "", message: "not valid JSON: …" }] }
 */
export function parseTaskArgsJson(json: string): ParseTaskArgsResult {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    return { ok: false, violations: [{ path: "", message: `not valid JSON: ${(error as Error).message}` }] };
  }
  return parseTaskArgs(value);
}

/**
 * The on-chain task hash: keccak256 of the exact UTF-8 bytes of the arguments string (SPEC §3).
 *
 * @example
 * taskHash('{"prompt":"a cat"}')
 */
export function taskHash(argsJson: string): Hex {
  return keccak256(stringToBytes(argsJson));
}
