import { ConfigError, type EnvironmentMap, loadLayeredConfig, parseWith } from "@hydrogen/service";
import { type RelayConfig, type RelayConfigInput, relayConfigSchema } from "./schema.ts";

export { ConfigError };

/** Environment variables and the config paths they set. */
export const ENVIRONMENT = {
  HYDROGEN_RELAY_HOST: { path: ["listen", "host"] },
  HYDROGEN_RELAY_PORT: { path: ["listen", "port"], number: true },
  HYDROGEN_RELAY_RPC_URL: { path: ["chain", "rpcUrl"] },
  HYDROGEN_RELAY_WS_URL: { path: ["chain", "wsUrl"] },
  HYDROGEN_RELAY_CHAIN_ID: { path: ["chain", "chainId"], number: true },
  HYDROGEN_RELAY_DEPLOYMENT: { path: ["chain", "deployment"] },
  HYDROGEN_RELAY_TASK_MANAGER: { path: ["chain", "taskManager"] },
  HYDROGEN_RELAY_FROM_BLOCK: { path: ["chain", "fromBlock"], number: true },
  HYDROGEN_RELAY_CONFIRMATIONS: { path: ["chain", "confirmations"], number: true },
  HYDROGEN_RELAY_DATABASE_URL: { path: ["database", "url"] },
  HYDROGEN_RELAY_IMAGE_STORE: { path: ["images", "store"] },
  HYDROGEN_RELAY_IMAGE_DIR: { path: ["images", "dir"] },
  HYDROGEN_RELAY_RETENTION_SECONDS: { path: ["retention", "afterEndSeconds"], number: true },
  HYDROGEN_RELAY_LOG_LEVEL: { path: ["log", "level"] },
  HYDROGEN_RELAY_WORKERS: { path: ["workers"], number: true },
  HYDROGEN_RELAY_RATE_LIMIT_PER_ADDRESS: { path: ["rateLimit", "perAddress"], number: true },
  HYDROGEN_RELAY_RATE_LIMIT_PER_SIGNER: { path: ["rateLimit", "perSigner"], number: true },
  HYDROGEN_RELAY_HASH_THREADS: { path: ["images", "hashThreads"], number: true },
} as const satisfies EnvironmentMap;

/**
 * Validates a configuration object (defaults filled in) or throws ConfigError listing each problem.
 *
 * @example
 * parseConfig({ chain: { rpcUrl, chainId: 31337, taskManager }, database: { url: "sqlite:relay.db" } })
 */
export function parseConfig(input: RelayConfigInput | unknown): RelayConfig {
  return parseWith("relay", relayConfigSchema, input);
}

/**
 * The configuration from an optional JSON file, then the environment (which wins), validated.
 *
 * @example
 * const config = loadConfig({ file: process.env.HYDROGEN_RELAY_CONFIG, env: process.env });
 */
export function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv } = {}): RelayConfig {
  return loadLayeredConfig({ service: "relay", schema: relayConfigSchema, environment: ENVIRONMENT, ...options });
}

/** The configuration with secrets (database password) masked, for logs. */
export function redactConfig(config: RelayConfig): RelayConfig {
  return {
    ...config,
    database: { ...config.database, url: config.database.url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@") },
  };
}
