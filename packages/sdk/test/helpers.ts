import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Devnet, devAccount, startDevnet } from "@hydrogen/devnet";
import { createPublicClient, createTestClient, createWalletClient, http, type Transport } from "viem";
import { foundry } from "viem/chains";
import { createHydrogenClient, getNodeStatus, type HydrogenClient } from "../src/index.ts";

/** The test devnet's relay takes arguments up to this size. */
export const RELAY_ARGS_BYTES = 64 * 1024;

/** A devnet (anvil, contracts, relay, 3 synthetic nodes) for the SDK's tests. */
export async function startTestDevnet(): Promise<Devnet> {
  // A relay that publishes a smaller arguments limit than the schema's, so the SDK's size check shows.
  return startDevnet({ dir: mkdtempSync(join(tmpdir(), "hydrogen-sdk-")), nodes: 3, relayArgsBytes: RELAY_ARGS_BYTES });
}

/** An SDK client acting as devnet account `index` (or read-only when `index` is undefined). */
export function clientFor(
  devnet: Devnet,
  index: number | undefined,
  extra: { fetch?: typeof fetch; transport?: Transport; pollingIntervalMs?: number } = {},
): HydrogenClient {
  const transport = extra.transport ?? http(devnet.rpcUrl);
  return createHydrogenClient({
    publicClient: createPublicClient({ chain: foundry, transport }),
    walletClient:
      index === undefined ? undefined : createWalletClient({ account: devAccount(index), chain: foundry, transport }),
    deployment: devnet.deployment,
    relayUrl: devnet.relayUrl,
    pollingIntervalMs: extra.pollingIntervalMs ?? 100,
    fetch: extra.fetch,
  });
}

/** Moves the chain's clock past a task deadline and mines a block. */
export async function passTime(devnet: Devnet, seconds: number): Promise<void> {
  const test = createTestClient({ chain: foundry, mode: "anvil", transport: http(devnet.rpcUrl) });
  await test.increaseTime({ seconds });
  await test.mine({ blocks: 1 });
}

/** Small, fast arguments for the synthetic engine. */
export function smallArgs(seed = 1, images = 2) {
  return {
    base_model: "org/model",
    prompt: "a lighthouse at dawn",
    task_config: { seed, num_images: images, image_width: 128, image_height: 128 },
  };
}

/** Calls a node's management API. */
export async function nodeAction(devnet: Devnet, index: number, action: string): Promise<void> {
  const node = devnet.nodes[index];
  if (!node) throw new Error(`no node ${index}`);
  const response = await fetch(`${node.apiUrl}/api/actions/${action}`, {
    method: "POST",
    headers: { authorization: `Bearer ${node.apiToken}` },
  });
  if (!response.ok) throw new Error(`node ${index} ${action}: ${response.status} ${await response.text()}`);
}

/** Waits until every devnet node is Available again (its last task settled). */
export async function waitIdle(client: HydrogenClient, devnet: Devnet): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const statuses = await Promise.all(devnet.nodes.map((n) => getNodeStatus(client, { node: n.address })));
    if (statuses.every((s) => s.status === "Available")) return;
    if (Date.now() > deadline) throw new Error(`nodes still busy: ${statuses.map((s) => s.status).join(", ")}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
