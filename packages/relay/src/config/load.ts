import { ConfigError, type EnvironmentMap, loadLayeredConfig, parseWith } from "@hydrogen/chain";
import { type RelayConfig, type RelayConfigInput, relayConfigSchema } from "./schema.ts";

export { ConfigError };

/** Environment variables and the config paths they set. */
export const ENVIRONMENT = {
  RELAY_HOST: { path: ["listen", "host"] },
  RELAY_PORT: { path: ["listen", "port"], number: true },
  RELAY_RPC_URL: { path: ["chain", "rpcUrl"] },
  RELAY_WS_URL: { path: ["chain", "wsUrl"] },
  RELAY_CHAIN_ID: { path: ["chain", "chainId"], number: true },
  RELAY_TASK_MANAGER: { path: ["chain", "taskManager"] },
  RELAY_FROM_BLOCK: { path: ["chain", "fromBlock"], number: true },
  RELAY_CONFIRMATIONS: { path: ["chain", "confirmations"], number: true },
  RELAY_DATABASE_URL: { path: ["database", "url"] },
  RELAY_IMAGE_STORE: { path: ["images", "store"] },
  RELAY_IMAGE_DIR: { path: ["images", "dir"] },
  RELAY_RETENTION_SECONDS: { path: ["retention", "afterEndSeconds"], number: true },
  RELAY_LOG_LEVEL: { path: ["log", "level"] },
  RELAY_WORKERS: { path: ["workers"], number: true },
  RELAY_RATE_LIMIT_PER_ADDRESS: { path: ["rateLimit", "perAddress"], number: true },
  RELAY_RATE_LIMIT_PER_SIGNER: { path: ["rateLimit", "perSigner"], number: true },
  RELAY_HASH_THREADS: { path: ["images", "hashThreads"], number: true },
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
 * const config = loadConfig({ file: process.env.RELAY_CONFIG, env: process.env });
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
