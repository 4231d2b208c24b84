export { ChainSync, LeaseLostError } from "./chain/sync.ts";
export { runRelay } from "./cli.ts";
export { ConfigError, ENVIRONMENT, loadConfig, parseConfig, redactConfig } from "./config/load.ts";
export { type RelayConfig, type RelayConfigInput, relayConfigSchema } from "./config/schema.ts";
export { openDatabase } from "./db/connect.ts";
export { RELAY_VERSION, type Relay, startRelay } from "./relay.ts";
