export * from "./abi/index.ts";
export * from "./api/index.ts";
export * from "./auth/index.ts";
export * from "./consensus/index.ts";
export * from "./deployments.ts";
export { MAX_JSON_DEPTH, parseStrictJson, StrictJsonError, type StrictJsonErrorCode } from "./json/strict.ts";
export * from "./permit.ts";
export * from "./phash/index.ts";
export * from "./task-args/index.ts";
