import { bytesToHex, type Hex } from "viem";
import { type HDAccount, mnemonicToAccount } from "viem/accounts";

/** anvil's well-known development mnemonic: its accounts hold 10,000 ETH each. Never use it on a real chain. */
export const DEVNET_MNEMONIC = "test test test test test test test test test test test junk";

/** Which devnet account does what (anvil's HD indices). */
export const ROLES = {
  deployer: 0,
  incentivePool: 1,
  /** The CLI's default application account. */
  app: 2,
  /** The web app's burner wallet. */
  burner: 3,
  /** Node `i` is index `firstNode + i`. */
  firstNode: 4,
} as const;

export interface DevnetAccount {
  role: string;
  address: `0x${string}`;
  privateKey: Hex;
}

/** The HD account at `index` of the devnet mnemonic. */
export function devnetAccount(index: number): HDAccount {
  return mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: index });
}

/** The private key of devnet account `index` (public knowledge: anvil prints them). */
export function devnetKey(index: number): Hex {
  const key = devnetAccount(index).getHdKey().privateKey;
  if (!key) throw new Error(`no private key for devnet account ${index}`);
  return bytesToHex(key);
}

export function describeAccount(role: string, index: number): DevnetAccount {
  return { role, address: devnetAccount(index).address, privateKey: devnetKey(index) };
}
