import type { ReplayDetector } from "@hydrogen/protocol";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { PublicClient } from "viem";
import type { ChainSync } from "../chain/sync.ts";
import type { RelayConfig } from "../config/schema.ts";
import type { Dialect } from "../db/connect.ts";
import type { Database } from "../db/schema.ts";
import type { ImageHasher } from "../images/hasher.ts";
import type { ImageStore } from "../images/store.ts";
import type { RelayMetrics } from "../metrics.ts";
import type { UploadSignals } from "./upload-signals.ts";

/** What the HTTP layer needs, wired by the composition root (`startRelay`). */
export interface RelayContext {
  config: RelayConfig;
  db: Kysely<Database>;
  dialect: Dialect;
  images: ImageStore;
  /** Decodes and hashes uploaded images off the request thread. */
  hasher: ImageHasher;
  replay: ReplayDetector;
  metrics: RelayMetrics;
  log: Logger;
  client: PublicClient;
  sync: ChainSync;
  uploads: UploadSignals;
  version: string;
}
