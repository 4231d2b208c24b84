export {
  ConfigError,
  configFileArgument,
  type EnvironmentMap,
  type LayeredConfigOptions,
  loadLayeredConfig,
  logConfigSchema,
  parseWith,
} from "./config.ts";
export { runCommand, Shutdown, waitForSignal } from "./shutdown.ts";
