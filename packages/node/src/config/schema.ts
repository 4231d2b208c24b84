import { defaultConfirmations } from "@hydrogen/chain";
import { logConfigSchema } from "@hydrogen/service";
import { z } from "zod";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte address");

/**
 * The node's configuration, every default documented here (docs/node.md lists them too).
 * Loaded from a JSON file and the environment (`loadConfig`); anything invalid stops the
 * node with the offending path.
 */
export const nodeConfigSchema = z
  .object({
    /** Where the node keeps its database, API token and logs. */
    dataDir: z.string().default("./hydrogen-node"),
    chain: z
      .object({
        rpcUrl: z.string().url(),
        /** More HTTP endpoints of the same chain, tried in turn when the one before fails. */
        fallbackRpcUrls: z.array(z.string().url()).max(8).default([]),
        /** A WebSocket endpoint for new-block subscriptions; polling `rpcUrl` otherwise. */
        wsUrl: z.string().url().optional(),
        chainId: z.number().int().positive(),
        /** A `deployments/<chainId>.json` file; or give `taskManager` (and `fromBlock`). */
        deployment: z.string().optional(),
        taskManager: address.optional(),
        /** The block to start following at when there is no cursor (the deployment block). */
        fromBlock: z.number().int().min(0).optional(),
        /** Blocks a log must be buried under before it is acted on. Default: a safe depth for the chain id; 0 only on a devnet. */
        confirmations: z.number().int().min(0).max(1000).optional(),
        pollIntervalMs: z.number().int().positive().default(1000),
        maxRange: z.number().int().positive().default(2000),
        /** Replace a transaction not mined after this long with higher fees. */
        bumpAfterMs: z.number().int().positive().default(30_000),
        /** The most the node pays per gas, in gwei (EIP-1559 max fee): no estimate or replacement goes above it. */
        maxFeePerGasGwei: z.number().positive().optional(),
      })
      .strict()
      .refine((chain) => chain.deployment || chain.taskManager, "give chain.deployment or chain.taskManager")
      // Unset confirmations: a safe depth for the chain (only the devnet sets 0).
      .transform((chain) => ({ ...chain, confirmations: chain.confirmations ?? defaultConfirmations(chain.chainId) })),
    wallet: z
      .object({
        /** A Web3 Secret Storage (v3) keystore file; its password from `passwordFile` or HYDROGEN_NODE_KEYSTORE_PASSWORD. */
        keystore: z.string().optional(),
        passwordFile: z.string().optional(),
      })
      .strict()
      .prefault({}),
    relay: z
      .object({
        url: z.string().url(),
        timeoutMs: z.number().int().positive().default(30_000),
      })
      .strict(),
    staking: z
      .object({
        /** On start: `join` stakes (or resumes a paused node) when not in the network; `wait` only reports the status. */
        onStart: z.enum(["join", "wait"]).default("join"),
        /** Join with an EIP-2612 permit (one transaction) instead of approve + join. */
        usePermit: z.boolean().default(true),
        /**
         * Pause the node while its ETH cannot pay one task's transactions (`gasPerTask` gas at the
         * current fee), and resume it once it covers two; checked every `gasCheckMs`.
         */
        pauseOnLowGas: z.boolean().default(true),
        gasPerTask: z.number().int().positive().default(400_000),
        gasCheckMs: z.number().int().min(100).default(60_000),
      })
      .strict()
      .prefault({}),
    /** The execution engine (spec §10); `kind` defaults to `synthetic`. */
    engine: z.preprocess(
      (value) =>
        value === undefined
          ? { kind: "synthetic" }
          : typeof value === "object" && value !== null && !("kind" in value)
            ? { ...value, kind: "synthetic" }
            : value,
      z.discriminatedUnion("kind", [
        z
          .object({
            kind: z.literal("synthetic"),
            /** Per-node pixel noise amplitude (0–8 levels): images differ a little, pHashes stay within the tolerance. */
            noise: z.number().int().min(0).max(8).default(0),
            /** Draw different images than honest nodes (to exercise slashing). */
            dishonest: z.boolean().default(false),
            /** Pretend each image takes this long (a devnet's "GPU time"). */
            delayMs: z.number().int().min(0).default(0),
            /** Refuse every task as broken (to exercise error reports). */
            reject: z.boolean().default(false),
            /**
             * Download and check the task's models into the cache (`models`) before drawing, as the
             * comfyui engine does: exercises the model host's answers without a GPU.
             */
            downloadModels: z.boolean().default(false),
          })
          .strict(),
        z
          .object({
            kind: z.literal("comfyui"),
            /** The ComfyUI server (started with --deterministic; docs/node.md). */
            url: z.string().url().default("http://127.0.0.1:8188"),
            /** How often a queued workflow is checked. */
            pollIntervalMs: z.number().int().positive().default(500),
          })
          .strict(),
      ]),
    ),
    /** The model cache (comfyui, or synthetic with `downloadModels`). Point ComfyUI's extra_model_paths.yaml at `cacheDir`. */
    models: z
      .object({
        /** Default `<dataDir>/models`; folders `checkpoints`, `loras`, `controlnet`, `vae`, `embeddings`, `diffusers`. */
        cacheDir: z.string().optional(),
        /** Disk the cache may use; least recently used models beyond it are evicted. */
        diskBudgetGb: z.number().positive().default(200),
        hfEndpoint: z.string().url().default("https://huggingface.co"),
        /** A Hugging Face token for gated repositories (also HYDROGEN_NODE_HF_TOKEN). */
        hfToken: z.string().optional(),
        /** An HTTP(S) proxy for model downloads, e.g. http://proxy.internal:3128. */
        proxy: z.string().url().optional(),
        /** An attempt that receives nothing for this long is abandoned and resumed. */
        stallSeconds: z.number().positive().default(60),
        backoffMs: z.number().int().positive().default(2000),
        maxBackoffMs: z.number().int().positive().default(60_000),
        /** The most a task may spend downloading models (its deadline is the other limit). */
        taskBudgetSeconds: z.number().positive().default(600),
        /** Models fetched at start. */
        preload: z
          .array(
            z
              .object({
                ref: z.string(),
                kind: z.enum(["checkpoint", "lora", "controlnet", "vae", "embedding"]).default("checkpoint"),
              })
              .strict(),
          )
          .default([]),
      })
      .strict()
      .prefault({}),
    tasks: z
      .object({
        /** First retry delay after a transient fault; doubles up to `maxBackoffMs`. */
        backoffMs: z.number().int().positive().default(1000),
        maxBackoffMs: z.number().int().positive().default(30_000),
        /** How often an open task re-reads the chain when no event woke it. */
        pollIntervalMs: z.number().int().positive().default(2000),
        /** Settled tasks kept in the history (the oldest are pruned, images first). */
        keepHistory: z.number().int().min(1).default(1000),
      })
      .strict()
      .prefault({}),
    api: z
      .object({
        host: z.string().default("127.0.0.1"),
        /** 0 picks a free port (tests). */
        port: z.number().int().min(0).max(65535).default(8788),
        /** The bearer token; else `tokenFile`; else one is generated into `<dataDir>/api-token`. */
        token: z.string().min(16, "must be at least 16 characters").optional(),
        tokenFile: z.string().optional(),
      })
      .strict()
      .prefault({}),
    log: logConfigSchema,
  })
  .strict();

export type NodeConfig = z.output<typeof nodeConfigSchema>;
/** What a config file holds: everything with a default may be left out (`engine` too). */
export type NodeConfigInput = Omit<z.input<typeof nodeConfigSchema>, "engine"> & {
  engine?: Partial<NodeConfig["engine"]>;
};
export type EngineConfig = NodeConfig["engine"];
