import { bytesToHex, type Hex } from "viem";
import { type HDAccount, mnemonicToAccount } from "viem/accounts";

/** anvil's well-known development mnemonic: its accounts hold 10,000 ETH each. Never use it on a real chain. */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

/** Which development account does what (anvil's HD indices). */
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

export interface DevAccount {
  role: string;
  address: `0x${string}`;
  privateKey: Hex;
}

/** The HD account at `index` of the development mnemonic. */
export function devAccount(index: number): HDAccount {
  return mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index });
}

/** The private key of development account `index` (public knowledge: anvil prints them). */
export function devKey(index: number): Hex {
  const key = devAccount(index).getHdKey().privateKey;
  if (!key) throw new Error(`no private key for development account ${index}`);
  return bytesToHex(key);
}

export function describeAccount(role: string, index: number): DevAccount {
  return { role, address: devAccount(index).address, privateKey: devKey(index) };
}
