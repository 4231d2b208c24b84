import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { deployHydrogen } from "@hydrogen/deploy";
import { cnxAbi, type Deployment, nodeRegistryAbi } from "@hydrogen/protocol";
import { type Anvil, countingTransport, devAccount, startAnvil } from "@hydrogen/testnet";
import {
  type Address,
  createPublicClient,
  createTestClient,
  createWalletClient,
  http,
  type PublicClient,
  parseEther,
} from "viem";
import { foundry } from "viem/chains";
import { ContractRevertError, receiptPollDelays, TransactionDroppedError, TransactionSender } from "./sender.ts";

describe("TransactionSender", () => {
  let anvil: Anvil;
  let client: PublicClient;
  let deployment: Deployment;
  const node = devAccount(3);

  const senderFor = (options = {}) =>
    new TransactionSender(options, {
      client,
      wallet: createWalletClient({ chain: foundry, transport: http(anvil.rpcUrl), account: node }),
    });

  before(async () => {
    anvil = await startAnvil({ args: ["--silent", "--accounts", "5"] });
    client = createPublicClient({ chain: foundry, transport: http(anvil.rpcUrl), pollingInterval: 50 });
    const deployer = devAccount(0);
    const wallet = createWalletClient({ chain: foundry, transport: http(anvil.rpcUrl), account: deployer });
    deployment = await deployHydrogen(wallet, client, {
      incentivePool: devAccount(1).address,
    });
    const hash = await wallet.writeContract({
      address: deployment.contracts.CNX,
      abi: cnxAbi,
      functionName: "transfer",
      args: [node.address, parseEther("10000")],
    });
    await client.waitForTransactionReceipt({ hash });
  });
  after(() => anvil.stop());

  it("sends concurrent calls to several contracts with one nonce sequence", async () => {
    const sender = senderFor();
    const start = await client.getTransactionCount({ address: node.address });
    const approvals = [1n, 2n, 3n, 4n].map((amount) =>
      sender.send({
        address: deployment.contracts.CNX,
        abi: cnxAbi,
        functionName: "approve",
        args: [deployment.contracts.NodeRegistry, parseEther("400") * amount],
      }),
    );
    const sent = await Promise.all(approvals);
    const join = await sender.send({
      address: deployment.contracts.NodeRegistry,
      abi: nodeRegistryAbi,
      functionName: "join",
    });
    assert.equal(join.receipt.status, "success");
    const nonces = await Promise.all(
      [...sent, join].map((s) => client.getTransaction({ hash: s.hash }).then((t) => t.nonce)),
    );
    assert.deepEqual(nonces, [start, start + 1, start + 2, start + 3, start + 4]);
    assert.ok(join.receipt.gasUsed > 21_000n);
  });

  it("turns a revert into a typed error with the decoded custom error, and spends no nonce on it", async () => {
    const sender = senderFor();
    const before = await client.getTransactionCount({ address: node.address });
    await assert.rejects(
      sender.send({ address: deployment.contracts.NodeRegistry, abi: nodeRegistryAbi, functionName: "resume" }),
      (e: unknown) => e instanceof ContractRevertError && e.errorName === "CannotResume" && e.args[0] === node.address,
    );
    // The TaskManager's call bubbles the registry's error: decoded too.
    await assert.rejects(
      sender.send({ address: deployment.contracts.NodeRegistry, abi: nodeRegistryAbi, functionName: "join" }),
      (e: unknown) => e instanceof ContractRevertError && e.errorName === "AlreadyJoined",
    );
    assert.equal(await client.getTransactionCount({ address: node.address }), before);
    const ok = await sender.send({
      address: deployment.contracts.NodeRegistry,
      abi: nodeRegistryAbi,
      functionName: "pause",
    });
    assert.equal(ok.receipt.status, "success");
  });

  it("replaces a transaction that stays unmined with higher fees", async () => {
    const test = createTestClient({ chain: foundry, mode: "anvil", transport: http(anvil.rpcUrl) });
    await test.setAutomine(false);
    try {
      const sender = senderFor({ bumpAfterMs: 300 });
      const sending = sender.send({
        address: deployment.contracts.NodeRegistry,
        abi: nodeRegistryAbi,
        functionName: "resume",
      });
      await new Promise((resolve) => setTimeout(resolve, 800)); // past one or two bumps
      await test.mine({ blocks: 1 });
      const sent = await sending;
      assert.ok(sent.bumps >= 1, `bumps: ${sent.bumps}`);
      assert.equal(sent.receipt.status, "success");
      assert.notEqual(sent.hash, sent.hashes[0], "a replacement was mined, not the original");
      const [original, mined] = await Promise.all(
        [sent.hashes[0], sent.hash].map((hash) =>
          client.getTransaction({ hash: hash as `0x${string}` }).catch(() => undefined),
        ),
      );
      assert.equal(original, undefined, "the original was dropped from the pool");
      assert.ok(mined && mined.nonce === (await client.getTransactionCount({ address: node.address })) - 1);
    } finally {
      await test.setAutomine(true);
    }
    assert.equal(
      await client.readContract({
        address: deployment.contracts.NodeRegistry,
        abi: nodeRegistryAbi,
        functionName: "statusOf",
        args: [node.address as Address],
      }),
      1,
    );
  });

  it("never pays more per gas than the operator's cap, in the first send or its replacements", async () => {
    const test = createTestClient({ chain: foundry, mode: "anvil", transport: http(anvil.rpcUrl) });
    const { maxFeePerGas } = await client.estimateFeesPerGas();
    const cap = maxFeePerGas + 1000n; // room for at most one small bump
    await test.setAutomine(false);
    try {
      const sender = senderFor({ bumpAfterMs: 200, maxFeePerGasCap: cap });
      const sending = sender.send({
        address: deployment.contracts.NodeRegistry,
        abi: nodeRegistryAbi,
        functionName: "pause",
      });
      await new Promise((resolve) => setTimeout(resolve, 1000)); // several bump periods
      await test.mine({ blocks: 1 });
      const sent = await sending;
      assert.ok(sent.hashes.length <= 2, `at most one replacement fits under the cap: ${sent.hashes.length}`);
      for (const hash of sent.hashes) {
        const tx = await client.getTransaction({ hash }).catch(() => undefined);
        if (tx) assert.ok((tx.maxFeePerGas ?? 0n) <= cap, `${tx.maxFeePerGas} > ${cap}`);
      }
      const mined = await client.getTransaction({ hash: sent.hash });
      assert.ok((mined.maxFeePerGas ?? 0n) <= cap);
    } finally {
      await test.setAutomine(true);
    }
  });

  it("stops waiting for an unmined transaction when aborted, and broadcasts nothing after", async () => {
    const test = createTestClient({ chain: foundry, mode: "anvil", transport: http(anvil.rpcUrl) });
    await test.setAutomine(false);
    const shutdown = new AbortController();
    const sender = new TransactionSender(
      { bumpAfterMs: 60_000 },
      {
        client,
        wallet: createWalletClient({ chain: foundry, transport: http(anvil.rpcUrl), account: node }),
        signal: shutdown.signal,
      },
    );
    const call = {
      address: deployment.contracts.CNX,
      abi: cnxAbi,
      functionName: "approve",
      args: [deployment.contracts.TaskManager, 1n],
    };
    try {
      const pending = () => client.getTransactionCount({ address: node.address, blockTag: "pending" });
      const before = await pending();
      const first = sender.send(call);
      while ((await pending()) === before) await new Promise((resolve) => setTimeout(resolve, 20));
      shutdown.abort(new Error("node stopping"));
      await assert.rejects(first, /node stopping/);
      // After the abort nothing more is broadcast.
      await assert.rejects(sender.send(call), /node stopping/);
      assert.equal(await pending(), before + 1, "only the first was broadcast");
      // A call's own signal works the same.
      const own = new AbortController();
      own.abort(new Error("task aborted"));
      await assert.rejects(senderFor().send(call, { signal: own.signal }), /task aborted/);
      assert.equal(await pending(), before + 1);
    } finally {
      await test.mine({ blocks: 1 });
      await test.setAutomine(true);
    }
  });

  it("looks for a receipt again after 10 ms, then doubling up to the polling interval (at most 1 s)", () => {
    const take = (pollingInterval: number, n: number) => {
      const delays = receiptPollDelays(pollingInterval);
      return Array.from({ length: n }, () => delays.next().value);
    };
    assert.deepEqual(take(4000, 10), [10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000]);
    assert.deepEqual(take(50, 5), [10, 20, 40, 50, 50]);
    assert.deepEqual(take(4, 3), [4, 4, 4]);
  });

  it("finds the receipt of a transaction mined after the first look, with an hour-long polling interval", async () => {
    const test = createTestClient({ chain: foundry, mode: "anvil", transport: http(anvil.rpcUrl) });
    let receiptCalls = 0;
    const counting = countingTransport(anvil.rpcUrl, (method) => {
      if (method === "eth_getTransactionReceipt") receiptCalls++;
    });
    // An hour between polls: only the sender's own short first waits can find the receipt in time.
    const slowClient = createPublicClient({ chain: foundry, transport: counting, pollingInterval: 3_600_000 });
    const sender = new TransactionSender(
      { bumpAfterMs: 3_600_000 },
      {
        client: slowClient,
        wallet: createWalletClient({ chain: foundry, transport: http(anvil.rpcUrl), account: node }),
      },
    );
    await test.setAutomine(false);
    try {
      const sending = sender.send({
        address: deployment.contracts.CNX,
        abi: cnxAbi,
        functionName: "approve",
        args: [deployment.contracts.NodeRegistry, 3n],
      });
      while (receiptCalls === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      await test.mine({ blocks: 1 });
      const sent = await sending;
      assert.equal(sent.receipt.status, "success");
      assert.ok(receiptCalls >= 2, "asked again after the first miss");
    } finally {
      await test.setAutomine(true);
    }
  });

  it("reports a transaction that vanished (dropped by a reorganisation), and the next send reuses its nonce", async () => {
    const test = createTestClient({ chain: foundry, mode: "anvil", transport: http(anvil.rpcUrl) });
    const sender = senderFor({ bumpAfterMs: 60_000 });
    const approve = (amount: bigint) =>
      sender.send({
        address: deployment.contracts.CNX,
        abi: cnxAbi,
        functionName: "approve",
        args: [deployment.contracts.NodeRegistry, amount],
      });
    await test.setAutomine(false);
    let vanished: Promise<unknown>;
    let nonce: number;
    try {
      vanished = approve(1n);
      let pending: `0x${string}` | undefined;
      for (let i = 0; i < 100 && !pending; i++) {
        const block = await client.getBlock({ blockTag: "pending" });
        pending = block.transactions[0];
        if (!pending) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.ok(pending, "the approval reached the pool");
      nonce = (await client.getTransaction({ hash: pending })).nonce;
      await test.dropTransaction({ hash: pending });
      await assert.rejects(vanished, (error: unknown) => {
        assert.ok(error instanceof TransactionDroppedError);
        assert.equal(error.functionName, "approve");
        return true;
      });
    } finally {
      await test.setAutomine(true);
    }
    const next = await approve(2n);
    assert.equal((await client.getTransaction({ hash: next.hash })).nonce, nonce, "no gap: the freed nonce is used");
  });
});
