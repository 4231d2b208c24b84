/**
 * Deploys the Hydrogen contracts to any JSON-RPC endpoint and writes deployments/<chainId>.json.
 *
 *   DEPLOYER_PRIVATE_KEY=0x… npm run deploy -w contracts -- --rpc URL --incentive-pool ADDRESS
 *     [--owner ADDRESS] [--token ADDRESS] [--fee-per-node CNX] [--stake CNX] [--max-nodes N]
 *     [--threshold BITS] [--timeout SECONDS] [--out-dir DIR]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { deploymentFileName } from "@hydrogen/protocol";
import { createPublicClient, createWalletClient, type Hex, http, isAddress, parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { deployHydrogen } from "../ts/deploy.ts";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

function fail(message: string): never {
  process.stderr.write(`deploy: ${message}\n`);
  process.exit(2);
}

function address(name: string, value: string | undefined): `0x${string}` | undefined {
  if (value === undefined) return undefined;
  if (!isAddress(value)) fail(`--${name} is not an address: ${value}`);
  return value;
}

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) fail(`--${name} must be a positive integer, got ${value}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rpc: { type: "string" },
      "incentive-pool": { type: "string" },
      owner: { type: "string" },
      token: { type: "string" },
      "fee-per-node": { type: "string" },
      stake: { type: "string" },
      "max-nodes": { type: "string" },
      threshold: { type: "string" },
      timeout: { type: "string" },
      "out-dir": { type: "string" },
    },
  });
  if (!values.rpc) fail("--rpc URL is required");
  const key = process.env.DEPLOYER_PRIVATE_KEY;
  if (!key || !/^0x[0-9a-fA-F]{64}$/.test(key)) fail("DEPLOYER_PRIVATE_KEY must be set to a 0x-prefixed 32-byte key");
  const incentivePool = address("incentive-pool", values["incentive-pool"]);
  if (!incentivePool) fail("--incentive-pool ADDRESS is required (slashed stakes go there)");

  const transport = http(values.rpc);
  const publicClient = createPublicClient({ transport });
  const wallet = createWalletClient({ account: privateKeyToAccount(key as Hex), transport });
  const deployment = await deployHydrogen(wallet, publicClient, {
    incentivePool,
    owner: address("owner", values.owner),
    token: address("token", values.token),
    feePerNode: values["fee-per-node"] === undefined ? undefined : parseEther(values["fee-per-node"]),
    stakeAmount: values.stake === undefined ? undefined : parseEther(values.stake),
    maxNodes: integer("max-nodes", values["max-nodes"]),
    distanceThreshold: integer("threshold", values.threshold),
    taskTimeoutSeconds: integer("timeout", values.timeout),
  });
  const outDir = resolve(values["out-dir"] ?? join(repoRoot, "deployments"));
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, deploymentFileName(deployment.chainId));
  writeFileSync(file, `${JSON.stringify(deployment, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(deployment.contracts, null, 2)}\nwritten to ${file}\n`);
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
