import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createKeystore } from "@hydrogen/node";
import { cnxAbi } from "@hydrogen/protocol";
import { Command } from "commander";
import { type Address, createPublicClient, formatEther, getAddress, type Hex, http, isAddress } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { type ConnectionOptions, connectionOptions, resolveConnection } from "../connection.ts";
import { CliError, EXIT } from "../exit.ts";
import { Output } from "../output.ts";
import { sendCommand } from "./send.ts";

interface KeystoreOptions {
  keystore: string;
  passwordFile?: string;
  force?: boolean;
  json?: boolean;
}

function password(options: KeystoreOptions, env: NodeJS.ProcessEnv): string {
  const value = options.passwordFile
    ? readFileSync(options.passwordFile, "utf8").replace(/\r?\n$/, "")
    : env.HYDROGEN_KEYSTORE_PASSWORD;
  if (!value) throw new CliError("give --password-file FILE or set HYDROGEN_KEYSTORE_PASSWORD");
  if (value.length < 8) throw new CliError("the keystore password must be at least 8 characters");
  return value;
}

async function writeKeystore(key: Hex, options: KeystoreOptions, env: NodeJS.ProcessEnv, out: Output) {
  if (existsSync(options.keystore) && !options.force) {
    throw new CliError(`${options.keystore} exists; refusing to overwrite a key (use --force)`);
  }
  const keystore = await createKeystore(key, password(options, env));
  writeFileSync(options.keystore, `${JSON.stringify(keystore)}\n`, { mode: 0o600 });
  const address = privateKeyToAccount(key).address;
  out.result({ address, keystore: options.keystore }, `${address}\nkeystore written to ${options.keystore}`);
}

function keystoreAddress(file: string): Address {
  let json: { address?: string };
  try {
    json = JSON.parse(readFileSync(file, "utf8")) as { address?: string };
  } catch (error) {
    throw new CliError(`cannot read keystore ${file}: ${(error as Error).message}`);
  }
  const address = json.address?.startsWith("0x") ? json.address : `0x${json.address ?? ""}`;
  if (!isAddress(address)) throw new CliError(`${file} is not a v3 keystore (no address)`);
  return getAddress(address);
}

function keystoreOptions(command: Command): Command {
  return command
    .requiredOption("--keystore <file>", "the v3 keystore file")
    .option("--password-file <file>", "its password (or env HYDROGEN_KEYSTORE_PASSWORD)")
    .option("--force", "overwrite an existing file")
    .option("--json", "print as JSON");
}

export function walletCommand(env: NodeJS.ProcessEnv): Command {
  const wallet = new Command("wallet").description("keys for applications and nodes (v3 keystores)");
  keystoreOptions(wallet.command("new").description("create a new key in a keystore")).action(
    (options: KeystoreOptions) => writeKeystore(generatePrivateKey(), options, env, new Output(Boolean(options.json))),
  );
  keystoreOptions(
    wallet.command("import").description("put an existing key (from env HYDROGEN_PRIVATE_KEY) into a keystore"),
  ).action((options: KeystoreOptions) => {
    const key = env.HYDROGEN_PRIVATE_KEY;
    if (!key || !/^0x[0-9a-fA-F]{64}$/.test(key)) {
      throw new CliError(
        "set HYDROGEN_PRIVATE_KEY to the 0x-prefixed 32-byte key to import (not a flag: shells keep history)",
      );
    }
    return writeKeystore(key as Hex, options, env, new Output(Boolean(options.json)));
  });
  wallet
    .command("address")
    .description("the address of a keystore (no password needed)")
    .requiredOption("--keystore <file>", "the v3 keystore file")
    .option("--json", "print as JSON")
    .action((options: { keystore: string; json?: boolean }) => {
      const address = keystoreAddress(options.keystore);
      new Output(Boolean(options.json)).result({ address }, address);
    });
  connectionOptions(
    wallet
      .command("balance")
      .description("ETH (for gas) and CNX of an address or keystore")
      .argument("[address]", "the address (default: --keystore's)")
      .option("--json", "print as JSON"),
    false,
  )
    .option("--keystore <file>", "take the address from this keystore")
    .action(async (given: string | undefined, options: ConnectionOptions & { json?: boolean; keystore?: string }) => {
      const address = given ?? (options.keystore ? keystoreAddress(options.keystore) : undefined);
      if (!address || !isAddress(address))
        throw new CliError(`give an address or --keystore (got ${address ?? "nothing"})`);
      const connection = await resolveConnection(options, env);
      const client = createPublicClient({ transport: http(connection.rpcUrl) });
      const [eth, cnx] = await Promise.all([
        client.getBalance({ address }),
        client.readContract({
          address: connection.deployment.contracts.CNX,
          abi: cnxAbi,
          functionName: "balanceOf",
          args: [address],
        }),
      ]).catch((error: Error) => {
        throw new CliError(
          `cannot read balances from ${connection.rpcUrl}: ${error.message.split("\n")[0]}`,
          EXIT.unavailable,
        );
      });
      new Output(Boolean(options.json)).result(
        { address, eth: eth.toString(), cnx: (cnx as bigint).toString() },
        `${address}\n  ETH ${formatEther(eth)}\n  CNX ${formatEther(cnx as bigint)}`,
      );
    });
  sendCommand(wallet, env);
  return wallet;
}
