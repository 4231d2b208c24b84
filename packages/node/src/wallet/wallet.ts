import { readFileSync } from "node:fs";
import { Wallet } from "@ethereumjs/wallet";
import { bytesToHex, type Hex } from "viem";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";

/** The node's key could not be loaded; the message never contains the key or the password. */
export class WalletError extends Error {
  override readonly name = "WalletError";
}

export interface WalletSource {
  /** A Web3 Secret Storage (v3) keystore file. */
  keystore?: string;
  /** A file holding the keystore password (trailing newline ignored). */
  passwordFile?: string;
  env: NodeJS.ProcessEnv;
}

/** Where the key came from, for the status page (never the key itself). */
export type WalletKind = "keystore" | "environment";

/**
 * The node's account: decrypted from the keystore with a password from a file or
 * HYDROGEN_NODE_KEYSTORE_PASSWORD, or (devnets) a raw key from HYDROGEN_NODE_PRIVATE_KEY.
 * The keystore wins when both are given.
 *
 * @example
 * const { account } = await loadWallet({ keystore: "key.json", passwordFile: "password", env: process.env });
 */
export async function loadWallet(source: WalletSource): Promise<{ account: PrivateKeyAccount; kind: WalletKind }> {
  if (source.keystore) {
    const password = readPassword(source);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(source.keystore, "utf8"));
    } catch (error) {
      throw new WalletError(`cannot read keystore ${source.keystore}: ${(error as Error).message}`);
    }
    let wallet: Wallet;
    try {
      wallet = await Wallet.fromV3(json as never, password, true);
    } catch (error) {
      const reason = /passphrase|mac/i.test((error as Error).message) ? "wrong password" : "not a valid v3 keystore";
      throw new WalletError(`cannot unlock keystore ${source.keystore}: ${reason}`);
    }
    return { account: privateKeyToAccount(bytesToHex(wallet.getPrivateKey())), kind: "keystore" };
  }
  const raw = source.env.HYDROGEN_NODE_PRIVATE_KEY;
  if (raw) {
    if (!/^0x[0-9a-fA-F]{64}$/.test(raw)) throw new WalletError("HYDROGEN_NODE_PRIVATE_KEY must be 0x + 64 hex digits");
    return { account: privateKeyToAccount(raw as Hex), kind: "environment" };
  }
  throw new WalletError(
    "no key: set wallet.keystore (with wallet.passwordFile or HYDROGEN_NODE_KEYSTORE_PASSWORD), or HYDROGEN_NODE_PRIVATE_KEY on a devnet",
  );
}

function readPassword(source: WalletSource): string {
  if (source.passwordFile) {
    try {
      return readFileSync(source.passwordFile, "utf8").replace(/\r?\n$/, "");
    } catch (error) {
      throw new WalletError(`cannot read password file ${source.passwordFile}: ${(error as Error).message}`);
    }
  }
  const password = source.env.HYDROGEN_NODE_KEYSTORE_PASSWORD;
  if (password === undefined) {
    throw new WalletError("the keystore needs a password: wallet.passwordFile or HYDROGEN_NODE_KEYSTORE_PASSWORD");
  }
  return password;
}

/**
 * A new keystore JSON for `privateKey` (scrypt; `n` lower than the default only for tests).
 *
 * @example
 * writeFileSync("key.json", JSON.stringify(await createKeystore(key, password)));
 */
export async function createKeystore(
  privateKey: Hex,
  password: string,
  options: { n?: number } = {},
): Promise<Awaited<ReturnType<Wallet["toV3"]>>> {
  const wallet = Wallet.fromPrivateKey(Buffer.from(privateKey.slice(2), "hex"));
  return wallet.toV3(password, { kdf: "scrypt", ...(options.n ? { n: options.n } : {}) });
}
