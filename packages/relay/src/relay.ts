import { randomUUID } from "node:crypto";
import { availableParallelism, hostname } from "node:os";
import { dirname, join, resolve } from "node:path";
import { assertChainId, rpcTransport } from "@hydrogen/chain";
import { taskManagerAbi } from "@hydrogen/protocol";
import { Shutdown } from "@hydrogen/service";
import type { FastifyInstance } from "fastify";
import pino, { type Logger } from "pino";
import { createPublicClient, type PublicClient } from "viem";
import { ChainSync } from "./chain/sync.ts";
import { redactConfig } from "./config/load.ts";
import type { RelayConfig } from "./config/schema.ts";
import { openDatabase } from "./db/connect.ts";
import { DatabaseReplayDetector } from "./db/signatures.ts";
import type { RelayContext } from "./http/context.ts";
import { buildServer } from "./http/server.ts";
import { UploadSignals } from "./http/upload-signals.ts";
import { CachedImageStore } from "./images/cached.ts";
import { DatabaseImageStore } from "./images/database.ts";
import { FileImageStore } from "./images/files.ts";
import { ImageHasher } from "./images/hasher.ts";
import type { ImageStore } from "./images/store.ts";
import { runRetention } from "./jobs/retention.ts";
import { createMetrics } from "./metrics.ts";
import { WebhookDispatcher } from "./webhooks/dispatcher.ts";

export const RELAY_VERSION = "0.1.0";

export interface Relay {
  /** `http://host:port` the relay listens on. */
  url: string;
  app: FastifyInstance;
  context: RelayContext;
  /** Stops accepting requests, lets in-flight ones finish (up to the grace period), stops the jobs, closes the database. */
  close(): Promise<void>;
}

function imageStore(config: RelayConfig): ImageStore {
  return new CachedImageStore(baseImageStore(config), config.images.cacheBytes);
}

function baseImageStore(config: RelayConfig): ImageStore {
  if (config.images.store === "database") return new DatabaseImageStore();
  const dir =
    config.images.dir ??
    (config.database.url.startsWith("sqlite:")
      ? join(dirname(resolve(config.database.url.slice("sqlite:".length))), "images")
      : undefined);
  if (!dir) throw new Error("images.dir is required when images are stored as files with PostgreSQL");
  return new FileImageStore(resolve(dir));
}

/**
 * The composition root: opens the database (migrating it), wires the image store, replay
 * protection, chain follower, retention job and HTTP server, and starts listening.
 *
 * @example
 * const relay = await startRelay(loadConfig({ file: "relay.json", env: process.env }));
 * process.on("SIGTERM", () => relay.close());
 */
export async function startRelay(
  config: RelayConfig,
  options: {
    log?: Logger;
    /** The process's shutdown registry; the relay registers what it opens. Its own when absent. */
    shutdown?: Shutdown;
  } = {},
): Promise<Relay> {
  const log =
    options.log ??
    pino({
      level: config.log.level,
      redact: ["req.headers['x-hydrogen-signature']", "req.headers.authorization", "config.database.url"],
    });
  const instanceId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  log.info({ config: redactConfig(config), instance: instanceId }, "relay starting");
  const shutdown =
    options.shutdown ?? new Shutdown((step, error) => log.error({ err: error, step }, "relay shutdown step failed"));
  const database = await openDatabase(config.database.url, { poolSize: config.database.poolSize });
  shutdown.add("database", () => database.close());
  const metrics = createMetrics();
  // Over the WebSocket when one is configured (HTTP is then the fallback): see rpcTransport.
  const rpc = rpcTransport([config.chain.rpcUrl, ...config.chain.fallbackRpcUrls], config.chain.wsUrl, {
    retryCount: 2,
  });
  shutdown.add("rpc", () => rpc.close());
  const client = createPublicClient({
    transport: rpc.transport,
    pollingInterval: config.chain.pollIntervalMs,
  }) as PublicClient;
  await shutdown.guard(() => assertChainId(client, config.chain.chainId, config.chain.rpcUrl));
  const taskManager = config.chain.taskManager as `0x${string}`;
  // The index follows the TaskManager's own registry (fixed at its deployment).
  const nodeRegistry = await shutdown.guard(() =>
    client.readContract({ address: taskManager, abi: taskManagerAbi, functionName: "registry" }),
  );
  const sync = new ChainSync(
    {
      taskManager,
      nodeRegistry,
      fromBlock: config.chain.fromBlock,
      confirmations: config.chain.confirmations,
      pollIntervalMs: config.chain.pollIntervalMs,
      wsUrl: config.chain.wsUrl,
      maxRange: config.chain.maxRange,
      leaseMs: config.leader.leaseMs,
      renewMs: config.leader.renewMs,
      instanceId,
    },
    { db: database.db, client, log: log.child({ module: "follower" }), metrics },
  );
  const context: RelayContext = {
    config,
    db: database.db,
    dialect: database.dialect,
    images: imageStore(config),
    hasher: new ImageHasher(
      config.images.hashThreads ?? Math.min(4, Math.max(1, Math.floor(availableParallelism() / config.workers))),
    ),
    replay: new DatabaseReplayDetector(database.db),
    metrics,
    log,
    client,
    sync,
    uploads: new UploadSignals(),
    version: RELAY_VERSION,
  };
  shutdown.add("image hashers", () => context.hasher.close());
  const app = await shutdown.guard(() => buildServer(context));
  const jobs = [
    sync.run(shutdown.signal),
    runRetention(
      config.retention,
      {
        db: database.db,
        images: context.images,
        log: log.child({ module: "retention" }),
        metrics,
        isLeader: () => sync.isLeader(),
      },
      shutdown.signal,
    ),
    new WebhookDispatcher(config.webhooks, {
      db: database.db,
      log: log.child({ module: "webhooks" }),
      isLeader: () => sync.isLeader(),
    }).run(shutdown.signal),
  ];
  shutdown.add("jobs", () => Promise.allSettled(jobs));
  const address = await shutdown.guard(() => app.listen({ host: config.listen.host, port: config.listen.port }));
  shutdown.add("http", async () => {
    // In-flight requests finish within the grace period; then their connections are cut.
    const grace = setTimeout(() => app.server.closeAllConnections(), config.shutdownGraceSeconds * 1000);
    await app.close();
    clearTimeout(grace);
  });
  log.info({ url: address }, "relay listening");
  const close = async () => {
    if (!shutdown.closed) log.info("relay shutting down");
    await shutdown.close();
    log.info("relay stopped");
  };
  return { url: address, app, context, close };
}
