export { ConfigError, type EnvironmentMap, type LayeredConfigOptions, loadLayeredConfig, parseWith } from "./config.ts";
export { Shutdown, waitForSignal } from "./shutdown.ts";
