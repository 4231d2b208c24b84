export { DeployError, type DeployOptions, deployHydrogen } from "./deploy.ts";
