import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { devAccount, startAnvil } from "@hydrogen/testnet";
import { createPublicClient, createWalletClient, http, type PublicClient, zeroAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { DeployError, deployHydrogen } from "./index.ts";

/** A deployer and clients on an anvil started with `args`. */
async function chainWith(args: string[] = []) {
  const anvil = await startAnvil({ args: ["--silent", "--accounts", "3", ...args] });
  const transport = http(anvil.rpcUrl);
  const publicClient = createPublicClient({ chain: foundry, transport }) as PublicClient;
  const wallet = createWalletClient({ chain: foundry, transport, account: devAccount(0) });
  return { anvil, publicClient, wallet };
}

describe("deployHydrogen", () => {
  let chain: Awaited<ReturnType<typeof chainWith>>;
  const pool = devAccount(1).address;
  before(async () => {
    chain = await chainWith();
  });
  after(() => chain?.anvil.stop());

  const nonce = () => chain.publicClient.getTransactionCount({ address: devAccount(0).address });

  it("deploys and links the three contracts and records where they are", async () => {
    const deployment = await deployHydrogen(chain.wallet, chain.publicClient, { incentivePool: pool });
    assert.equal(deployment.chainId, 31337);
    assert.equal(deployment.parameters.incentivePool, pool);
    for (const address of Object.values(deployment.contracts)) {
      assert.ok(await chain.publicClient.getCode({ address }), `no code at ${address}`);
    }
  });

  it("refuses bad arguments before sending anything, listing every problem", async () => {
    const before = await nonce();
    await assert.rejects(
      deployHydrogen(chain.wallet, chain.publicClient, { incentivePool: zeroAddress, distanceThreshold: 65 }),
      (error: unknown) => {
        assert.ok(error instanceof DeployError);
        assert.match(error.message, /nothing was deployed/);
        assert.match(error.message, /incentive pool is the zero address/);
        assert.match(error.message, /threshold must be 1 to 64/);
        return true;
      },
    );
    await assert.rejects(
      deployHydrogen(chain.wallet, chain.publicClient, { incentivePool: devAccount(0).address }),
      /incentive pool is the owner's own wallet/,
    );
    await assert.rejects(
      deployHydrogen(chain.wallet, chain.publicClient, { incentivePool: pool, token: devAccount(2).address }),
      /is not a contract on this chain/,
    );
    assert.equal(await nonce(), before, "no transaction was sent");
  });

  it("refuses a deployer without gas money", async () => {
    const broke = privateKeyToAccount(`0x${"42".repeat(32)}`);
    const wallet = createWalletClient({ chain: foundry, transport: http(chain.anvil.rpcUrl), account: broke });
    await assert.rejects(deployHydrogen(wallet, chain.publicClient, { incentivePool: pool }), /has no ETH for gas/);
  });
});

describe("deployHydrogen on a chain without Cancun", () => {
  let chain: Awaited<ReturnType<typeof chainWith>>;
  before(async () => {
    chain = await chainWith(["--hardfork", "shanghai"]);
  });
  after(() => chain?.anvil.stop());

  it("says the chain lacks Cancun and sends nothing", async () => {
    await assert.rejects(
      deployHydrogen(chain.wallet, chain.publicClient, { incentivePool: devAccount(1).address }),
      (error: unknown) => error instanceof DeployError && /does not run Cancun/.test(error.message),
    );
    assert.equal(await chain.publicClient.getTransactionCount({ address: devAccount(0).address }), 0);
  });
});
