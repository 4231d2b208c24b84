export { DEVNET_MNEMONIC, type DevnetAccount, devnetAccount, devnetKey, ROLES } from "./accounts.ts";
export { type Devnet, type DevnetNode, type DevnetOptions, startDevnet } from "./devnet.ts";
