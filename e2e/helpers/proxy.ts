// The node's tests already have the TCP proxy the whole-network faults need.
export { startProxy } from "../../packages/node/test/helpers/proxy.ts";
