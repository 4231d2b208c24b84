import { defaultConfirmations } from "@hydrogen/chain";
import { TASK_ARGS_MAX_BYTES } from "@hydrogen/protocol";
import { logConfigSchema, readDeploymentFile } from "@hydrogen/service";
import { z } from "zod";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte address");
const MiB = 1024 * 1024;

/**
 * The relay's configuration, with every default documented here. Loaded from a JSON file and
 * the environment (`loadConfig`); anything invalid stops the relay with the offending path.
 */
export const relayConfigSchema = z
  .object({
    listen: z
      .object({
        host: z.string().default("127.0.0.1"),
        /** 0 picks a free port (tests). */
        port: z.number().int().min(0).max(65535).default(8787),
        /**
         * Behind a load balancer: which proxies' `X-Forwarded-For` to believe (fastify's
         * `trustProxy`: true, or the proxies' addresses and CIDRs), so that rate limits see the
         * client's address rather than the balancer's. Off by default.
         */
        trustProxy: z.union([z.boolean(), z.array(z.string().min(1)).min(1)]).default(false),
      })
      .strict()
      .prefault({}),
    chain: z
      .object({
        rpcUrl: z.string().url(),
        /** More HTTP endpoints of the same chain, tried in turn when the one before fails. */
        fallbackRpcUrls: z.array(z.string().url()).max(8).default([]),
        /** A WebSocket endpoint for new-block subscriptions; polling `rpcUrl` otherwise. */
        wsUrl: z.string().url().optional(),
        chainId: z.number().int().positive(),
        /** A `deployments/<chainId>.json` file (read at start); or give `taskManager` (and `fromBlock`). */
        deployment: z.string().optional(),
        taskManager: address.optional(),
        /** The block to start following at when there is no cursor (the deployment block). */
        fromBlock: z.number().int().min(0).optional(),
        /** Blocks a log must be buried under before it is applied. Default: a safe depth for the chain id; 0 only on a devnet. */
        confirmations: z.number().int().min(0).max(1000).optional(),
        pollIntervalMs: z.number().int().positive().default(1000),
        maxRange: z.number().int().positive().default(2000),
      })
      .strict()
      .transform((chain, ctx) => {
        // The contracts: the deployment file's, unless given here.
        let taskManager = chain.taskManager;
        let fromBlock = chain.fromBlock;
        if (chain.deployment) {
          try {
            const deployment = readDeploymentFile(chain.deployment, chain.chainId);
            taskManager ??= deployment.taskManager;
            fromBlock ??= deployment.deploymentBlock;
          } catch (error) {
            ctx.addIssue({ code: "custom", path: ["deployment"], message: (error as Error).message });
            return z.NEVER;
          }
        }
        if (!taskManager) {
          ctx.addIssue({ code: "custom", message: "give chain.deployment or chain.taskManager" });
          return z.NEVER;
        }
        // Unset confirmations: a safe depth for the chain (only the devnet sets 0).
        const confirmations = chain.confirmations ?? defaultConfirmations(chain.chainId);
        return { ...chain, taskManager, fromBlock: fromBlock ?? 0, confirmations };
      }),
    database: z
      .object({
        /** `sqlite:<path>` (the default backend) or `postgres://…`. */
        url: z
          .string()
          .refine(
            (url) => /^sqlite:/.test(url) || /^postgres(ql)?:\/\//.test(url),
            "must be sqlite:<path> or postgres://…",
          ),
        /** Connections per instance (PostgreSQL). */
        poolSize: z.number().int().positive().default(10),
      })
      .strict(),
    images: z
      .object({
        /** `files`: one PNG per image under `dir` (shared storage for several instances); `database`: in the database. */
        store: z.enum(["files", "database"]).default("files"),
        dir: z.string().optional(),
        /**
         * Worker threads that decode and hash uploaded images, off the request thread (spec §7).
         * Default: the cores divided among the relay's processes (`workers`), at most 4.
         */
        hashThreads: z.number().int().min(1).max(64).optional(),
        /** Memory for recently downloaded images (0 disables the cache). */
        cacheBytes: z
          .number()
          .int()
          .min(0)
          .default(256 * MiB),
      })
      .strict()
      .prefault({}),
    limits: z
      .object({
        /**
         * Largest task-arguments string (UTF-8 bytes), published at `/v1/limits`. The default is
         * the largest the schema allows (spec §9); a smaller value refuses valid arguments, and
         * applications read it before they pay.
         */
        taskArgsBytes: z.number().int().positive().max(TASK_ARGS_MAX_BYTES).default(TASK_ARGS_MAX_BYTES),
        /** Largest JSON body of the other routes. */
        jsonBytes: z
          .number()
          .int()
          .positive()
          .default(64 * 1024),
        /** Largest single image. */
        imageBytes: z
          .number()
          .int()
          .positive()
          .default(16 * MiB),
        /** Largest upload of one task (all images plus multipart framing). */
        taskBytes: z
          .number()
          .int()
          .positive()
          .default(128 * MiB),
      })
      .strict()
      .prefault({}),
    /**
     * Requests per client address and per signer in a fixed window, counted per instance
     * (spec §7: bounded request counts). Past a limit the answer is 429 `RELAY_RATE_LIMITED`
     * with `Retry-After`. The address limit runs before the signature is checked, the signer
     * limit right after. 0 turns a limit off.
     */
    rateLimit: z
      .object({
        windowSeconds: z.number().int().positive().default(60),
        perAddress: z.number().int().min(0).default(3000),
        perSigner: z.number().int().min(0).default(3000),
        /** Client addresses never limited (a trusted backend, or loopback on a devnet). */
        allowList: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .prefault({}),
    retention: z
      .object({
        /** Task data is deleted this long after the task ends (aborted or results reported). */
        afterEndSeconds: z
          .number()
          .int()
          .min(0)
          .default(24 * 3600),
        /** A task that never ends on chain (cancelled after success) is deleted this long after it was created. */
        afterCreateSeconds: z
          .number()
          .int()
          .min(0)
          .default(7 * 24 * 3600),
        intervalSeconds: z.number().positive().default(60),
      })
      .strict()
      .prefault({}),
    leader: z
      .object({
        /** A leader that has not renewed for this long is replaced. */
        leaseMs: z.number().int().positive().default(5_000),
        renewMs: z.number().int().positive().default(1_000),
      })
      .strict()
      .prefault({}),
    /**
     * Relay processes on this machine sharing the port (node:cluster); each is a full instance
     * (they elect one chain follower among themselves). More than 1 uses more cores.
     */
    workers: z.number().int().min(1).max(64).default(1),
    /** `/readyz` fails when the follower is more than this many blocks behind the head. */
    maxLagBlocks: z.number().int().min(0).default(50),
    /**
     * Browser origins allowed to call the relay (CORS). Requests are authorised by their
     * signatures, never by cookies, so any origin is safe; a list narrows it.
     */
    cors: z
      .object({ origin: z.union([z.literal("*"), z.array(z.string().url()).min(1)]).default("*") })
      .strict()
      .prefault({}),
    /** Seconds a request's timestamp may differ from the relay's clock. */
    signatureWindowSeconds: z.number().int().positive().default(60),
    /**
     * Seconds an image upload from a selected node is held while the relay has not yet seen
     * the task's TaskSuccess (the node saw it first): the relay catches up meanwhile, and the
     * upload goes through as soon as it has. 0 refuses at once (409 RELAY_TASK_NOT_SUCCEEDED).
     */
    successHoldSeconds: z.number().min(0).max(60).default(10),
    /** Webhooks (spec §7): each phase change of an account's tasks POSTed to its URLs. */
    webhooks: z
      .object({
        /** Deliver to private, loopback and link-local addresses too (a test, a private network). */
        allowPrivate: z.boolean().default(false),
        maxPerAccount: z.number().int().min(0).max(100).default(5),
        timeoutMs: z.number().int().positive().default(5000),
        /** Attempts per delivery, with a doubling back-off from 1 s to 10 min. */
        maxAttempts: z.number().int().min(1).max(30).default(10),
        intervalMs: z.number().int().positive().default(250),
      })
      .strict()
      .prefault({}),
    /** Seconds in-flight requests get to finish on shutdown. */
    shutdownGraceSeconds: z.number().positive().default(10),
    log: logConfigSchema,
  })
  .strict();

export type RelayConfigInput = z.input<typeof relayConfigSchema>;
export type RelayConfig = z.output<typeof relayConfigSchema>;
