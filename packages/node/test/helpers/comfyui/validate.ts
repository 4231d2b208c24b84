/** A workflow checked against `/object_info` as ComfyUI's `validate_prompt` checks it, stricter about unknown inputs. */
export interface NodeError {
  type: string;
  message: string;
  details: string;
  extra_info: { input_name?: string };
}

type Info = Record<
  string,
  {
    input: { required?: Record<string, unknown[]>; optional?: Record<string, unknown[]> };
    output: string[];
    output_node?: boolean;
  }
>;
type Graph = Record<string, { class_type?: unknown; inputs?: Record<string, unknown> }>;

export function validateWorkflow(
  graph: Graph,
  info: Info,
): {
  error?: { type: string; message: string };
  nodeErrors: Record<string, { errors: NodeError[]; class_type: string }>;
} {
  const nodeErrors: Record<string, { errors: NodeError[]; class_type: string }> = {};
  for (const node of Object.values(graph)) {
    const classType = String(node.class_type);
    if (!info[classType]) {
      return {
        error: {
          type: "missing_node_type",
          message: `Node '${classType}' not found. The custom node may not be installed.`,
        },
        nodeErrors,
      };
    }
  }
  if (!Object.values(graph).some((n) => info[String(n.class_type)]?.output_node)) {
    return { error: { type: "prompt_no_outputs", message: "Prompt has no outputs" }, nodeErrors };
  }
  for (const [id, node] of Object.entries(graph)) {
    const classType = String(node.class_type);
    const spec = info[classType] as Info[string];
    const inputs = node.inputs ?? {};
    const errors: NodeError[] = [];
    const fail = (type: string, name: string, message: string) =>
      errors.push({ type, message, details: `${name}: ${message}`, extra_info: { input_name: name } });
    const defined = { ...spec.input.required, ...spec.input.optional };
    for (const name of Object.keys(spec.input.required ?? {})) {
      if (!(name in inputs)) fail("required_input_missing", name, "Required input is missing");
    }
    for (const [name, value] of Object.entries(inputs)) {
      const definition = defined[name];
      if (!definition) {
        fail("unknown_input", name, `${classType} has no input ${name}`);
        continue;
      }
      const [type, options = {}] = definition as [unknown, { min?: number; max?: number }];
      if (Array.isArray(value)) {
        const [source, index] = value as [string, number];
        const from = graph[source];
        const produced = from ? info[String(from.class_type)]?.output[index] : undefined;
        if (produced === undefined) fail("bad_linked_input", name, `links to a missing output ${source}:${index}`);
        else if (produced !== type) fail("return_type_mismatch", name, `expects ${String(type)}, gets ${produced}`);
        continue;
      }
      if (Array.isArray(type)) {
        if (!type.includes(value)) fail("value_not_in_list", name, `Value not in list: ${name}: '${String(value)}'`);
      } else if (type === "INT" || type === "FLOAT") {
        if (typeof value !== "number" || (type === "INT" && !Number.isInteger(value))) {
          fail("invalid_input_type", name, `expects ${type}, got ${JSON.stringify(value)}`);
        } else if (options.min !== undefined && value < options.min) {
          fail("value_smaller_than_min", name, `Value ${value} smaller than min of ${options.min}`);
        } else if (options.max !== undefined && value > options.max) {
          fail("value_bigger_than_max", name, `Value ${value} bigger than max of ${options.max}`);
        }
      } else if (type === "STRING") {
        if (typeof value !== "string") fail("invalid_input_type", name, "expects STRING");
      } else if (type === "BOOLEAN") {
        if (typeof value !== "boolean") fail("invalid_input_type", name, "expects BOOLEAN");
      } else {
        fail("invalid_input_type", name, `expects a link to a ${String(type)} output`);
      }
    }
    if (errors.length > 0) nodeErrors[id] = { errors, class_type: classType };
  }
  if (Object.keys(nodeErrors).length > 0) {
    return {
      error: { type: "prompt_outputs_failed_validation", message: "Prompt outputs failed validation" },
      nodeErrors,
    };
  }
  return { nodeErrors };
}
