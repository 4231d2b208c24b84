export { type DeployOptions, deployHydrogen } from "./deploy.ts";
