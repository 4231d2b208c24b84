export { DEV_MNEMONIC, type DevAccount, devAccount, devKey, ROLES } from "@hydrogen/testnet";
export { type Devnet, type DevnetNode, type DevnetOptions, startDevnet } from "./devnet.ts";
