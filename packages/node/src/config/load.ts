import { ConfigError, type EnvironmentMap, loadLayeredConfig, parseWith } from "@hydrogen/service";
import { type NodeConfig, type NodeConfigInput, nodeConfigSchema } from "./schema.ts";

export { ConfigError };

/** Environment variables and the config paths they set (the key and passwords are read separately, see wallet). */
export const ENVIRONMENT = {
  HYDROGEN_NODE_DATA_DIR: { path: ["dataDir"] },
  HYDROGEN_NODE_RPC_URL: { path: ["chain", "rpcUrl"] },
  HYDROGEN_NODE_WS_URL: { path: ["chain", "wsUrl"] },
  HYDROGEN_NODE_CHAIN_ID: { path: ["chain", "chainId"], number: true },
  HYDROGEN_NODE_DEPLOYMENT: { path: ["chain", "deployment"] },
  HYDROGEN_NODE_TASK_MANAGER: { path: ["chain", "taskManager"] },
  HYDROGEN_NODE_FROM_BLOCK: { path: ["chain", "fromBlock"], number: true },
  HYDROGEN_NODE_CONFIRMATIONS: { path: ["chain", "confirmations"], number: true },
  HYDROGEN_NODE_KEYSTORE: { path: ["wallet", "keystore"] },
  HYDROGEN_NODE_KEYSTORE_PASSWORD_FILE: { path: ["wallet", "passwordFile"] },
  HYDROGEN_NODE_RELAY_URL: { path: ["relay", "url"] },
  HYDROGEN_NODE_ON_START: { path: ["staking", "onStart"] },
  HYDROGEN_NODE_ENGINE: { path: ["engine", "kind"] },
  HYDROGEN_NODE_SYNTHETIC_NOISE: { path: ["engine", "noise"], number: true },
  HYDROGEN_NODE_SYNTHETIC_DISHONEST: { path: ["engine", "dishonest"], boolean: true },
  HYDROGEN_NODE_SYNTHETIC_DELAY_MS: { path: ["engine", "delayMs"], number: true },
  HYDROGEN_NODE_COMFYUI_URL: { path: ["engine", "url"] },
  HYDROGEN_NODE_MODELS_DIR: { path: ["models", "cacheDir"] },
  HYDROGEN_NODE_MODELS_BUDGET_GB: { path: ["models", "diskBudgetGb"], number: true },
  HYDROGEN_NODE_MODELS_PROXY: { path: ["models", "proxy"] },
  HYDROGEN_NODE_HF_TOKEN: { path: ["models", "hfToken"] },
  HYDROGEN_NODE_API_HOST: { path: ["api", "host"] },
  HYDROGEN_NODE_API_PORT: { path: ["api", "port"], number: true },
  HYDROGEN_NODE_API_TOKEN_FILE: { path: ["api", "tokenFile"] },
  HYDROGEN_NODE_LOG_LEVEL: { path: ["log", "level"] },
} as const satisfies EnvironmentMap;

/**
 * Validates a configuration object (defaults filled in) or throws ConfigError listing each problem.
 *
 * @example
 * parseConfig({ chain: { rpcUrl, chainId: 31337, taskManager }, relay: { url } })
 */
export function parseConfig(input: NodeConfigInput | unknown): NodeConfig {
  return parseWith("node", nodeConfigSchema, input);
}

/**
 * The configuration from an optional JSON file, then the environment (which wins), validated.
 * The API token may also come from HYDROGEN_NODE_API_TOKEN (kept out of files on purpose).
 */
export function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv } = {}): NodeConfig {
  const environment = { ...ENVIRONMENT, HYDROGEN_NODE_API_TOKEN: { path: ["api", "token"] } };
  return loadLayeredConfig({ service: "node", schema: nodeConfigSchema, environment, ...options });
}

/** The configuration as safe to log or show: the API token masked. */
export function redactConfig(config: NodeConfig): NodeConfig {
  return { ...config, api: { ...config.api, token: config.api.token ? "***" : undefined } };
}
