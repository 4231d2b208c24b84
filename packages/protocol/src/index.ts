export * from "./abi/index.ts";
export * from "./deployments.ts";
