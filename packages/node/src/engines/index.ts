import { join } from "node:path";
import type { Logger } from "pino";
import type { Address } from "viem";
import type { NodeConfig } from "../config/schema.ts";
import type { createMetrics } from "../metrics.ts";
import { CachingModelManager } from "../models/caching-manager.ts";
import type { ModelManager } from "../models/manager.ts";
import { NoDownloadModelManager } from "../models/manager.ts";
import { ComfyUIEngine } from "./comfyui/engine.ts";
import type { Engine } from "./engine.ts";
import { SyntheticEngine } from "./synthetic.ts";

export { ComfyUIEngine } from "./comfyui/engine.ts";
export { type Engine, EngineRejectedError, type EngineRequest, EngineUnavailableError } from "./engine.ts";
export { SyntheticEngine, type SyntheticOptions } from "./synthetic.ts";

/** The engine and model manager the configuration names. */
export function createEngine(
  config: Pick<NodeConfig, "engine" | "models" | "dataDir">,
  node: Address,
  deps: { log: Logger; metrics?: ReturnType<typeof createMetrics> },
): { engine: Engine; models: ModelManager & { preload?(): Promise<void> } } {
  const engine = config.engine;
  switch (engine.kind) {
    case "synthetic":
      return {
        engine: new SyntheticEngine({
          node,
          noise: engine.noise,
          dishonest: engine.dishonest,
          delayMs: engine.delayMs,
          reject: engine.reject,
        }),
        models: engine.downloadModels ? modelCache(config, deps) : new NoDownloadModelManager(),
      };
    case "comfyui":
      return {
        engine: new ComfyUIEngine(
          { url: engine.url, pollIntervalMs: engine.pollIntervalMs },
          { log: deps.log.child({ module: "comfyui" }) },
        ),
        models: modelCache(config, deps),
      };
  }
}

/** The model cache the configuration describes. */
function modelCache(
  config: Pick<NodeConfig, "models" | "dataDir">,
  deps: { log: Logger; metrics?: ReturnType<typeof createMetrics> },
): CachingModelManager {
  const { models } = config;
  const metrics = deps.metrics;
  return new CachingModelManager(
    {
      cacheDir: models.cacheDir ?? join(config.dataDir, "models"),
      diskBudgetBytes: models.diskBudgetGb * 1024 ** 3,
      hfEndpoint: models.hfEndpoint,
      hfToken: models.hfToken,
      proxy: models.proxy,
      stallMs: models.stallSeconds * 1000,
      backoffMs: models.backoffMs,
      maxBackoffMs: models.maxBackoffMs,
      taskBudgetMs: models.taskBudgetSeconds * 1000,
      preload: models.preload,
    },
    {
      log: deps.log.child({ module: "models" }),
      metrics: metrics && {
        downloads: metrics.modelDownloads,
        downloadBytes: metrics.modelDownloadBytes,
        cacheBytes: metrics.modelCacheBytes,
        evictions: metrics.modelEvictions,
      },
    },
  );
}
