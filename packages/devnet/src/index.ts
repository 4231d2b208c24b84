export { DEV_MNEMONIC, type DevAccount, devAccount, devKey, ROLES } from "@hydrogen/testnet";
export { type Devnet, type DevnetNode, type DevnetOptions, startDevnet } from "./devnet.ts";
export { NETWORK_API_TOKEN, type Network, NetworkNode, type NetworkOptions, startNetwork, wsUrlOf } from "./network.ts";
export { Service, waitFor } from "./service.ts";
