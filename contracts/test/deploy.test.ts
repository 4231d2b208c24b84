import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { type Deployment, nodeRegistryAbi, taskManagerAbi } from "@hydrogen/protocol";
import { type Address, createPublicClient, getAddress, http, parseEther, toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { type Anvil, startAnvil } from "../ts/anvil.ts";

const run = promisify(execFile);
const script = join(import.meta.dirname, "..", "scripts", "deploy.ts");
const deployer = mnemonicToAccount("test test test test test test test test test test test junk");
const deployerKey = toHex(deployer.getHdKey().privateKey as Uint8Array);
const pool = "0x00000000000000000000000000000000000000aa" as Address;

describe("deploy script", () => {
  let anvil: Anvil;
  let outDir: string;

  before(async () => {
    anvil = await startAnvil({ args: ["--silent"] });
    outDir = mkdtempSync(join(tmpdir(), "hydrogen-deploy-"));
  });
  after(async () => {
    await anvil.stop();
    rmSync(outDir, { recursive: true, force: true });
  });

  const deploy = (args: string[], key: string | undefined = deployerKey) =>
    run(process.execPath, ["--import", "tsx", script, ...args], {
      env: { ...process.env, DEPLOYER_PRIVATE_KEY: key ?? "" },
    });

  it("deploys to a JSON-RPC URL and writes deployments/<chainId>.json with addresses, block and parameters", async () => {
    await deploy([
      "--rpc",
      anvil.rpcUrl,
      "--incentive-pool",
      pool,
      "--fee-per-node",
      "2.5",
      "--timeout",
      "60",
      "--out-dir",
      outDir,
    ]);
    const deployment = JSON.parse(readFileSync(join(outDir, "31337.json"), "utf8")) as Deployment;
    assert.equal(deployment.chainId, 31337);
    assert.equal(deployment.deployer, deployer.address);
    assert.equal(deployment.parameters.incentivePool, pool);
    assert.equal(deployment.parameters.feePerNode, parseEther("2.5").toString());
    assert.equal(deployment.parameters.taskTimeoutSeconds, 60);
    assert.equal(deployment.parameters.stakeAmount, parseEther("400").toString());
    assert.ok(deployment.deploymentBlock >= 1);

    const client = createPublicClient({ transport: http(anvil.rpcUrl) });
    const { TaskManager, NodeRegistry, CNX } = deployment.contracts;
    assert.equal(
      await client.readContract({ address: TaskManager, abi: taskManagerAbi, functionName: "feePerNode" }),
      parseEther("2.5"),
    );
    assert.equal(
      await client.readContract({ address: TaskManager, abi: taskManagerAbi, functionName: "taskTimeout" }),
      60n,
    );
    assert.equal(await client.readContract({ address: TaskManager, abi: taskManagerAbi, functionName: "token" }), CNX);
    assert.equal(
      await client.readContract({ address: NodeRegistry, abi: nodeRegistryAbi, functionName: "taskManager" }),
      TaskManager,
    );
    assert.equal(
      await client.readContract({ address: NodeRegistry, abi: nodeRegistryAbi, functionName: "incentivePool" }),
      getAddress(pool),
    );
  });

  it("refuses to run without an RPC URL, a key or an incentive pool, with a clear message", async () => {
    await assert.rejects(deploy(["--incentive-pool", pool]), (e: { code: number; stderr: string }) => {
      assert.equal(e.code, 2);
      assert.match(e.stderr, /--rpc URL is required/);
      return true;
    });
    await assert.rejects(deploy(["--rpc", anvil.rpcUrl, "--incentive-pool", pool], "0x12"), /DEPLOYER_PRIVATE_KEY/);
    await assert.rejects(deploy(["--rpc", anvil.rpcUrl]), /--incentive-pool ADDRESS is required/);
    await assert.rejects(deploy(["--rpc", anvil.rpcUrl, "--incentive-pool", "0x1234"]), /not an address/);
  });
});
