import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadWallet, WalletError } from "@hydrogen/node";
import { type Deployment, deploymentFileName } from "@hydrogen/protocol";
import { createHydrogenClient, type HydrogenClient, WrongChainError } from "@hydrogen/sdk";
import type { Command } from "commander";
import { type Account, createPublicClient, createWalletClient, defineChain, type Hex, http } from "viem";
import { CliError, EXIT } from "./exit.ts";

/** Where `hydrogen devnet` keeps its state by default (relative to the working directory). */
export const DEFAULT_DEVNET_DIR = ".hydrogen/devnet";

export interface ConnectionOptions {
  rpc?: string;
  relay?: string;
  deployment?: string;
  keystore?: string;
  passwordFile?: string;
  devnet?: string;
}

/** Adds the options that say which chain, relay and account a command uses. */
export function connectionOptions(command: Command, withAccount = true): Command {
  command
    .option("--rpc <url>", "JSON-RPC endpoint (env HYDROGEN_RPC_URL; default: the running devnet's)")
    .option("--relay <url>", "relay URL (env HYDROGEN_RELAY_URL; default: the running devnet's)")
    .option("--deployment <file>", "deployments/<chainId>.json (env HYDROGEN_DEPLOYMENT)")
    .option("--devnet <dir>", "a devnet's state directory to take defaults from", DEFAULT_DEVNET_DIR);
  if (withAccount) {
    command
      .option("--keystore <file>", "v3 keystore of the account (env HYDROGEN_KEYSTORE); or set HYDROGEN_PRIVATE_KEY")
      .option("--password-file <file>", "the keystore's password (or env HYDROGEN_KEYSTORE_PASSWORD)");
  }
  return command;
}

interface DevnetState {
  rpcUrl: string;
  relayUrl: string;
  deploymentFile: string;
  app: { privateKey: Hex };
}

function devnetState(dir: string | undefined): DevnetState | undefined {
  const file = join(resolve(dir ?? DEFAULT_DEVNET_DIR), "devnet.json");
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, "utf8")) as DevnetState;
}

export interface Connection {
  rpcUrl: string;
  relayUrl: string | undefined;
  deployment: Deployment;
  account: Account | undefined;
  /** Whether the defaults came from a running devnet. */
  devnet: boolean;
}

/** Resolves flags, then environment (empty means unset), then a running devnet's state, into a connection. */
export async function resolveConnection(
  options: ConnectionOptions,
  env: NodeJS.ProcessEnv,
  needs: { account?: boolean; relay?: boolean } = {},
): Promise<Connection> {
  const state = devnetState(options.devnet);
  const rpcUrl = options.rpc || env.HYDROGEN_RPC_URL || state?.rpcUrl;
  if (!rpcUrl) throw new CliError("no chain: give --rpc URL (or HYDROGEN_RPC_URL), or start `hydrogen devnet`");
  const relayUrl = options.relay || env.HYDROGEN_RELAY_URL || state?.relayUrl;
  if (needs.relay && !relayUrl) throw new CliError("no relay: give --relay URL (or HYDROGEN_RELAY_URL)");
  const deployment = await readDeployment(
    options.deployment || env.HYDROGEN_DEPLOYMENT || state?.deploymentFile,
    rpcUrl,
  );
  let account: Account | undefined;
  if (needs.account) {
    account = await loadAccount(options, env, state);
  }
  return { rpcUrl, relayUrl, deployment, account, devnet: Boolean(state) && rpcUrl === state?.rpcUrl };
}

/**
 * The deployment: the file given, else `deployments/<chainId>.json` for the RPC's chain. Either
 * way the RPC must serve the deployment's chain (every command reads or pays through it).
 */
async function readDeployment(file: string | undefined, rpcUrl: string): Promise<Deployment> {
  const rpcChainId = await createPublicClient({ transport: http(rpcUrl) })
    .getChainId()
    .catch((error: Error) => {
      throw new CliError(`cannot reach ${rpcUrl}: ${error.message.split("\n")[0]}`, EXIT.unavailable);
    });
  const path = file || join("deployments", deploymentFileName(rpcChainId));
  let deployment: Deployment;
  try {
    deployment = JSON.parse(readFileSync(path, "utf8")) as Deployment;
  } catch (error) {
    throw new CliError(`cannot read the deployment ${path}: ${(error as Error).message} (give --deployment FILE)`);
  }
  if (deployment.chainId !== rpcChainId) {
    throw new WrongChainError("rpc", rpcChainId, deployment.chainId);
  }
  return deployment;
}

async function loadAccount(options: ConnectionOptions, env: NodeJS.ProcessEnv, state: DevnetState | undefined) {
  const keystore = options.keystore || env.HYDROGEN_KEYSTORE || undefined;
  const key = env.HYDROGEN_PRIVATE_KEY || (keystore ? undefined : state?.app.privateKey);
  try {
    const { account } = await loadWallet({
      keystore,
      passwordFile: options.passwordFile ?? env.HYDROGEN_KEYSTORE_PASSWORD_FILE,
      env: { HYDROGEN_NODE_KEYSTORE_PASSWORD: env.HYDROGEN_KEYSTORE_PASSWORD, HYDROGEN_NODE_PRIVATE_KEY: key },
    });
    return account;
  } catch (error) {
    if (error instanceof WalletError) {
      throw new CliError(
        error.message.replaceAll("HYDROGEN_NODE_", "HYDROGEN_").replace("wallet.keystore", "--keystore"),
      );
    }
    throw error;
  }
}

/** An SDK client for a resolved connection. */
export function sdkClient(connection: Connection): HydrogenClient {
  const chain = defineChain({
    id: connection.deployment.chainId,
    name: `chain ${connection.deployment.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [connection.rpcUrl] } },
  });
  const transport = http(connection.rpcUrl);
  return createHydrogenClient({
    publicClient: createPublicClient({ chain, transport }),
    walletClient: connection.account
      ? createWalletClient({ account: connection.account, chain, transport })
      : undefined,
    deployment: connection.deployment,
    relayUrl: connection.relayUrl ?? "http://127.0.0.1:8787",
    pollingIntervalMs: connection.devnet ? 200 : 1000,
  });
}
