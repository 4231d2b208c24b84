import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { assertChainId, ChainFollower, rpcTransport } from "@hydrogen/chain";
import { createRelayClient } from "@hydrogen/protocol";
import { readDeploymentFile, Shutdown } from "@hydrogen/service";
import type { Logger } from "pino";
import { type Address, createPublicClient, createWalletClient, defineChain, pad, parseGwei, toHex } from "viem";
import { startApi } from "./api/server.ts";
import { StatusSource } from "./api/status.ts";
import { type Contracts, NodeChain, resolveContracts } from "./chain/contracts.ts";
import { applyBatch } from "./chain/events.ts";
import { nodeLogFilters, nodeLogReader } from "./chain/logs.ts";
import type { NodeConfig } from "./config/schema.ts";
import { createEngine } from "./engines/index.ts";
import { failpoint } from "./failpoints.ts";
import { GasGuard } from "./gas-guard.ts";
import { createLogger, LogRing } from "./logging.ts";
import { createMetrics, EarningsMetrics } from "./metrics.ts";
import { NsfwSafetyChecker } from "./safety/checker.ts";
import { Staking } from "./staking.ts";
import { NodeStore } from "./store/store.ts";
import { TaskRunner } from "./task/runner.ts";
import { loadWallet } from "./wallet/wallet.ts";

/** How many blocks back the follower keeps applied block hashes: the deepest reorganisation it undoes. */
const REORG_WINDOW = 256;

export interface HydrogenNode {
  address: Address;
  /** The management API's base URL. */
  apiUrl: string;
  apiToken: string;
  contracts: Contracts;
  store: NodeStore;
  runner: TaskRunner;
  staking: Staking;
  log: Logger;
  /** Stops the loops, then the API, then closes the store (reverse of start). */
  close(): Promise<void>;
}

export interface NodeDependencies {
  env?: NodeJS.ProcessEnv;
  /** Where log lines go (stdout by default). */
  logDestination?: NodeJS.WritableStream;
  /** The process's shutdown registry; the node registers what it opens. Its own when absent. */
  shutdown?: Shutdown;
}

/**
 * The composition root: wallet → store → chain → engine → runner, follower, staking → API.
 *
 * @example
 * const node = await startNode(loadConfig({ file: "node.json", env: process.env }));
 * process.once("SIGTERM", () => node.close());
 */
export async function startNode(config: NodeConfig, deps: NodeDependencies = {}): Promise<HydrogenNode> {
  const env = deps.env ?? process.env;
  const ring = new LogRing();
  const log = createLogger({ level: config.log.level, ring, destination: deps.logDestination });
  mkdirSync(config.dataDir, { recursive: true });

  const { account, kind } = await loadWallet({ ...config.wallet, env });
  const chainDefinition = defineChain({
    id: config.chain.chainId,
    name: `chain ${config.chain.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [config.chain.rpcUrl] } },
  });
  // Over the WebSocket when one is configured (HTTP is then the fallback): see rpcTransport.
  const shutdown =
    deps.shutdown ?? new Shutdown((step, error) => log.error({ err: error, step }, "node shutdown step failed"));
  const rpc = rpcTransport([config.chain.rpcUrl, ...config.chain.fallbackRpcUrls], config.chain.wsUrl);
  // A start that fails must not leave the socket open: it would keep the process alive.
  shutdown.add("rpc", () => rpc.close());
  const client = createPublicClient({
    chain: chainDefinition,
    transport: rpc.transport,
    pollingInterval: config.chain.pollIntervalMs,
  });
  const wallet = createWalletClient({ account, chain: chainDefinition, transport: rpc.transport });
  const { taskManager, fromBlock } = await shutdown.guard(() => readDeployment(config));
  await shutdown.guard(() => assertChainId(client, config.chain.chainId, config.chain.rpcUrl));
  const contracts = await shutdown.guard(() => resolveContracts(client, taskManager));

  const store = new NodeStore(join(config.dataDir, "node.db"));
  shutdown.add("store", () => store.close());
  await shutdown.guard(() => store.bindIdentity({ chainId: config.chain.chainId, taskManager, node: account.address }));
  const metrics = createMetrics();
  // shutdown.signal: the runner, the follower and every wait for a transaction stop with it.
  const chain = new NodeChain(
    contracts,
    {
      bumpAfterMs: config.chain.bumpAfterMs,
      headMaxAgeMs: config.chain.pollIntervalMs,
      maxFeePerGasCap:
        config.chain.maxFeePerGasGwei === undefined ? undefined : parseGwei(String(config.chain.maxFeePerGasGwei)),
    },
    {
      client,
      wallet,
      signal: shutdown.signal,
      head: () => follower.latestHead(),
      onBroadcast: (call, hash) => {
        log.debug({ fn: call.functionName, tx: hash }, "transaction sent");
        if (call.functionName === "submitTaskResultCommitment")
          store.mark(call.args?.[0] as bigint, { commitSent: Date.now() });
        failpoint(`sent:${call.functionName}`);
      },
      onMined: (tx) => {
        store.recordTransaction(tx);
        metrics.transactions.inc({ function: tx.functionName });
        metrics.gasUsed.inc(Number(tx.gasUsed));
        metrics.feesWei.inc(Number(tx.feeWei));
      },
    },
  );
  const { engine, models } = createEngine(config, account.address, { log, metrics });
  const safety = new NsfwSafetyChecker();
  shutdown.add("safety checker", () => safety.close());
  shutdown.add("models", () => models.close?.());
  shutdown.add("engine", () => engine.close?.());
  void models.preload?.();
  const relay = createRelayClient({
    url: config.relay.url,
    chainId: config.chain.chainId,
    taskManager,
    signer: account,
    timeoutMs: config.relay.timeoutMs,
  });
  const earnings = new EarningsMetrics(metrics);
  const runner = new TaskRunner(
    { ...config.tasks, orphanBlocks: REORG_WINDOW },
    {
      store,
      chain,
      relay,
      engine,
      models,
      safety,
      metrics,
      log: log.child({ module: "tasks" }),
      catchUp: () => follower.requestStep(),
    },
  );
  const follower = new ChainFollower(
    {
      address: taskManager,
      fromBlock,
      confirmations: config.chain.confirmations,
      reorgWindow: REORG_WINDOW,
      pollIntervalMs: config.chain.pollIntervalMs,
      wsUrl: config.chain.wsUrl,
      maxRange: BigInt(config.chain.maxRange),
    },
    {
      client,
      loadCursor: async () => store.cursor(),
      loadBlocks: async () => store.blocks(),
      rollback: async (ancestor) => {
        // Their workers look again: an orphan waits, a task whose facts were undone reads the chain.
        runner.notify(store.rollback(ancestor));
      },
      onReorg: ({ ancestor, cursor }) => {
        metrics.reorgs.inc();
        log.warn(
          { ancestor: String(ancestor), cursor: String(cursor) },
          "the chain replaced applied blocks; rolled back to the common ancestor",
        );
      },
      apply: async (batch) => {
        const applied = applyBatch(store, account.address, batch);
        for (const taskId of applied.assigned) log.info({ taskId: String(taskId) }, "selected for a task");
        if (applied.assigned.length) failpoint("after:assigned");
        earnings.record(applied);
        for (const taskId of applied.slashes) log.error({ taskId: String(taskId) }, "this node was slashed");
        runner.notify([...applied.assigned, ...applied.touched]);
        runner.cursorMoved(batch.toBlock);
        const status = follower.status();
        metrics.followerCursor.set(Number(batch.toBlock));
        if (status.head !== undefined) metrics.followerLag.set(Number(status.head - batch.toBlock));
      },
      onError: (error, range) =>
        log.warn(
          { err: error, fromBlock: String(range.fromBlock), toBlock: String(range.toBlock) },
          "chain read failed; retrying",
        ),
      // Only this node's selections and its tasks' logs are read; blocks whose bloom has neither
      // this node's address nor one of its running tasks are skipped unread.
      readLogs: nodeLogReader(client, taskManager, account.address, () => runner.running),
      relevantTopics: () => [pad(account.address), ...runner.running.map((taskId) => toHex(taskId, { size: 32 }))],
      // Over WebSocket, only blocks with such logs wake the node (not every block).
      logFilters: nodeLogFilters(account.address, () => runner.running),
      onSubscriptionError: (error) => log.warn({ err: error }, "chain subscription lost; polling until it is back"),
    },
  );
  const staking = new Staking(
    { usePermit: config.staking.usePermit, chainId: config.chain.chainId },
    { chain, log: log.child({ module: "staking" }) },
  );
  const status = new StatusSource(
    { address: account.address, wallet: kind, engine: engine.name, chainId: config.chain.chainId, taskManager },
    { store, staking, follower: () => follower.status(), ring, relay },
  );
  const apiToken = resolveToken(config);
  const api = await shutdown.guard(() =>
    startApi(
      { host: config.api.host, port: config.api.port, token: apiToken },
      { status, metrics: () => metrics.registry.metrics(), log },
    ),
  );
  shutdown.add("api", () => api.close());

  const gasGuard = new GasGuard(
    { gasPerTask: config.staking.gasPerTask, intervalMs: config.staking.gasCheckMs },
    {
      chain,
      staking,
      log: log.child({ module: "gas" }),
      onChange: (state, previousReason) => {
        metrics.lowGas.set(state.low ? 1 : 0);
        // Says why while low; once funded, clears only its own message, not another error.
        if (state.reason) status.lastError = state.reason;
        else if (status.lastError === previousReason) status.lastError = undefined;
      },
    },
  );

  runner.start(shutdown.signal);
  const following = follower.run(shutdown.signal);
  const starting = staking.onStart(config.staking.onStart).catch((error: unknown) => {
    status.lastError = (error as Error).message;
    log.error({ err: error, code: (error as { code?: string }).code }, "could not take part in the network");
  });
  // After the start's own staking action: the guard may pause what the start just joined.
  const guarding = config.staking.pauseOnLowGas
    ? starting.then(() => gasGuard.run(shutdown.signal))
    : Promise.resolve();
  shutdown.add("tasks", () => Promise.allSettled([following, starting, guarding, runner.stopped()]));
  log.info(
    { address: account.address, wallet: kind, taskManager, engine: engine.name, api: api.url, dataDir: config.dataDir },
    "node started",
  );

  return {
    address: account.address,
    apiUrl: api.url,
    apiToken,
    contracts,
    store,
    runner,
    staking,
    log,
    async close() {
      await shutdown.close();
      log.info("node stopped");
    },
  };
}

/** The TaskManager and first block to follow: from the deployments file, else the config. */
function readDeployment(config: NodeConfig): { taskManager: Address; fromBlock: bigint } {
  if (config.chain.deployment) {
    const deployment = readDeploymentFile(config.chain.deployment, config.chain.chainId);
    return {
      taskManager: (config.chain.taskManager ?? deployment.taskManager) as Address,
      fromBlock: BigInt(config.chain.fromBlock ?? deployment.deploymentBlock),
    };
  }
  return { taskManager: config.chain.taskManager as Address, fromBlock: BigInt(config.chain.fromBlock ?? 0) };
}

/** The API token: configured, from a file, or generated once into `<dataDir>/api-token` (mode 0600). */
function resolveToken(config: NodeConfig): string {
  if (config.api.token) return config.api.token;
  const file = config.api.tokenFile ?? join(config.dataDir, "api-token");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const token = randomBytes(24).toString("base64url");
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}
