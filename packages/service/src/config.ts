import { readFileSync } from "node:fs";
import { z } from "zod";

/** A service's configuration is unusable; `issues` lists every problem with its path. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    message: string,
    readonly issues: string[] = [],
  ) {
    super(issues.length ? `${message}:\n  ${issues.join("\n  ")}` : message);
  }
}

/** Environment variable → the config path it sets, and whether its text is parsed as a number. */
export type EnvironmentMap = Record<string, { path: readonly string[]; number?: boolean; boolean?: boolean }>;

export interface LayeredConfigOptions<S extends z.ZodType> {
  /** Names the service in messages, e.g. "relay". */
  service: string;
  schema: S;
  /** A JSON file read first (optional). */
  file?: string;
  env?: NodeJS.ProcessEnv;
  environment: EnvironmentMap;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== "object" || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

/**
 * Validates a configuration object against `schema` (defaults filled in) or throws ConfigError
 * listing each problem by path.
 */
export function parseWith<S extends z.ZodType>(service: string, schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      `invalid ${service} configuration`,
      parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`),
    );
  }
  return parsed.data;
}

/**
 * A service's configuration: an optional JSON file, then the environment (which wins), validated.
 *
 * @example
 * loadLayeredConfig({ service: "node", schema, file: process.env.HYDROGEN_NODE_CONFIG, env: process.env, environment })
 */
export function loadLayeredConfig<S extends z.ZodType>(options: LayeredConfigOptions<S>): z.output<S> {
  let input: Record<string, unknown> = {};
  if (options.file) {
    let text: string;
    try {
      text = readFileSync(options.file, "utf8");
    } catch (error) {
      throw new ConfigError(`cannot read config file ${options.file}: ${(error as Error).message}`);
    }
    try {
      input = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError(`config file ${options.file} is not JSON: ${(error as Error).message}`);
    }
  }
  const issues: string[] = [];
  for (const [name, spec] of Object.entries(options.environment)) {
    const raw = options.env?.[name];
    if (raw === undefined || raw === "") continue;
    if (spec.number) {
      const value = Number(raw);
      if (!Number.isFinite(value)) issues.push(`${name}: "${raw}" is not a number`);
      else setPath(input, spec.path, value);
    } else if (spec.boolean) {
      if (!["true", "false", "1", "0"].includes(raw)) issues.push(`${name}: "${raw}" is not true or false`);
      else setPath(input, spec.path, raw === "true" || raw === "1");
    } else setPath(input, spec.path, raw);
  }
  if (issues.length) throw new ConfigError(`invalid ${options.service} environment`, issues);
  return parseWith(options.service, options.schema, input);
}

/** The `log` section every service's configuration has: pino's level, "info" by default. */
export const logConfigSchema = z
  .object({ level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info") })
  .strict()
  .prefault({});

/** The configuration file a command names: `--config <file>`, else the variable `envVar`. */
export function configFileArgument(argv: string[], envVar: string, env: NodeJS.ProcessEnv = process.env) {
  const index = argv.indexOf("--config");
  if (index >= 0) return argv[index + 1];
  return env[envVar];
}
