import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type Devnet, devKey, ROLES, startDevnet } from "@hydrogen/devnet";
import { type Deployment, nodeRegistryAbi, taskManagerAbi } from "@hydrogen/protocol";
import { createHydrogenClient, createTask, RUN_TASK_PHASES } from "@hydrogen/sdk";
import { createPublicClient, createTestClient, createWalletClient, http, parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";

const BIN = fileURLToPath(new URL("../bin/hydrogen.mjs", import.meta.url));
const VECTORS = fileURLToPath(new URL("../../../testdata/phash", import.meta.url));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `hydrogen …` as a user would, in `cwd`. */
function hydrogen(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, {
      cwd: options.cwd,
      env: { ...process.env, HYDROGEN_PRIVATE_KEY: "", HYDROGEN_RPC_URL: "", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

function json<T>(result: Result): T {
  assert.equal(result.code, 0, `exit ${result.code}\n${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

describe("hydrogen command", () => {
  it("explains itself: --help everywhere, usage errors exit 2", async () => {
    const help = await hydrogen(["--help"]);
    assert.equal(help.code, 0);
    for (const command of ["devnet", "task", "node", "engine", "relay", "wallet", "contracts", "phash"]) {
      assert.match(help.stdout, new RegExp(`\\b${command}\\b`));
    }
    const runHelp = await hydrogen(["task", "run", "--help"]);
    assert.equal(runHelp.code, 0);
    assert.match(runHelp.stdout, /--negative-prompt/);
    assert.equal((await hydrogen(["frobnicate"])).code, 2);
    const missing = await hydrogen(["task", "run", "--prompt", "x"]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--out/);
    const badSize = await hydrogen(["task", "run", "--prompt", "x", "--size", "big", "--out", "x"]);
    assert.equal(badSize.code, 2);
    assert.match(badSize.stderr, /WIDTHxHEIGHT/);
  });

  it("checks a ComfyUI installation and says when it cannot reach it (exit 6)", async () => {
    const result = await hydrogen(["engine", "check", "--comfyui", "http://127.0.0.1:9", "--json"]);
    assert.equal(result.code, 6);
    const report = JSON.parse(result.stdout) as { reachable: boolean; problems: string[] };
    assert.equal(report.reachable, false);
    assert.match(report.problems[0] ?? "", /not reachable/);
    assert.equal((await hydrogen(["engine", "check"])).code, 2);
  });

  it("hashes PNGs like the protocol's test vectors", async () => {
    const expected = JSON.parse(readFileSync(join(VECTORS, "expected.json"), "utf8")) as Record<string, string>;
    const files = Object.keys(expected).slice(0, 3);
    const result = await hydrogen(["phash", ...files.map((f) => join(VECTORS, "corpus", f))]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split("\n");
    for (const [i, file] of files.entries()) assert.ok(lines[i]?.startsWith(`${expected[file]}  `), lines[i]);
    const broken = join(mkdtempSync(join(tmpdir(), "hydrogen-cli-")), "broken.png");
    writeFileSync(broken, "not a png");
    assert.equal((await hydrogen(["phash", broken])).code, 1);
  });

  it("creates, imports and reads keystores without printing keys", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hydrogen-wallet-"));
    const env = { HYDROGEN_KEYSTORE_PASSWORD: "correct horse battery" };
    const created = json<{ address: string }>(
      await hydrogen(["wallet", "new", "--keystore", join(dir, "a.json"), "--json"], { env }),
    );
    assert.match(created.address, /^0x[0-9a-fA-F]{40}$/);
    const again = await hydrogen(["wallet", "new", "--keystore", join(dir, "a.json")], { env });
    assert.equal(again.code, 2);
    assert.match(again.stderr, /exists/);
    const shown = json<{ address: string }>(
      await hydrogen(["wallet", "address", "--keystore", join(dir, "a.json"), "--json"]),
    );
    assert.equal(shown.address, created.address);

    const key = devKey(ROLES.app);
    const imported = await hydrogen(["wallet", "import", "--keystore", join(dir, "b.json"), "--json"], {
      env: { ...env, HYDROGEN_PRIVATE_KEY: key },
    });
    assert.equal(json<{ address: string }>(imported).address, "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
    assert.ok(
      !imported.stdout.includes(key.slice(2)) && !readFileSync(join(dir, "b.json"), "utf8").includes(key.slice(2)),
    );
    const weak = await hydrogen(["wallet", "new", "--keystore", join(dir, "c.json")], {
      env: { HYDROGEN_KEYSTORE_PASSWORD: "short" },
    });
    assert.equal(weak.code, 2);
  });

  it("runs the devnet smoke test: one task end to end, a summary, exit 0", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "hydrogen-smoke-"));
    const result = await hydrogen(["devnet", "--smoke", "--no-web", "--json"], { cwd });
    const summary = json<{
      ok: boolean;
      taskId: string;
      gasUsed: string;
      images: { file: string }[];
      timingsMs: object;
    }>(result);
    assert.equal(summary.ok, true);
    assert.equal(summary.images.length, 2);
    for (const image of summary.images) assert.ok(existsSync(image.file), image.file);
    assert.ok(Number(summary.gasUsed) > 100_000);
    assert.deepEqual(Object.keys(summary.timingsMs), RUN_TASK_PHASES);
  });

  describe("against a running devnet", () => {
    let devnet: Devnet;
    let cwd: string;
    before(async () => {
      cwd = mkdtempSync(join(tmpdir(), "hydrogen-cli-devnet-"));
      devnet = await startDevnet({ dir: join(cwd, ".hydrogen", "devnet"), nodes: 3 });
    });
    after(async () => {
      await devnet?.close();
    });

    it("task run writes verified images; task status reads the task back", async () => {
      const out = join(cwd, "images");
      const run = json<{ taskId: string; images: { file: string; phash: string }[] }>(
        await hydrogen(
          [
            "task",
            "run",
            "--prompt",
            "a red fox",
            "--num-images",
            "2",
            "--size",
            "128x128",
            "--seed",
            "5",
            "--out",
            out,
            "--json",
          ],
          { cwd },
        ),
      );
      assert.equal(run.images.length, 2);
      const hashed = await hydrogen(["phash", ...run.images.map((i) => i.file)]);
      for (const [i, image] of run.images.entries()) {
        assert.ok(hashed.stdout.split("\n")[i]?.startsWith(image.phash.slice(2)));
      }
      const status = await hydrogen(["task", "status", run.taskId], { cwd });
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, new RegExp(`task ${run.taskId}: (Completed|Success)`));
      assert.equal((await hydrogen(["task", "status", "99999"], { cwd })).code, 2);
      assert.equal((await hydrogen(["task", "status", "abc"], { cwd })).code, 2);
    });

    it("task download, list and cancel: images again, this account's tasks, the escrow back after the deadline", async () => {
      const out = join(cwd, "again");
      const run = json<{ taskId: string }>(
        await hydrogen(
          [
            "task",
            "run",
            "--prompt",
            "a boat",
            "--size",
            "128x128",
            "--num-images",
            "1",
            "--out",
            join(cwd, "first"),
            "--json",
          ],
          { cwd },
        ),
      );
      const downloaded = json<{ images: { file: string; distance: number }[] }>(
        await hydrogen(["task", "download", run.taskId, "--out", out, "--json"], { cwd }),
      );
      assert.equal(downloaded.images.length, 1);
      assert.deepEqual(
        readFileSync(downloaded.images[0]?.file as string),
        readFileSync(join(cwd, "first", `task-${run.taskId}-0.png`)),
      );

      // A task whose arguments never reach the relay: nobody can run it; after the deadline its creator cancels.
      const app = createWalletClient({
        account: privateKeyToAccount(devKey(ROLES.app)),
        chain: foundry,
        transport: http(devnet.rpcUrl),
      });
      const client = createHydrogenClient({
        publicClient: createPublicClient({ chain: foundry, transport: http(devnet.rpcUrl) }),
        walletClient: app,
        deployment: devnet.deployment,
        relayUrl: devnet.relayUrl,
      });
      const created = await createTask(client, {
        args: { base_model: "a/b", prompt: "never uploaded", task_config: { seed: 3 } },
      });
      const early = await hydrogen(["task", "cancel", String(created.taskId)], { cwd });
      assert.equal(early.code, 5, early.stderr);
      assert.match(early.stderr, /DeadlineNotReached/);
      const test = createTestClient({ chain: foundry, mode: "anvil", transport: http(devnet.rpcUrl) });
      await test.increaseTime({ seconds: 3600 });
      await test.mine({ blocks: 1 });
      const cancelled = json<{ phase: string; abortReason: string }>(
        await hydrogen(["task", "cancel", String(created.taskId), "--json"], { cwd }),
      );
      assert.deepEqual([cancelled.phase, cancelled.abortReason], ["Aborted", "Cancelled"]);
      const again = json<{ cancelled: boolean; phase: string }>(
        await hydrogen(["task", "cancel", String(created.taskId), "--json"], { cwd }),
      );
      assert.deepEqual([again.cancelled, again.phase], [false, "Aborted"], "already ended: nothing sent");
      assert.equal((await hydrogen(["task", "cancel", "99999"], { cwd })).code, 2, "no such task");

      const listed = json<{ taskId: string; phase: string; refunded: string; paid: string }[]>(
        await hydrogen(["task", "list", "--limit", "2", "--json"], { cwd }),
      );
      assert.deepEqual(
        listed.map((t) => t.taskId),
        [String(created.taskId), run.taskId],
      );
      assert.equal(listed[0]?.phase, "Aborted");
      assert.equal(listed[0]?.refunded, String(created.fee), "the whole escrow came back");
      assert.equal(listed[1]?.phase, "Completed");
      assert.equal(BigInt(listed[1]?.paid ?? 0), created.fee, "the nodes were paid the fee of the task that ran");
      assert.equal((await hydrogen(["task", "download", "x", "--out", out], { cwd })).code, 2);
    });

    it("reports invalid arguments with the schema's message (exit 2) and refusals with exit 5", async () => {
      const invalid = await hydrogen(["task", "run", "--prompt", "x", "--size", "100x100", "--out", "o"], { cwd });
      assert.equal(invalid.code, 2);
      assert.match(invalid.stderr, /image_width/);
      const poor = await hydrogen(["task", "run", "--prompt", "x", "--size", "128x128", "--out", "o"], {
        cwd,
        env: { HYDROGEN_PRIVATE_KEY: devKey(ROLES.incentivePool) },
      });
      assert.equal(poor.code, 5);
      assert.match(poor.stderr, /not enough CNX/);
      const unreachable = await hydrogen(["task", "status", "1", "--rpc", "http://127.0.0.1:9"], { cwd });
      assert.equal(unreachable.code, 6);
    });

    it("wallet send moves ETH and CNX from this account, and refuses more than it holds (exit 5)", async () => {
      const to = privateKeyToAccount(`0x${"17".repeat(32)}`).address;
      const eth = json<{ transactionHash: string }>(await hydrogen(["wallet", "send", to, "0.25", "--json"], { cwd }));
      assert.match(eth.transactionHash, /^0x[0-9a-f]{64}$/);
      assert.equal((await hydrogen(["wallet", "send", to, "12.5", "--cnx"], { cwd })).code, 0);
      const balance = json<{ eth: string; cnx: string }>(await hydrogen(["wallet", "balance", to, "--json"], { cwd }));
      assert.equal(balance.eth, parseEther("0.25").toString());
      assert.equal(balance.cnx, parseEther("12.5").toString());
      const tooMuch = await hydrogen(["wallet", "send", to, "1000000000", "--cnx"], { cwd });
      assert.equal(tooMuch.code, 5);
      assert.match(tooMuch.stderr, /holds .* CNX, less than 1000000000/);
      assert.equal((await hydrogen(["wallet", "send", "0x1234", "1"], { cwd })).code, 2);
    });

    it("shows balances and manages a node through its API", async () => {
      const balance = json<{ cnx: string }>(
        await hydrogen(["wallet", "balance", devnet.app.address, "--json"], { cwd }),
      );
      assert.ok(BigInt(balance.cnx) > 0n);
      const node = devnet.nodes[1];
      assert.ok(node);
      const api = ["--api", node.apiUrl, "--token", node.apiToken, "--json"];
      const status = json<{ address: string }>(await hydrogen(["node", "status", ...api]));
      assert.equal(status.address, node.address);
      assert.equal((await hydrogen(["node", "pause", ...api])).code, 0);
      assert.equal((await hydrogen(["node", "resume", ...api])).code, 0);
      const wrong = await hydrogen(["node", "status", "--api", node.apiUrl, "--token", "wrong"]);
      assert.equal(wrong.code, 2);
    });

    it("refuses a deployment of another chain than the RPC's, for reads as for payments (exit 2)", async () => {
      const other = join(cwd, "other-chain.json");
      writeFileSync(other, JSON.stringify({ ...devnet.deployment, chainId: 1 }));
      for (const args of [
        ["wallet", "balance", devnet.app.address],
        ["task", "status", "1"],
      ]) {
        const run = await hydrogen([...args, "--deployment", other], { cwd });
        assert.equal(run.code, 2, run.stderr);
        assert.match(run.stderr, /serves chain 31337, but the deployment is for chain 1/);
      }
    });

    it("deploys the contracts to a chain and writes the deployment file with addresses, block and parameters", async () => {
      const outDir = join(cwd, "deployments-new");
      const pool = devnet.accounts[1]?.address ?? "";
      const deployed = json<Deployment & { file: string }>(
        await hydrogen(
          [
            "contracts",
            "deploy",
            "--rpc",
            devnet.rpcUrl,
            "--incentive-pool",
            pool,
            "--fee-per-node",
            "2.5",
            "--timeout",
            "120",
            "--out-dir",
            outDir,
            "--json",
          ],
          { env: { DEPLOYER_PRIVATE_KEY: devKey(ROLES.deployer) } },
        ),
      );
      assert.equal(deployed.file, join(outDir, "31337.json"));
      const file = JSON.parse(readFileSync(deployed.file, "utf8")) as Deployment;
      assert.equal(file.chainId, 31337);
      assert.equal(file.deployer, devnet.accounts[0]?.address);
      assert.equal(file.parameters.taskTimeoutSeconds, 120);
      assert.equal(file.parameters.feePerNode, parseEther("2.5").toString());
      assert.equal(file.parameters.stakeAmount, parseEther("400").toString());
      assert.ok(file.deploymentBlock > devnet.deployment.deploymentBlock);
      const client = createPublicClient({ transport: http(devnet.rpcUrl) });
      const { TaskManager, NodeRegistry, CNX } = file.contracts;
      const read = (
        address: `0x${string}`,
        abi: typeof taskManagerAbi | typeof nodeRegistryAbi,
        functionName: string,
      ) => client.readContract({ address, abi, functionName } as never);
      assert.equal(await read(TaskManager, taskManagerAbi, "feePerNode"), parseEther("2.5"));
      assert.equal(await read(TaskManager, taskManagerAbi, "taskTimeout"), 120n);
      assert.equal(await read(TaskManager, taskManagerAbi, "token"), CNX);
      assert.equal(await read(NodeRegistry, nodeRegistryAbi, "taskManager"), TaskManager);
      assert.equal(await read(NodeRegistry, nodeRegistryAbi, "incentivePool"), pool);
    });

    it("refuses to deploy without an RPC URL, a key or an incentive pool, with a clear message (exit 2)", async () => {
      const env = { DEPLOYER_PRIVATE_KEY: devKey(ROLES.deployer) };
      const pool = devnet.app.address;
      const cases: [string[], RegExp, NodeJS.ProcessEnv][] = [
        [["--incentive-pool", pool], /--rpc/, env],
        [["--rpc", devnet.rpcUrl, "--incentive-pool", pool], /DEPLOYER_PRIVATE_KEY/, {}],
        [["--rpc", devnet.rpcUrl, "--incentive-pool", pool], /DEPLOYER_PRIVATE_KEY/, { DEPLOYER_PRIVATE_KEY: "0x12" }],
        [["--rpc", devnet.rpcUrl], /--incentive-pool/, env],
        [["--rpc", devnet.rpcUrl, "--incentive-pool", "0x1234"], /not an address/, env],
        // Checked before anything is sent: no "internal error" dump, no half-deployed token.
        [
          ["--rpc", devnet.rpcUrl, "--incentive-pool", `0x${"0".repeat(40)}`],
          /incentive pool is the zero address/,
          env,
        ],
      ];
      for (const [args, message, caseEnv] of cases) {
        const result = await hydrogen(["contracts", "deploy", ...args], {
          env: { DEPLOYER_PRIVATE_KEY: "", ...caseEnv },
        });
        assert.equal(result.code, 2, args.join(" "));
        assert.match(result.stderr, message);
      }
    });
  });
});
