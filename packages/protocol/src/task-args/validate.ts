import Ajv2020, { type ErrorObject } from "ajv/dist/2020.js";
import { type Hex, keccak256, stringToBytes } from "viem";
import { MAX_JSON_DEPTH, parseStrictJson } from "../json/strict.ts";
import { TASK_ARGS_LIMITS, TASK_ARGS_MAX_BYTES, utf8Bytes } from "./limits.ts";
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
 * Validates task arguments (spec §9) and applies the defaults. Returns every violation, each
 * with its path; unknown fields are violations (a typo must not silently change a task).
 * The input is not modified.
 *
 * @example
 * const parsed = parseTaskArgs({ base_model: "stable-diffusion-v1-5/stable-diffusion-v1-5", prompt: "a cat", task_config: { seed: 42 } });
 * if (parsed.ok) parsed.args.task_config.num_images; // 6
 */
export function parseTaskArgs(input: unknown): ParseTaskArgsResult {
  // Checked before anything recursive (structuredClone, the validator) runs on it.
  if (deeperThan(input, MAX_JSON_DEPTH)) {
    return { ok: false, violations: [{ path: "", message: `nested deeper than ${MAX_JSON_DEPTH} levels` }] };
  }
  const args = structuredClone(input);
  if (check(args)) {
    const image = (args as TaskArgs).controlnet?.image_dataurl;
    const problem = image === undefined ? undefined : controlImageProblem(image);
    if (problem) return { ok: false, violations: [{ path: "controlnet.image_dataurl", message: problem }] };
    return { ok: true, args: args as unknown as TaskArgs };
  }
  const violations = (check.errors ?? [])
    // anyOf's branch errors repeat what the anyOf message says in one line.
    .filter((e) => !(e.keyword === "pattern" && e.schemaPath.includes("/anyOf/")))
    // "must match the then schema" repeats the violation inside it.
    .filter((e) => e.keyword !== "if")
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
  // Bounded before it is parsed (spec §9): a string's UTF-8 size is at most 3 bytes per UTF-16 unit.
  const bytes = json.length * 3 > TASK_ARGS_MAX_BYTES ? utf8Bytes(json) : json.length;
  if (bytes > TASK_ARGS_MAX_BYTES) {
    return {
      ok: false,
      violations: [{ path: "", message: `${bytes} bytes is more than the ${TASK_ARGS_MAX_BYTES}-byte limit` }],
    };
  }
  let value: unknown;
  try {
    // No duplicate keys: a node that keeps the first value must read the same arguments.
    value = parseStrictJson(json);
  } catch (error) {
    return { ok: false, violations: [{ path: "", message: (error as Error).message }] };
  }
  return parseTaskArgs(value);
}

/**
 * The on-chain task hash: keccak256 of the exact UTF-8 bytes of the arguments string (spec §3).
 *
 * @example
 * taskHash('{"prompt":"a cat"}')
 */
export function taskHash(argsJson: string): Hex {
  return keccak256(stringToBytes(argsJson));
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * What the schema cannot say about the ControlNet image: its decoded size, that it starts as a
 * PNG does (signature, then IHDR), and its dimensions — read from the first 24 bytes only.
 */
function controlImageProblem(dataUrl: string): string | undefined {
  const base64 = dataUrl.slice(dataUrl.indexOf(",") + 1);
  const padding = base64.endsWith("==") ? 2 : base64.endsWith("=") ? 1 : 0;
  const decoded = (base64.length / 4) * 3 - padding;
  if (base64.length % 4 !== 0) return "is not valid base64 (its length is not a multiple of 4)";
  if (decoded > TASK_ARGS_LIMITS.controlImageBytes) {
    return `the image is ${decoded} bytes, more than the ${TASK_ARGS_LIMITS.controlImageBytes}-byte limit`;
  }
  const head = base64ToBytes(base64.slice(0, 32));
  if (head.length < 24 || !PNG_SIGNATURE.every((b, i) => head[i] === b)) return "is not a PNG image";
  if (String.fromCharCode(...head.subarray(12, 16)) !== "IHDR") return "is not a PNG image (no IHDR chunk first)";
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const side = TASK_ARGS_LIMITS.controlImageSide;
  if (width < 1 || height < 1 || width > side || height > side) {
    return `the image is ${width}×${height} pixels; each side must be 1…${side}`;
  }
  return undefined;
}

function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** Whether a value nests objects or arrays deeper than `limit`, found without recursion. */
function deeperThan(value: unknown, limit: number): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  const seen = new Set<object>();
  while (pending.length > 0) {
    const [item, depth] = pending.pop() as [unknown, number];
    if (typeof item !== "object" || item === null || seen.has(item)) continue;
    if (depth >= limit) return true;
    seen.add(item);
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return false;
}
