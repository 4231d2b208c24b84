import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { deployHydrogen } from "@hydrogen/deploy";
import { deploymentFileName } from "@hydrogen/protocol";
import { Command } from "commander";
import { type Address, createPublicClient, createWalletClient, type Hex, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { CliError } from "../exit.ts";
import { Output } from "../output.ts";
import { address, cnx, positive } from "../parse.ts";

interface DeployOptions {
  rpc: string;
  incentivePool: Address;
  owner?: Address;
  token?: Address;
  feePerNode?: bigint;
  stake?: bigint;
  maxNodes?: number;
  threshold?: number;
  timeout?: number;
  outDir: string;
  json?: boolean;
}

export function contractsCommand(env: NodeJS.ProcessEnv): Command {
  const contracts = new Command("contracts").description("the Hydrogen contracts");
  contracts
    .command("deploy")
    .description("deploy CNX (unless --token), NodeRegistry and TaskManager; write deployments/<chainId>.json")
    .requiredOption("--rpc <url>", "JSON-RPC endpoint of the chain")
    .requiredOption("--incentive-pool <address>", "receives slashed stakes (not the owner's wallet)", address)
    .option("--owner <address>", "owner of the contracts (default: the deployer; another must accept)", address)
    .option("--token <address>", "an existing CNX token", address)
    .option("--fee-per-node <cnx>", "task fee per node (default 10)", cnx)
    .option("--stake <cnx>", "stake to join (default 400)", cnx)
    .option("--max-nodes <n>", "default 100000", positive)
    .option("--threshold <bits>", "pHash distance threshold (default 5)", positive)
    .option("--timeout <s>", "task timeout (default 900)", positive)
    .option("--out-dir <dir>", "where the deployment file goes", "deployments")
    .option("--json", "print the deployment as JSON")
    .addHelpText("after", "\nThe deployer's key comes from env DEPLOYER_PRIVATE_KEY.")
    .action(async (options: DeployOptions) => {
      const key = env.DEPLOYER_PRIVATE_KEY;
      if (!key || !/^0x[0-9a-fA-F]{64}$/.test(key)) {
        throw new CliError("set DEPLOYER_PRIVATE_KEY to the deployer's 0x-prefixed 32-byte key");
      }
      const out = new Output(Boolean(options.json));
      const transport = http(options.rpc);
      out.progress(`deploying to ${options.rpc}…`);
      const deployment = await deployHydrogen(
        createWalletClient({ account: privateKeyToAccount(key as Hex), transport }),
        createPublicClient({ transport }),
        {
          incentivePool: options.incentivePool,
          owner: options.owner,
          token: options.token,
          feePerNode: options.feePerNode,
          stakeAmount: options.stake,
          maxNodes: options.maxNodes,
          distanceThreshold: options.threshold,
          taskTimeoutSeconds: options.timeout,
        },
      );
      const dir = resolve(options.outDir);
      mkdirSync(dir, { recursive: true });
      const file = join(dir, deploymentFileName(deployment.chainId));
      writeFileSync(file, `${JSON.stringify(deployment, null, 2)}\n`);
      out.result({ ...deployment, file }, `${JSON.stringify(deployment.contracts, null, 2)}\nwritten to ${file}`);
    });
  return contracts;
}
