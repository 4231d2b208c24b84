import { hammingDistance, phashPngHex, type RelayError, splitResult } from "@hydrogen/protocol";
import type { Hex } from "viem";
import { type HydrogenClient, requireWallet } from "../client.ts";
import {
  ImageMismatchError,
  type NoAccountError,
  type TaskAbortedError,
  TaskNotFoundError,
  type TimeoutError,
} from "../errors.ts";
import { taskThreshold } from "../threshold.ts";
import { retryRelay } from "../wait.ts";
import { getTaskEvents } from "./getTaskEvents.ts";
import { waitForTask } from "./waitForTask.ts";

export interface DownloadImagesParameters {
  taskId: bigint;
  /** The on-chain result (from `waitForTask`); read from the task's `TaskSuccess` when absent. */
  result?: Hex;
  fromBlock?: bigint;
  /** How long to wait for the result node's upload. Default 120 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called after each image is downloaded and verified. */
  onImage?: (image: VerifiedImage) => void;
}

export interface VerifiedImage {
  index: number;
  /** PNG bytes. */
  png: Uint8Array;
  /** The image's pHash as recomputed here. */
  phash: Hex;
  /** Bits between it and the on-chain hash: fewer than the task's threshold. */
  distance: number;
}

/** How long one download asks the relay to wait for the result node's upload. */
const HOLD_SECONDS = 10;

export type DownloadImagesReturnType = VerifiedImage[];

export type DownloadImagesErrorType =
  | NoAccountError
  | TaskNotFoundError
  | TaskAbortedError
  | ImageMismatchError
  | TimeoutError
  | RelayError;

/**
 * Downloads the task's images from the relay (waiting while the result node has not uploaded
 * them: the relay holds the request until the upload) and recomputes every image's pHash,
 * comparing it with the on-chain result: the application trusts neither the relay nor a
 * single node.
 *
 * @example
 * const images = await downloadImages(client, { taskId, result });
 * images[0].png // Uint8Array
 */
export async function downloadImages(
  client: HydrogenClient,
  parameters: DownloadImagesParameters,
): Promise<DownloadImagesReturnType> {
  requireWallet(client, "downloadImages");
  const { taskId } = parameters;
  const { result, threshold } = await successResult(client, parameters);
  const hashes = splitResult(result);
  const images: VerifiedImage[] = [];
  const timeoutMs = parameters.timeoutMs ?? 120_000;
  const until = Date.now() + timeoutMs;
  // The relay holds each request until the upload (up to HOLD_SECONDS): no polling meanwhile.
  const holdSeconds = () => Math.max(0, Math.min(HOLD_SECONDS, Math.floor((until - Date.now()) / 1000)));
  for (const [index, expected] of hashes.entries()) {
    const png = await retryRelay(() => client.relay.getResultImage(taskId, index, { waitSeconds: holdSeconds() }), {
      what: `image ${index} of task ${taskId}`,
      timeoutMs,
      maxIntervalMs: client.pollingIntervalMs,
      signal: parameters.signal,
    });
    const phash = phashPngHex(png);
    const distance = hammingDistance(phash, expected);
    // The contract's rule (spec §4): chunks match when they differ in fewer than `threshold` bits.
    if (distance >= threshold) throw new ImageMismatchError(taskId, index, distance, threshold);
    const image = { index, png, phash, distance };
    images.push(image);
    parameters.onImage?.(image);
  }
  return images;
}

/**
 * The result of a task that succeeded, or will (it waits for the end of a running task), and
 * the distance threshold fixed in the task when it was created.
 */
async function successResult(
  client: HydrogenClient,
  parameters: DownloadImagesParameters,
): Promise<{ result: Hex; threshold: number }> {
  const { taskId, fromBlock } = parameters;
  const toBlock = await client.publicClient.getBlockNumber({ cacheTime: 0 });
  const events = await getTaskEvents(client, { taskId, fromBlock, toBlock });
  const created = events.find((e) => e.name === "TaskCreated");
  if (!created) throw new TaskNotFoundError(taskId);
  const threshold = await taskThreshold(client, created, toBlock);
  if (parameters.result) return { result: parameters.result, threshold };
  const success = events.find((e) => e.name === "TaskSuccess");
  if (success) return { result: success.result, threshold };
  const { result } = await waitForTask(client, { ...parameters, onEvent: undefined });
  return { result, threshold };
}
