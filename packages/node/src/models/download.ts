import { createWriteStream, existsSync, statSync, truncateSync } from "node:fs";
import type { ModelRef } from "@hydrogen/protocol";
import { type Dispatcher, fetch } from "undici";
import { ModelInvalidError, ModelUnavailableError } from "./manager.ts";

/**
 * Statuses that confirm a reference is wrong (spec §6): "not found" and "gone". Never 401/403:
 * they are about this node's credentials (a gated or private model), which another node may have.
 */
const INVALID_STATUSES = new Set([404, 410]);

export interface FetchFileOptions {
  ref: ModelRef;
  url: string;
  /** Where the bytes accumulate; an existing partial file is resumed with a Range request. */
  partPath: string;
  headers?: Record<string, string>;
  dispatcher?: Dispatcher;
  signal: AbortSignal;
  /** No byte for this long aborts the attempt (the connection is stuck). */
  stallMs: number;
  onProgress?: (received: number, total: number | undefined) => void;
}

/**
 * An HTTP answer turned into the spec §6 class: confirmed invalid, or transient. A "not found"
 * reached through a redirect to another host (a login page, an expired CDN link) proves nothing
 * about the model, so it is transient too.
 */
export function statusError(ref: ModelRef, url: string, status: number, finalUrl = url): Error {
  const moved = new URL(finalUrl).origin !== new URL(url).origin;
  const message = `${url} answered HTTP ${status}${moved ? ` (from ${new URL(finalUrl).origin})` : ""}`;
  return INVALID_STATUSES.has(status) && !moved
    ? new ModelInvalidError(ref, message)
    : new ModelUnavailableError(ref, message);
}

/** What a finished download was: its size, whether the host announced that size, and its content type. */
export interface FetchedFile {
  bytes: number;
  /** The host announced the length and every byte of it arrived. */
  complete: boolean;
  contentType: string;
}

/**
 * One attempt at downloading `url` into `partPath`, resuming what is there. Resolves with the
 * file's total size (and whether the host announced it) when complete; a dropped connection, a stall or a full disk rejects with
 * `ModelUnavailableError` and leaves the partial file for the next attempt.
 */
export async function fetchFile(options: FetchFileOptions): Promise<FetchedFile> {
  const { ref, url } = options;
  const have = existsSync(options.partPath) ? statSync(options.partPath).size : 0;
  const stall = new AbortController();
  let stallTimer = setTimeout(() => stall.abort(), options.stallMs);
  const resetStall = () => {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => stall.abort(), options.stallMs);
  };
  const signal = AbortSignal.any([options.signal, stall.signal]);
  try {
    let response: Awaited<ReturnType<typeof fetch>>;
    try {
      response = await fetch(url, {
        headers: { ...options.headers, ...(have > 0 ? { range: `bytes=${have}-` } : {}) },
        dispatcher: options.dispatcher,
        signal,
        redirect: "follow",
      });
    } catch (error) {
      throw unavailable(ref, url, error, options.signal);
    }
    if (response.status === 416 && have > 0) {
      // The partial file is longer than the resource (it changed): start over.
      await response.body?.cancel();
      truncateSync(options.partPath, 0);
      throw new ModelUnavailableError(ref, `${url}: the partial download no longer fits; restarting`);
    }
    if (response.status !== 200 && response.status !== 206) {
      await response.body?.cancel();
      throw statusError(ref, url, response.status, response.url || url);
    }
    const resumed = response.status === 206;
    const start = resumed ? rangeStart(response.headers.get("content-range")) : 0;
    if (resumed && start !== have) {
      await response.body?.cancel();
      truncateSync(options.partPath, 0);
      throw new ModelUnavailableError(ref, `${url} resumed at ${start}, not ${have}; restarting`);
    }
    const total = totalSize(response.headers, start);
    if (!resumed && have > 0) truncateSync(options.partPath, 0);
    const out = createWriteStream(options.partPath, { flags: resumed ? "a" : "w" });
    // A write error (a full disk) arrives as an event; it is kept and thrown from the loop.
    let writeError: Error | undefined;
    out.on("error", (error) => {
      writeError = error;
    });
    let received = start;
    try {
      for await (const chunk of response.body ?? []) {
        resetStall();
        if (writeError) throw writeError;
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
        received += (chunk as Uint8Array).length;
        options.onProgress?.(received, total);
      }
      await closeStream(out);
      if (writeError) throw writeError;
    } catch (error) {
      // Flush what arrived, so the next attempt resumes after it.
      await closeStream(out);
      throw unavailable(ref, url, writeError ?? error, options.signal);
    }
    if (total !== undefined && received !== total) {
      throw new ModelUnavailableError(ref, `${url}: got ${received} of ${total} bytes`);
    }
    return { bytes: received, complete: total !== undefined, contentType: response.headers.get("content-type") ?? "" };
  } finally {
    clearTimeout(stallTimer);
  }
}

/** Ends the file stream and waits until it is closed (or failed); never throws. */
function closeStream(out: ReturnType<typeof createWriteStream>): Promise<void> {
  return new Promise((resolve) => {
    if (out.closed || out.destroyed) return resolve();
    out.once("close", () => resolve());
    out.end();
  });
}

function rangeStart(contentRange: string | null): number {
  const match = /^bytes (\d+)-/.exec(contentRange ?? "");
  return match ? Number(match[1]) : -1;
}

function totalSize(headers: Headers | { get(name: string): string | null }, start: number): number | undefined {
  const range = /\/(\d+)$/.exec(headers.get("content-range") ?? "");
  if (range) return Number(range[1]);
  const length = headers.get("content-length");
  return length === null ? undefined : start + Number(length);
}

/** A transport failure, stall or local write error: transient. A disk-full error says so. */
function unavailable(ref: ModelRef, url: string, error: unknown, taskSignal: AbortSignal): Error {
  if (taskSignal.aborted) return taskSignal.reason instanceof Error ? taskSignal.reason : new Error("aborted");
  const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  const reason =
    code === "ENOSPC"
      ? "the disk is full"
      : (error as Error).name === "AbortError"
        ? "stalled"
        : (error as Error).message;
  return new ModelUnavailableError(ref, `${url}: ${reason}`, { cause: error });
}
