export {
  ConfigError,
  configFileArgument,
  type EnvironmentMap,
  type LayeredConfigOptions,
  loadLayeredConfig,
  logConfigSchema,
  parseWith,
} from "./config.ts";
export { type DeploymentRef, readDeploymentFile } from "./deployment.ts";
export { runCommand, Shutdown, waitForSignal } from "./shutdown.ts";
