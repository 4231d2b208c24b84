import type { Address } from "viem";
import type { EngineConfig } from "../config/schema.ts";
import type { ModelManager } from "../models/manager.ts";
import { NoDownloadModelManager } from "../models/manager.ts";
import type { Engine } from "./engine.ts";
import { SyntheticEngine } from "./synthetic.ts";

export { type Engine, EngineRejectedError, type EngineRequest, EngineUnavailableError } from "./engine.ts";
export { SyntheticEngine, type SyntheticOptions } from "./synthetic.ts";

/** The engine and model manager the configuration names. */
export function createEngine(config: EngineConfig, node: Address): { engine: Engine; models: ModelManager } {
  switch (config.kind) {
    case "synthetic":
      return {
        engine: new SyntheticEngine({
          node,
          noise: config.noise,
          dishonest: config.dishonest,
          delayMs: config.delayMs,
        }),
        models: new NoDownloadModelManager(),
      };
  }
}
