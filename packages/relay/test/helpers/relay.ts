import assert from "node:assert/strict";
import {
  bodySha256,
  buildResult,
  multipartImages,
  phashPng,
  routePath,
  signRequest,
  taskHash,
} from "@hydrogen/protocol";
import { buildPng } from "@hydrogen/protocol/testing";
import { type Chain, devAccount, setupChain } from "@hydrogen/testnet";
import pino from "pino";
import type { Address, Hex } from "viem";
import type { HDAccount } from "viem/accounts";
import { parseConfig, type Relay, type RelayConfigInput, startRelay } from "../../src/index.ts";
import type { TestDatabase } from "./backends.ts";

/** The local account of an anvil dev address (to sign relay requests). */
export function accountOf(chain: Chain, address: Address): HDAccount {
  const index = [chain.deployer, chain.pool, chain.creator, chain.creator2, ...chain.nodes].findIndex(
    (a) => a.toLowerCase() === address.toLowerCase(),
  );
  assert.ok(index >= 0, `${address} is not an anvil dev account`);
  return devAccount(index);
}

/** A chain with the contracts and `nodes` joined nodes. */
export async function startChain(nodes = 3): Promise<Chain> {
  const chain = await setupChain({ accounts: 4 + Math.max(nodes, 3) });
  await chain.joinNodes(nodes);
  return chain;
}

/** A relay on a free port following `chain`, storing in `database`. */
export async function startTestRelay(
  chain: Chain,
  database: TestDatabase,
  overrides: Partial<RelayConfigInput> = {},
): Promise<Relay> {
  const config = parseConfig({
    listen: { host: "127.0.0.1", port: 0 },
    chain: {
      rpcUrl: chain.anvil.rpcUrl,
      chainId: 31337,
      taskManager: chain.tm.address,
      fromBlock: chain.deployment.deploymentBlock,
      confirmations: 0, // instant mining: no block comes after the last task's
      pollIntervalMs: 50,
    },
    database: { url: database.url },
    images: { store: "files", dir: database.imageDir },
    leader: { leaseMs: 2000, renewMs: 300 },
    // Webhook receivers of the tests listen on 127.0.0.1.
    webhooks: { allowPrivate: true, intervalMs: 50 },
    ...overrides,
  });
  return startRelay(config, { log: pino({ level: process.env.HYDROGEN_RELAY_TEST_LOG ?? "silent" }) });
}

/** The image side of every test task (the smallest a task may ask for): result images must match it. */
export const TEST_IMAGE_SIDE = 128;

/** A grayscale PNG of smooth waves whose low frequencies (and so pHash) depend on `variant`. */
export function patternPng(variant: number, size = TEST_IMAGE_SIDE): Uint8Array {
  const raw = new Uint8Array(size * (size + 1));
  const fx = (variant % 3) + 1;
  const fy = (Math.floor(variant / 3) % 3) + 1;
  const phase = variant * 0.7;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const wave = Math.cos((Math.PI * fx * x) / size + phase) * Math.cos((Math.PI * fy * y) / size - phase);
      raw[y * (size + 1) + 1 + x] = Math.round(128 + 120 * wave);
    }
  }
  return buildPng(size, size, 8, 0, raw);
}

/** Task arguments for `images` images, as the exact JSON string that is hashed. */
export function taskArgs(images = 1, seed = 1, width = TEST_IMAGE_SIDE, height = width): string {
  return JSON.stringify({
    base_model: "org/model",
    prompt: "a lighthouse",
    task_config: { seed, num_images: images, image_width: width, image_height: height },
  });
}

export interface SignedOptions {
  body?: string | Uint8Array;
  contentType?: string;
  headers?: Record<string, string>;
  /** Sign a different body than the one sent. */
  signedBody?: string | Uint8Array;
  timestamp?: number;
}

/** Test access to a relay: raw and signed requests. */
export function relayClient(relay: Relay, chain: Chain) {
  const domain = { chainId: 31337, taskManager: chain.tm.address };
  // Signatures are deterministic: the same request in the same second would be a replay, so a
  // repeated request is signed a second earlier (tests that replay on purpose reuse headers).
  const used = new Set<string>();
  async function signedHeaders(signer: Address, method: string, path: string, options: SignedOptions = {}) {
    const body = options.signedBody ?? options.body;
    let timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
    const key = (t: number) => `${signer}|${method}|${path}|${body ? bodySha256(body) : ""}|${t}`;
    if (options.timestamp === undefined) while (used.has(key(timestamp))) timestamp--;
    used.add(key(timestamp));
    return signRequest({ ...domain, signer: accountOf(chain, signer), method, path, body, timestamp });
  }
  async function request(method: string, path: string, options: SignedOptions & { signer?: Address } = {}) {
    const headers: Record<string, string> = { ...options.headers };
    if (options.signer) Object.assign(headers, await signedHeaders(options.signer, method, path, options));
    if (options.contentType) headers["content-type"] = options.contentType;
    return fetch(`${relay.url}${path}`, { method, headers, body: options.body as BodyInit | undefined });
  }
  return {
    request,
    signedHeaders,
    uploadArgs(signer: Address, taskId: bigint, args: string, options: SignedOptions = {}) {
      const body = JSON.stringify({ task_id: taskId.toString(), task_args: args });
      return request("POST", routePath("uploadTaskArgs"), {
        signer,
        body,
        contentType: "application/json",
        ...options,
      });
    },
    getTask(signer: Address, taskId: bigint, query: { wait?: number } = {}) {
      return request("GET", routePath("getTask", { id: taskId }, query), { signer });
    },
    status(taskId: bigint) {
      return request("GET", routePath("getTaskStatus", { id: taskId }));
    },
    uploadResults(signer: Address, taskId: bigint, images: Uint8Array[], options: SignedOptions = {}) {
      const { body, contentType } = multipart(images);
      return request("POST", routePath("uploadResults", { id: taskId }), { signer, body, contentType, ...options });
    },
    image(signer: Address, taskId: bigint, index: number, query: { wait?: number } = {}) {
      return request("GET", routePath("getResultImage", { id: taskId, index }, query), { signer });
    },
    /** Waits until the relay reports `phase` for the task. */
    async waitForPhase(taskId: bigint, phase: string, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      let last = "";
      while (Date.now() < deadline) {
        const response = await this.status(taskId);
        last = await response.text();
        if (response.status === 200 && (JSON.parse(last) as { phase: string }).phase === phase) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.fail(`task ${taskId} did not reach ${phase}; last status ${last}`);
    },
  };
}

/** A multipart/form-data body with one `images` part per PNG (the protocol client's encoder, a fixed boundary). */
export function multipart(images: Uint8Array[], boundary = "hydrogen-test-boundary") {
  const { bytes, contentType } = multipartImages(images, boundary);
  return { body: Buffer.from(bytes), contentType };
}

export interface ChainTask {
  taskId: bigint;
  nodes: Address[];
  args: string;
  images: Uint8Array[];
  result: Hex;
}

/** A PNG's width and height, from its IHDR. */
function pngSize(png: Uint8Array): [number, number] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return [view.getUint32(16), view.getUint32(20)];
}

/** Creates a task whose nodes will agree on `images` (pHashes of these PNGs; the task's size is theirs). */
export async function createTask(
  chain: Chain,
  images: Uint8Array[],
  seed = 1,
  creator: Address = chain.creator,
): Promise<ChainTask> {
  const args = taskArgs(images.length, seed, ...(images[0] ? pngSize(images[0]) : []));
  const created = await chain.createTask(creator, taskHash(args));
  return {
    taskId: created.taskId,
    nodes: created.nodes,
    args,
    images,
    result: buildResult(images.map((png) => phashPng(png))),
  };
}

/** All three nodes commit and disclose the same result: TaskSuccess with nodes[0] as result node. */
export async function succeed(chain: Chain, task: ChainTask): Promise<void> {
  for (let round = 0; round < 3; round++) {
    await chain.commit(task.taskId, round, task.nodes[round] as Address, task.result);
  }
  await chain.disclose(task.taskId, 0, task.nodes[0] as Address, task.result);
  await chain.disclose(task.taskId, 1, task.nodes[1] as Address, task.result);
  await chain.disclose(task.taskId, 2, task.nodes[2] as Address, task.result);
}

/** Waits until the relay has applied every block up to the chain's current head. */
export async function caughtUp(relay: Relay, chain: Chain, timeoutMs = 15_000): Promise<void> {
  const target = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
  const deadline = Date.now() + timeoutMs;
  while (((await relay.context.sync.cursor()) ?? -1n) < target) {
    if (Date.now() > deadline) assert.fail(`relay cursor did not reach block ${target}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
