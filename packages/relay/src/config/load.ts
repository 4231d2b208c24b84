import { readFileSync } from "node:fs";
import { type RelayConfig, type RelayConfigInput, relayConfigSchema } from "./schema.ts";

/** The configuration is unusable; `issues` lists every problem with its path. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    message: string,
    readonly issues: string[] = [],
  ) {
    super(issues.length ? `${message}:\n  ${issues.join("\n  ")}` : message);
  }
}

/** Environment variables and the config paths they set; numbers are parsed, the rest kept as text. */
export const ENVIRONMENT = {
  RELAY_HOST: ["listen", "host"],
  RELAY_PORT: ["listen", "port"],
  RELAY_RPC_URL: ["chain", "rpcUrl"],
  RELAY_WS_URL: ["chain", "wsUrl"],
  RELAY_CHAIN_ID: ["chain", "chainId"],
  RELAY_TASK_MANAGER: ["chain", "taskManager"],
  RELAY_FROM_BLOCK: ["chain", "fromBlock"],
  RELAY_CONFIRMATIONS: ["chain", "confirmations"],
  RELAY_DATABASE_URL: ["database", "url"],
  RELAY_IMAGE_STORE: ["images", "store"],
  RELAY_IMAGE_DIR: ["images", "dir"],
  RELAY_RETENTION_SECONDS: ["retention", "afterEndSeconds"],
  RELAY_LOG_LEVEL: ["log", "level"],
  RELAY_WORKERS: ["workers"],
} as const satisfies Record<string, readonly string[]>;

const NUMERIC = new Set(["port", "chainId", "fromBlock", "confirmations", "afterEndSeconds", "workers"]);

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== "object" || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

/**
 * Validates a configuration object (defaults filled in) or throws ConfigError listing each problem.
 *
 * @example
 * parseConfig({ chain: { rpcUrl, chainId: 31337, taskManager }, database: { url: "sqlite:relay.db" } })
 */
export function parseConfig(input: unknown): RelayConfig {
  const parsed = relayConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      "invalid relay configuration",
      parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`),
    );
  }
  return parsed.data;
}

/**
 * The configuration from an optional JSON file, then the environment (which wins), validated.
 *
 * @example
 * const config = loadConfig({ file: process.env.RELAY_CONFIG, env: process.env });
 */
export function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv } = {}): RelayConfig {
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
  for (const [name, path] of Object.entries(ENVIRONMENT)) {
    const raw = options.env?.[name];
    if (raw === undefined || raw === "") continue;
    const key = path[path.length - 1] as string;
    const value = NUMERIC.has(key) ? Number(raw) : raw;
    if (typeof value === "number" && !Number.isFinite(value)) issues.push(`${name}: "${raw}" is not a number`);
    else setPath(input, path, value);
  }
  if (issues.length) throw new ConfigError("invalid relay environment", issues);
  return parseConfig(input as RelayConfigInput);
}

/** The configuration with secrets (database password) masked, for logs. */
export function redactConfig(config: RelayConfig): RelayConfig {
  return {
    ...config,
    database: { ...config.database, url: config.database.url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@") },
  };
}
