/**
 * What other packages' tests use from the node's: a model host and model headers shaped like
 * real ones, and a TCP proxy that injects network faults.
 */

export { checkpoints, kohyaLora, writeHeader } from "./model-headers.ts";
export { type ModelHost, safetensors, startModelHost } from "./model-host.ts";
export { startProxy } from "./proxy.ts";
